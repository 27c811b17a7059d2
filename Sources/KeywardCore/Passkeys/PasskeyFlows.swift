/// The states of a passkey ceremony: waiting for the browser's answer, then done.
public enum PasskeyCeremonyState: String, Sendable {
    /// The options were handed out; the answer has not come.
    case waiting = "waiting_for_passkey"
    /// A passkey answered; the challenge can never be used again.
    case completed
}

/// A passkey being registered from the security settings by one signed-in session.
public enum PasskeyRegistrationFlow: FlowKind {
    /// What the registration remembers.
    public struct Context: Codable, Sendable, Equatable {
        /// The session that asked for the options; no other may finish the ceremony.
        public var sessionId: String

        /// The context of a ceremony asked for by `sessionId`.
        public init(sessionId: String) {
            self.sessionId = sessionId
        }
    }

    public typealias State = PasskeyCeremonyState
    public static let kind = Flow.Kind.passkeyRegistration
    public static let completedState = PasskeyCeremonyState.completed
    public static let errors = FlowErrors.flow
}

/// A sign-in with a passkey alone, before anyone knows which account it is for.
public enum PasskeySignInFlow: FlowKind {
    public typealias Context = NoFlowContext
    public typealias State = PasskeyCeremonyState
    public static let kind = Flow.Kind.passkeySignIn
    public static let completedState = PasskeyCeremonyState.completed
    public static let errors = FlowErrors.flow
}
