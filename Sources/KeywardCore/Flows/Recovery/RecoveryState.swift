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
