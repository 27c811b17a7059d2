/// Binding or changing a phone number or email address as a flow kind. The flow's identifier is
/// the new phone number or address.
public enum ContactChangeFlow: FlowKind {
    /// Where a change stands.
    public enum State: String, Sendable {
        /// The codes went out; waiting for them.
        case codesSent = "codes_sent"
        /// The new identifier is bound.
        case completed
    }

    /// What a change remembers.
    public struct Context: Codable, Sendable, Equatable {
        /// The identifier it replaces, if one of its kind was bound.
        public var old: String?
        /// Every proof the change needs.
        public var proofs: FlowList<ContactProof>
    }

    public static let kind = Flow.Kind.contactChange
    public static let completedState = State.completed
    public static let errors = FlowErrors.flow
}
