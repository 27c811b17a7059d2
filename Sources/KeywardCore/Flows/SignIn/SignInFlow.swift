/// A sign-in whose password was right, waiting for its second factor.
public enum SignInFlow: FlowKind {
    /// What a sign-in remembers between its steps.
    public struct Context: SecondFactorContext, Equatable {
        /// The guess scope its password was counted in (``GuessScope/storedName``), which its second
        /// factor counts in too.
        public var scope: String?
        /// The keyed hash of the device's id, remembered as known once the sign-in completes.
        public var deviceHash: String?
        /// The name the person gave the device.
        public var deviceName: String?
        /// The methods offered.
        public var offered: FlowList<SecondFactorMethod>
        /// Risk control asked for the device to be approved after the second factor.
        public var approveDevice: Bool?
        /// The second factor accepted, once the flow waits for the device's approval.
        public var acceptedMethod: SecondFactorMethod?

        /// The methods offered.
        public var methods: [SecondFactorMethod] { offered.values }

        enum CodingKeys: String, CodingKey {
            case scope, deviceHash, deviceName, approveDevice, acceptedMethod
            case offered = "methods"
        }
    }

    public typealias State = SecondFactorState
    public static let kind = Flow.Kind.signIn
    public static let completedState = SecondFactorState.completed
    public static let errors = FlowErrors.flow

    /// A sign-in waiting for its device's approval takes no second factor, and one still waiting
    /// for its second factor has no approval to take.
    public static func wrongState(expected: State, actual: State) -> KeywardError {
        if actual == .deviceApprovalRequired { return .deviceApprovalPending }
        if expected == .deviceApprovalRequired, actual == .secondFactorRequired { return .deviceApprovalNotPending }
        return expired
    }
}

/// Password and second factor entered again by a signed-in session, waiting for the second factor.
public enum ReauthenticationFlow: FlowKind {
    /// What a re-authentication remembers.
    public struct Context: SecondFactorContext, Equatable {
        /// The session that is re-authenticating; no other may finish the flow.
        public var sessionId: String?
        /// The methods offered.
        public var offered: FlowList<SecondFactorMethod>

        /// The methods offered.
        public var methods: [SecondFactorMethod] { offered.values }

        enum CodingKeys: String, CodingKey {
            case sessionId
            case offered = "methods"
        }
    }

    public typealias State = SecondFactorState
    public static let kind = Flow.Kind.reauthentication
    public static let completedState = SecondFactorState.completed
    public static let errors = FlowErrors.flow
}
