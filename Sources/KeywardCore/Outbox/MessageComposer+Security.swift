public import Foundation

/// A change to an account's security settings, as notices name it.
public enum SecurityChange: String, Sendable {
    case passwordChanged = "password.changed"
    case authenticatorBound = "authenticator.bound"
    case authenticatorRemoved = "authenticator.removed"
    case phoneAdded = "phone.added"
    case phoneChanged = "phone.changed"
    case emailAdded = "email.added"
    case emailChanged = "email.changed"
    case antiPhishingCodeSet = "anti_phishing_code.set"
    case recoveryCodesGenerated = "recovery_codes.generated"
    case passkeyAdded = "passkey.added"
    case passkeyRemoved = "passkey.removed"
    case authenticatorResetBySupport = "support.authenticator_reset"
    case phoneChangedBySupport = "support.phone_changed"
    case emailChangedBySupport = "support.email_changed"
    case unlockedBySupport = "support.unlocked"
    case signedOutBySupport = "support.sessions_revoked"

    /// What happened, as a sentence fragment.
    var description: String {
        switch self {
        case .passwordChanged: return "Your password was changed"
        case .authenticatorBound: return "An authenticator app was bound to your account"
        case .authenticatorRemoved: return "The authenticator app was removed from your account"
        case .phoneAdded: return "A phone number was added to your account"
        case .phoneChanged: return "The phone number of your account was changed"
        case .emailAdded: return "An email address was added to your account"
        case .emailChanged: return "The email address of your account was changed"
        case .antiPhishingCodeSet: return "Your anti-phishing code was changed"
        case .recoveryCodesGenerated: return "New recovery codes were made for your account; earlier ones no longer work"
        case .passkeyAdded: return "A passkey was added to your account"
        case .passkeyRemoved: return "A passkey was removed from your account"
        case .authenticatorResetBySupport:
            return "Support reset your authenticator app; your passkeys and recovery codes were removed too"
        case .phoneChangedBySupport: return "Support changed the phone number of your account"
        case .emailChangedBySupport: return "Support changed the email address of your account"
        case .unlockedBySupport: return "Support lifted the lock on your account"
        case .signedOutBySupport: return "Support signed your account out on every device"
        }
    }
}

extension MessageComposer {
    /// Puts the account's anti-phishing code at the top of an email.
    public func withAntiPhishingCode(_ phrase: String, body: String) -> String {
        "Your anti-phishing code: \(phrase)\n\n\(body)"
    }

    /// The notice sent to every channel after a security setting changed.
    public func securityChangeNotice(_ change: SecurityChange, at: Date, ip: String?, holdUntil: Date?,
                                     to identifier: Identifier) -> Composed {
        let place = ip.map { " from IP address \($0)" } ?? ""
        let hold = holdUntil.map { " Withdrawals are paused until \(ISO8601.string($0)) (UTC) to protect you." } ?? ""
        switch identifier.channel {
        case .email:
            return Composed(
                subject: "\(platformName) security alert: \(change.description.lowercased())",
                body: """
                \(change.description) at \(ISO8601.string(at)) (UTC)\(place).\(hold)

                If this was you, there is nothing to do. If it was not, reset your password at once with "Forgot password?" on the sign-in page and contact \(platformName) support: someone may be in your account.
                """)
        case .sms:
            return Composed(
                subject: "\(platformName) security alert",
                body: "\(platformName): \(change.description.lowercased())\(place).\(hold) Not you? Reset your password and contact support now.")
        }
    }

    /// The notice sent to every channel when a recovery code was used: how many remain, and after the
    /// last one, to make new ones.
    public func recoveryCodeUsedNotice(remaining: Int, at: Date, ip: String?, to identifier: Identifier) -> Composed {
        let place = ip.map { " from IP address \($0)" } ?? ""
        let left = remaining == 0
            ? "That was your last one: make new recovery codes in your security settings now."
            : "\(remaining) unused recovery code\(remaining == 1 ? "" : "s") remain\(remaining == 1 ? "s" : "")."
        switch identifier.channel {
        case .email:
            return Composed(
                subject: "\(platformName) security alert: a recovery code was used",
                body: """
                A recovery code of your account was used at \(ISO8601.string(at)) (UTC)\(place). \(left)

                If this was not you, reset your password at once with "Forgot password?" on the sign-in page and contact \(platformName) support: someone may have your recovery codes.
                """)
        case .sms:
            return Composed(
                subject: "\(platformName) security alert",
                body: "\(platformName): a recovery code was used\(place). \(left) Not you? Reset your password and contact support now.")
        }
    }

    /// Codes for the second step of a sign-in, for confirming a sensitive change, and for proving a
    /// new phone number or email address.
    func securityCodeMessage(code: String, reason: CodeReason, channel: DeliveryChannel, validMinutes: Int) -> Composed {
        let purpose: String
        var warning = "If you did not ask for it, someone may know your password: change it now."
        switch reason {
        case .signIn: purpose = "sign in to your \(platformName) account"
        case .newContact: purpose = "add this address to your \(platformName) account"
        case .deviceApproval: purpose = "approve a new device signing in to your \(platformName) account"
        case .supportCase:
            purpose = "open a support request for your \(platformName) account"
            warning = "If you did not ask for it, someone is trying to contact support in your name: ignore this message; no request opens without the code."
        case .signInHelp:
            purpose = "see why you cannot sign in to your \(platformName) account, and what to do"
            warning = "If you did not ask for it, ignore this message: nothing is shown without the code, and nothing about your account changed."
        default: purpose = "confirm a change to the security settings of your \(platformName) account"
        }
        switch channel {
        case .email:
            return Composed(
                subject: "\(platformName) security code: \(code)",
                body: """
                Your security code is \(code). Enter it to \(purpose). It works for \(validMinutes) minutes and only once.

                \(warning) \(platformName) staff will never ask you for this code.
                """)
        case .sms:
            return Composed(
                subject: "\(platformName) security code",
                body: "\(platformName): code \(code) to \(purpose). Valid \(validMinutes) min. Never share it, not even with support.")
        }
    }
}
