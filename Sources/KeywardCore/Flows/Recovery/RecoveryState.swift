public import Foundation

/// The states of a password-recovery flow.
///
/// `codeSent` → `verified` → `completed`. When the account has a second factor, the flow passes
/// through `secondFactorRequired` between the code and the new password: recovery never bypasses a
/// second factor. (Accounts have none until second factors exist; the state is reserved for them.)
public enum RecoveryState: String, Sendable {
    /// A code went to the identifier; waiting for it.
    case codeSent = "code_sent"
    /// The code was right; a second factor must be checked before the password may change.
    case secondFactorRequired = "second_factor_required"
    /// Every check passed; waiting for the new password.
    case verified
    /// The password was changed.
    case completed
    /// Another recovery of the same account finished first; this one can no longer change anything.
    case superseded
}

/// A password recovery as a flow kind.
public enum RecoveryFlow: FlowKind {
    /// What a recovery remembers: once its code is right, the second factors it then accepts.
    public struct Context: SecondFactorContext, Equatable {
        /// The methods offered for the second factor; none before the code step.
        public var offered: FlowList<SecondFactorMethod>?

        /// A context offering `methods`.
        public init(methods: [SecondFactorMethod] = []) {
            offered = methods.isEmpty ? nil : FlowList(methods)
        }

        /// The methods offered.
        public var methods: [SecondFactorMethod] { offered?.values ?? [] }

        enum CodingKeys: String, CodingKey {
            case offered = "methods"
        }
    }

    public typealias State = RecoveryState
    public static let kind = Flow.Kind.recovery
    public static let completedState = RecoveryState.completed
    public static let errors = FlowErrors(notFound: .recoveryNotFound, expired: .recoveryExpired,
                                          completed: .recoveryCompleted)

    /// A superseded recovery is over; otherwise the answer says which step comes first.
    public static func wrongState(expected: RecoveryState, actual: RecoveryState) -> KeywardError {
        switch (expected, actual) {
        case (_, .superseded): .recoveryExpired
        case (.verified, .secondFactorRequired): .recoverySecondFactorRequired
        case (.verified, _), (.secondFactorRequired, .codeSent): .recoveryNotVerified
        default: .recoveryAlreadyVerified
        }
    }
}

/// Where a recovery stands, for pages.
public struct RecoveryStatus: Sendable {
    /// The state.
    public let state: RecoveryState
    /// The identifier the code went to.
    public let identifier: Identifier?
    /// When another code may be asked for.
    public let resendAvailableAt: Date
    /// Where the newest code's delivery stands.
    public let delivery: OutboxDelivery?
}

/// What a started recovery tells the client.
public struct RecoveryStarted: Sendable, Equatable {
    /// The flow id.
    public let flowId: String
    /// Where the code went.
    public let channel: DeliveryChannel
    /// When another code may be asked for.
    public let resendAvailableAt: Date
}

/// What a finished recovery tells the client.
public struct RecoveryCompleted: Sendable, Equatable {
    /// The account whose password changed.
    public let accountId: String
    /// How many sessions were signed out.
    public let sessionsRevoked: Int
    /// Holds placed by the reset.
    public let holds: [SecurityHold]
}
