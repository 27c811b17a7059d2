public import Foundation

/// The states of a registration flow.
public enum RegistrationState: String, Sendable {
    /// A code was sent; waiting for the person to enter it.
    case pendingVerification = "pending_verification"
    /// The code was entered and the account is active.
    case completed
    /// A newer registration of the same identifier replaced this one.
    case superseded
}

/// A registration as a flow kind.
public enum RegistrationFlow: FlowKind {
    /// What a registration remembers. The password hash it will set has a column of its own,
    /// erased by the flow's first transition; registrations begun before that kept it here.
    public struct Context: Codable, Sendable, Equatable {
        /// Read from registrations begun before the hash had its own column; never written.
        public let passwordHash: String?

        /// The context of a new registration.
        public init() { passwordHash = nil }
    }

    public typealias State = RegistrationState
    public static let kind = Flow.Kind.registration
    public static let completedState = RegistrationState.completed
    public static let errors = FlowErrors(notFound: .registrationNotFound, expired: .registrationExpired,
                                          completed: .registrationCompleted)
}

/// What a started (or resumed) registration tells the client.
public struct RegistrationStarted: Sendable, Equatable {
    /// The flow id, used to verify and to resend.
    public let registrationId: String
    /// Always `pending_verification`.
    public let status: RegistrationState
    /// Where the code went.
    public let channel: DeliveryChannel
    /// When another code may be asked for.
    public let resendAvailableAt: Date
    /// Whether this answer resumed a registration whose code had just been sent, sending none now.
    public let codeAlreadySent: Bool

    /// What a start or resend tells the client.
    public init(registrationId: String, status: RegistrationState, channel: DeliveryChannel, resendAvailableAt: Date,
                codeAlreadySent: Bool = false) {
        self.registrationId = registrationId
        self.status = status
        self.channel = channel
        self.resendAvailableAt = resendAvailableAt
        self.codeAlreadySent = codeAlreadySent
    }
}

/// What a completed registration gives the client: the active account and a first session.
public struct RegistrationCompleted: Sendable {
    /// The account.
    public let accountId: String
    /// The session signed in with.
    public let session: IssuedSession
}
