public import Foundation

/// What happened to a support case, as its notices tell the person.
public enum CaseNoticeEvent: String, Sendable {
    /// The case was opened.
    case opened
    /// Support wrote in the case.
    case supportWrote = "support_wrote"
    /// Support resolved the case.
    case resolved
    /// Support declined the case.
    case rejected
}

extension MessageComposer {
    /// The notice sent on every channel when a case opens, support writes in it, or it is decided.
    /// It names the case and links to its page; it never carries the case's key.
    public func supportCaseNotice(_ event: CaseNoticeEvent, caseId: String, link: String, at: Date,
                                  to identifier: Identifier) -> Composed {
        let what: String = switch event {
        case .opened: "A support case was opened for your account"
        case .supportWrote: "Support wrote to you in your case"
        case .resolved: "Support resolved your case"
        case .rejected: "Support declined your case"
        }
        let next: String = switch event {
        case .opened: "Upload what the case asks for and send it to support from the case page."
        case .supportWrote: "Read the message and answer on the case page."
        case .resolved, .rejected: "The decision and its reasons are on the case page."
        }
        switch identifier.channel {
        case .email:
            return Composed(
                subject: "\(platformName) support case \(caseId): \(what.lowercased())",
                body: """
                \(what) at \(ISO8601.string(at)) (UTC). Case number: \(caseId).

                \(next) Open it on the device you opened the case on: \(link)

                If you did not contact \(platformName) support, someone who knows your sign-in details may have: change your password now and tell support. \(platformName) staff will never ask you for a password or a code.
                """)
        case .sms:
            return Composed(
                subject: "\(platformName) support case",
                body: "\(platformName): \(what.lowercased()) (case \(caseId)). Not you? Change your password and tell support.")
        }
    }
}
