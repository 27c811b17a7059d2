/// Binding an authenticator app: its secret was shown, and the flow waits for the app's first
/// code. The pending authenticator holds the sealed secret; the flow is the process others see.
public enum AuthenticatorEnrolmentFlow: FlowKind {
    /// Where an enrolment stands.
    public enum State: String, Sendable {
        /// The secret was shown; the first code has not come.
        case waitingForCode = "waiting_for_code"
        /// A newer enrolment took its place.
        case replaced
        /// The app's code was right; the authenticator is bound.
        case completed
    }

    /// What the enrolment remembers.
    public struct Context: Codable, Sendable, Equatable {
        /// The pending authenticator it confirms.
        public var authenticatorId: String
    }

    public static let kind = Flow.Kind.authenticatorEnrolment
    public static let completedState = State.completed
    public static let errors = FlowErrors(notFound: .authenticatorNotPending, expired: .authenticatorNotPending,
                                          completed: .authenticatorNotPending)
}
