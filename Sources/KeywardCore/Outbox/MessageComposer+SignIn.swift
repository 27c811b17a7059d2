public import Foundation

extension MessageComposer {
    /// The warning sent to every channel after a sign-in from a network or country the account
    /// has not been used from. It names what the owner needs to recognise the sign-in and, if it
    /// was not them, what to do at once; it carries no link, so that a forged copy cannot lead
    /// anywhere the owner would not type in themselves.
    /// "Was this you?": a sign-in from a new device passed its password and second factor and waits
    /// for `code`, with where it comes from so that the owner can tell.
    public func deviceApprovalMessage(code: String, at: Date, origin: RequestOrigin, deviceName: String?,
                                      validMinutes: Int, to identifier: Identifier) -> Composed {
        let address = origin.ip ?? "unknown"
        let country = origin.country.map { " (country: \($0))" } ?? ""
        switch identifier.channel {
        case .email:
            var details = ["Time: \(ISO8601.string(at)) (UTC)", "IP address: \(address)\(country)"]
            if let deviceName, !deviceName.isEmpty { details.append("Device name: \(deviceName)") }
            if let agent = origin.userAgent, !agent.isEmpty { details.append("Browser or app: \(agent.prefix(160))") }
            return Composed(
                subject: "Was this you? Approve a new device for \(platformName): \(code)",
                body: """
                Someone signed in to your \(platformName) account with your password and second factor, from a device it has not been used from before:

                \(details.joined(separator: "\n"))

                If this was you, enter this code on the sign-in page to approve the device: \(code)
                It works for \(validMinutes) minutes and only once.

                If it was not you, do not enter or share the code: without it nobody gets in. Someone has your password and passed your second factor, so change your password now with "Forgot password?" on the sign-in page, typing the address yourself. \(platformName) staff will never ask you for this code.
                """)
        case .sms:
            return Composed(
                subject: "\(platformName) new device approval",
                body: "\(platformName): a new device (IP \(address)\(country)) passed your password and second factor. Approve it with code \(code). Not you? Never share it; change your password now.")
        }
    }

    public func newSignInNotice(at: Date, origin: RequestOrigin, deviceName: String?, newCountry: Bool,
                                to identifier: Identifier) -> Composed {
        let place = newCountry ? "a country" : "a network"
        let address = origin.ip ?? "unknown"
        let country = origin.country.map { " (country: \($0))" } ?? ""
        switch identifier.channel {
        case .email:
            var details = [
                "Time: \(ISO8601.string(at)) (UTC)",
                "IP address: \(address)\(country)",
            ]
            if let deviceName, !deviceName.isEmpty {
                details.append("Device name: \(deviceName)")
            }
            if let agent = origin.userAgent, !agent.isEmpty {
                details.append("Browser or app: \(agent.prefix(160))")
            }
            return Composed(
                subject: "New sign-in to your \(platformName) account",
                body: """
                Your \(platformName) account was just signed in to from \(place) it has not been used from before.

                \(details.joined(separator: "\n"))

                If this was you, there is nothing to do.

                If it was not you, someone has your password and passed your second factor. Right now: reset your password with "Forgot password?" on the sign-in page (type the address yourself rather than following a link), which signs every device out and pauses withdrawals; then contact \(platformName) support.
                """)
        case .sms:
            return Composed(
                subject: "\(platformName) new sign-in",
                body: "\(platformName): new sign-in from IP \(address)\(country) at \(ISO8601.string(at)) UTC. Not you? Reset your password now and contact support.")
        }
    }
}
