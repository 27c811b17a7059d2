public import Foundation

/// How long withdrawals are held after each kind of security change; 0 places no hold.
public struct ChangeHoldSettings: Sendable, Equatable {
    /// After the password is changed while signed in (default 24 hours).
    public var afterPasswordChange: TimeInterval
    /// After an authenticator is bound, replaced or removed (default 24 hours).
    public var afterAuthenticatorChange: TimeInterval
    /// After the phone number or email address is bound or changed (default 24 hours).
    public var afterContactChange: TimeInterval
    /// After support resets a second factor or replaces a phone number or email address (default 48 hours).
    public var afterSupportReset: TimeInterval

    /// Settings with explicit durations.
    public init(afterPasswordChange: TimeInterval = 24 * 3600, afterAuthenticatorChange: TimeInterval = 24 * 3600,
                afterContactChange: TimeInterval = 24 * 3600, afterSupportReset: TimeInterval = 48 * 3600) {
        self.afterPasswordChange = afterPasswordChange
        self.afterAuthenticatorChange = afterAuthenticatorChange
        self.afterContactChange = afterContactChange
        self.afterSupportReset = afterSupportReset
    }
}

/// What the security settings page and `GET /api/v1/account/security` show.
public struct SecurityOverview: Sendable {
    /// The bound factors.
    public let policy: AccountFactors
    /// The methods sign-in asks for.
    public let signInMethods: [SecondFactorOption]
    /// When the authenticator was bound, if one is.
    public let authenticatorBoundAt: Date?
    /// Whether an anti-phishing code is set (the code itself is only shown in emails).
    public let antiPhishingCodeSet: Bool
    /// Holds in force.
    public let holds: [SecurityHold]
    /// Until when the session may make sensitive changes without confirming again.
    public let reauthenticatedUntil: Date?
}

/// The rules of an anti-phishing code: 4–20 letters, digits, dashes or underscores.
public enum AntiPhishingCode {
    /// The code trimmed, or `anti_phishing_code.invalid`.
    public static func validate(_ raw: String) throws(KeywardError) -> String {
        let code = raw.trimmingCharacters(in: .whitespaces)
        guard (4...20).contains(code.count),
              code.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" })
        else { throw .antiPhishingCodeInvalid }
        return code
    }
}
