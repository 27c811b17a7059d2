/// The rules a new password must meet.
///
/// Two presets: ``exchange`` (8–128 characters with an uppercase letter, a lowercase letter and a
/// digit, as exchanges commonly require) and ``nist`` (NIST SP 800-63B rev 4: at least 15
/// characters, no composition rules). Both reject common passwords and passwords containing the
/// identifier's local part. Every failed rule is reported at once.
public struct PasswordPolicy: Sendable, Equatable {
    /// The preset names accepted in configuration.
    public enum Preset: String, Sendable, CaseIterable {
        case exchange
        case nist
    }

    /// Fewest characters allowed.
    public var minimumLength: Int
    /// Most characters allowed.
    public var maximumLength: Int
    /// Whether an uppercase letter, a lowercase letter and a digit are each required.
    public var requiresComposition: Bool

    /// A policy with explicit limits.
    public init(minimumLength: Int, maximumLength: Int, requiresComposition: Bool) {
        self.minimumLength = minimumLength
        self.maximumLength = maximumLength
        self.requiresComposition = requiresComposition
    }

    /// The policy of `preset`.
    public init(preset: Preset) {
        switch preset {
        case .exchange: self = .exchange
        case .nist: self = .nist
        }
    }

    /// 8–128 characters with at least one uppercase letter, one lowercase letter and one digit.
    public static let exchange = PasswordPolicy(minimumLength: 8, maximumLength: 128, requiresComposition: true)
    /// At least 15 characters (up to 128), no composition rules.
    public static let nist = PasswordPolicy(minimumLength: 15, maximumLength: 128, requiresComposition: false)

    /// Every rule `password` breaks for an account identified by `identifier`; empty when it is acceptable.
    ///
    /// Length counts characters as a person sees them (grapheme clusters).
    public func violations(of password: String, identifier: Identifier?) -> [KeywardError.Violation] {
        var found: [KeywardError.Violation] = []
        let length = password.count
        if length < minimumLength {
            found.append(.init(code: "password.too_short", parameters: ["minimum": String(minimumLength)]))
        }
        if length > maximumLength {
            found.append(.init(code: "password.too_long", parameters: ["maximum": String(maximumLength)]))
        }
        if requiresComposition {
            if !password.unicodeScalars.contains(where: { $0.properties.isUppercase }) {
                found.append(.init(code: "password.needs_uppercase"))
            }
            if !password.unicodeScalars.contains(where: { $0.properties.isLowercase }) {
                found.append(.init(code: "password.needs_lowercase"))
            }
            if !password.unicodeScalars.contains(where: { ("0"..."9").contains($0) }) {
                found.append(.init(code: "password.needs_digit"))
            }
        }
        if CommonPasswords.shared.contains(password) {
            found.append(.init(code: "password.common"))
        }
        if let local = identifier?.localPart.lowercased(), local.count >= 3,
           password.lowercased().contains(local) {
            found.append(.init(code: "password.contains_identifier"))
        }
        return found
    }

    /// Throws `password.invalid` listing every broken rule, or returns when the password is acceptable.
    public func check(_ password: String, identifier: Identifier?) throws(KeywardError) {
        let found = violations(of: password, identifier: identifier)
        if !found.isEmpty { throw .passwordRejected(found) }
    }
}
