import Crypto
public import Foundation

/// HOTP (RFC 4226) and TOTP (RFC 6238): the codes authenticator apps show.
public struct OneTimePassword: Sendable, Equatable {
    /// The HMAC hash function.
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha1 = "SHA1"
        case sha256 = "SHA256"
        case sha512 = "SHA512"
    }

    /// The shared secret.
    public let secret: [UInt8]
    /// Digits in a code (6 to 8).
    public let digits: Int
    /// Seconds per time step (30 for every common authenticator).
    public let period: Int
    /// The hash function (SHA-1 for every common authenticator).
    public let algorithm: Algorithm

    /// A generator for `secret`.
    public init(secret: [UInt8], digits: Int = 6, period: Int = 30, algorithm: Algorithm = .sha1) {
        precondition((6...8).contains(digits), "a one-time password has 6 to 8 digits")
        precondition(period > 0, "the time step is positive")
        self.secret = secret
        self.digits = digits
        self.period = period
        self.algorithm = algorithm
    }

    /// The HOTP value for `counter` (RFC 4226 section 5.3, dynamic truncation).
    public func code(counter: UInt64) -> String {
        var message = [UInt8](repeating: 0, count: 8)
        for index in 0..<8 { message[index] = UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64(index))) }
        let key = SymmetricKey(data: secret)
        let mac: [UInt8]
        switch algorithm {
        case .sha1: mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key))
        case .sha256: mac = Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        case .sha512: mac = Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
        }
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let text = String(binary % modulus)
        return String(repeating: "0", count: digits - text.count) + text
    }

    /// The time step containing `date` (RFC 6238 section 4.2, T0 = 0).
    public func step(at date: Date) -> UInt64 {
        UInt64(max(0, date.timeIntervalSince1970.rounded(.down))) / UInt64(period)
    }

    /// The TOTP value at `date`.
    public func code(at date: Date) -> String {
        code(counter: step(at: date))
    }

    /// The step within `window` steps of `date` whose code equals `entered` (compared in constant
    /// time), or `nil`. Callers must refuse a step already used, so that no code works twice.
    public func matchingStep(_ entered: String, at date: Date, window: Int = 1) -> UInt64? {
        let current = step(at: date)
        var found: UInt64?
        for offset in -window...window {
            let candidate = Int64(current) + Int64(offset)
            guard candidate >= 0 else { continue }
            if ConstantTime.equals(Array(code(counter: UInt64(candidate)).utf8), Array(entered.utf8)) {
                found = found ?? UInt64(candidate)
            }
        }
        return found
    }
}
