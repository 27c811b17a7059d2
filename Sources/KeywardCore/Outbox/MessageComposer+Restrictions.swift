public import Foundation

extension MessageComposer {
    /// The notice sent to every channel when the account is restricted or frozen, or no longer is.
    public func restrictionNotice(_ kind: AccountRestriction.Kind, lifted: Bool, at: Date,
                                  to identifier: Identifier) -> Composed {
        let when = ISO8601.string(at)
        let (subject, text, short): (String, String, String)
        switch (kind, lifted) {
        case (.restricted, false):
            subject = "Your \(platformName) account was restricted"
            text = """
            Our risk control restricted your \(platformName) account at \(when) (UTC) to protect it: we saw activity that did not look like yours. Every device was signed out, and withdrawals are paused.

            To get your account back, open a support request about a restricted account on the "Can't sign in?" page. Support will review it and may ask you to prove who you are. \(platformName) staff will never ask for your password or codes.
            """
            short = "account restricted by risk control; withdrawals paused. Open a support request on the sign-in help page."
        case (.restricted, true):
            subject = "Your \(platformName) account is no longer restricted"
            text = "The restriction on your \(platformName) account was lifted at \(when) (UTC). You can sign in again."
            short = "restriction lifted; you can sign in again."
        case (.frozen, false):
            subject = "Your \(platformName) account was frozen"
            text = """
            Your \(platformName) account was frozen at \(when) (UTC), as you asked. Every device was signed out, nobody can sign in, and withdrawals are paused.

            To unfreeze it, open a support request about a frozen account and upload a photo of your identity document and a selfie; support reviews it. If you did not freeze your account, someone who signed in to it did: tell support in the request.
            """
            short = "account frozen; nobody can sign in and withdrawals are paused. To unfreeze it, open a support request."
        case (.frozen, true):
            subject = "Your \(platformName) account was unfrozen"
            text = "Support unfroze your \(platformName) account at \(when) (UTC). You can sign in again."
            short = "account unfrozen by support; you can sign in again."
        }
        switch identifier.channel {
        case .email: return Composed(subject: subject, body: text)
        case .sms: return Composed(subject: subject, body: "\(platformName): \(short)")
        }
    }

    /// `message` ending with its "this wasn't me" link, which freezes the account after asking.
    public func withFreezeLink(_ link: String, _ message: Composed, channel: DeliveryChannel) -> Composed {
        switch channel {
        case .email:
            return Composed(subject: message.subject, body: """
                \(message.body)

                Not you? Freeze your account now: \(link)
                The link asks before it does anything, works once, and lasts 7 days. Freezing signs out every device and stops all sign-ins and withdrawals until support unfreezes the account.
                """)
        case .sms:
            return Composed(subject: message.subject, body: "\(message.body) Not you? Freeze: \(link)")
        }
    }
}
