/// A new phone number or email address support set on a case: it waits for the code sent to it,
/// entered on the case page, before it replaces the account's old one.
public enum SupportContactFlow: FlowKind {
    /// Where the confirmation stands.
    public enum State: String, Sendable {
        /// The code went to the new phone number or address.
        case codeSent = "code_sent"
        /// The person entered it and the new one is bound.
        case completed
    }

    /// What the confirmation remembers.
    public struct Context: Codable, Sendable, Equatable {
        /// The case it belongs to.
        public var caseId: String
        /// The action that set it.
        public var actionId: String
    }

    public static let kind = Flow.Kind.supportContact
    public static let completedState = State.completed
    public static let errors = FlowErrors(notFound: .caseNoContactPending, expired: .codeExpired,
                                          completed: .caseNoContactPending)
}
