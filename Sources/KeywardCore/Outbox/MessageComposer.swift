public import Foundation

/// Writes the text of every message Keyward sends.
public struct MessageComposer: Sendable {
    /// Why a code is being sent, which decides the wording.
    public enum CodeReason: String, Sendable {
        case registration
        case recovery
        /// The second step of a sign-in.
        case signIn = "sign_in"
        /// Confirming who you are before a sensitive change (re-authentication, the old phone or email).
        case confirmation
        /// Proving control of a new phone number or email address.
        case newContact = "new_contact"
        /// Proving a phone or email address to open a support case for the account.
        case supportCase = "support_case"
        /// Approving a new device after a sign-in's second factor.
        case deviceApproval = "device_approval"
        /// Proving a phone or email address to see what stands in the way of signing in ("Can't sign in?").
        case signInHelp = "sign_in_help"
    }

    /// The subject and text of one message.
    public struct Composed: Sendable {
        /// Email subject.
        public let subject: String
        /// Text.
        public let body: String

        /// A message with `subject` and `body`.
        public init(subject: String, body: String) {
            self.subject = subject
            self.body = body
        }
    }

    /// The platform's name as people know it, shown in every message.
    public let platformName: String

    /// A composer naming `platformName`.
    public init(platformName: String) {
        self.platformName = platformName
    }

    /// The message carrying a one-time code.
    public func codeMessage(code: String, reason: CodeReason, to identifier: Identifier, validMinutes: Int) -> Composed {
        switch (reason, identifier.channel) {
        case (.registration, .email):
            return Composed(
                subject: "\(platformName) verification code: \(code)",
                body: """
                Your \(platformName) verification code is \(code).

                Enter it on the registration page to finish creating your account. It works for \(validMinutes) minutes and only once.

                If you did not try to register, ignore this message; no account is created without the code. \(platformName) staff will never ask you for this code.
                """)
        case (.registration, .sms):
            return Composed(
                subject: "\(platformName) verification code",
                body: "\(platformName): your verification code is \(code). Valid \(validMinutes) min. Never share it, not even with support.")
        case (.recovery, .email):
            return Composed(
                subject: "\(platformName) password reset code: \(code)",
                body: """
                Someone asked to reset the password of your \(platformName) account. Your code is \(code).

                It works for \(validMinutes) minutes and only once. After the reset, withdrawals are paused for a while to protect you.

                If this was not you, do not share the code with anyone; your password stays as it is. \(platformName) staff will never ask you for this code.
                """)
        case (.recovery, .sms):
            return Composed(
                subject: "\(platformName) password reset code",
                body: "\(platformName): password reset code \(code). Valid \(validMinutes) min. Not you? Ignore this; never share the code.")
        case (.signIn, _), (.confirmation, _), (.newContact, _), (.supportCase, _), (.deviceApproval, _), (.signInHelp, _):
            return securityCodeMessage(code: code, reason: reason, channel: identifier.channel, validMinutes: validMinutes)
        }
    }

    /// The notice sent when wrong passwords lock the account.
    public func lockNotice(failures: Int, ip: String?, at: Date, until: Date, to identifier: Identifier) -> Composed {
        let place = ip.map { "from IP address \($0)" } ?? "from an unknown address"
        let when = ISO8601.string(at), end = ISO8601.string(until)
        switch identifier.channel {
        case .email:
            return Composed(
                subject: "Your \(platformName) account was locked",
                body: """
                Your \(platformName) account was locked at \(when) (UTC) after \(failures) failed sign-in attempts \(place).

                The lock ends at \(end) (UTC). Every further attempt while it lasts extends it, so wait.

                If this was not you, someone may be guessing your password: change it now with "Forgot password?" on the sign-in page. That also lifts the lock.
                """)
        case .sms:
            return Composed(
                subject: "\(platformName) account locked",
                body: "\(platformName): account locked after \(failures) failed sign-ins \(place) until \(end) UTC. Not you? Reset your password now.")
        }
    }

    /// The notice sent on every channel after a password reset.
    public func passwordResetNotice(at: Date, ip: String?, holdUntil: Date?, to identifier: Identifier) -> Composed {
        let place = ip.map { " from IP address \($0)" } ?? ""
        let hold = holdUntil.map { " Withdrawals are paused until \(ISO8601.string($0)) (UTC)." } ?? ""
        switch identifier.channel {
        case .email:
            return Composed(
                subject: "Your \(platformName) password was changed",
                body: """
                The password of your \(platformName) account was reset at \(ISO8601.string(at)) (UTC)\(place). Every device was signed out.\(hold)

                If this was not you, contact \(platformName) support immediately: your account may be at risk.
                """)
        case .sms:
            return Composed(
                subject: "\(platformName) password changed",
                body: "\(platformName): your password was reset\(place); all devices signed out.\(hold) Not you? Contact support now.")
        }
    }
}
