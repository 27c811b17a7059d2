import Foundation

/// Passwords are hashed and checked in Unicode Normalization Form C, as NIST SP 800-63B (5.1.1.2)
/// asks, so that `é` typed as one code point on one keyboard and as `e` plus a combining accent on
/// another is the same password.
public enum PasswordNormalization {
    /// `password` in NFC; a password that is already NFC (every ASCII one) comes back unchanged.
    public static func nfc(_ password: String) -> String {
        password.precomposedStringWithCanonicalMapping
    }
}
