public import Foundation

/// One run of a multi-step process (registration, login, recovery, a settings change), stored so
/// that every step, and every question about it later, reads the same record.
public struct Flow: Sendable, Equatable {
    /// Which process.
    public struct Kind: RawRepresentable, Sendable, Hashable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Registering a new account and verifying its identifier.
        public static let registration = Kind(rawValue: "registration")
        /// Resetting a forgotten password.
        public static let recovery = Kind(rawValue: "recovery")
        /// A sign-in waiting for its second factor.
        public static let signIn = Kind(rawValue: "login")
        /// Password and second factor entered again before a sensitive change.
        public static let reauthentication = Kind(rawValue: "reauthentication")
        /// Binding or changing the phone number or email address.
        public static let contactChange = Kind(rawValue: "contact_change")
        /// Binding an authenticator app: the secret shown, waiting for the app's first code.
        public static let authenticatorEnrolment = Kind(rawValue: "authenticator_enrolment")
        /// A one-request change to the security settings, recorded complete.
        public static let settingsChange = Kind(rawValue: "settings_change")
        /// Registering a passkey from the security settings.
        public static let passkeyRegistration = Kind(rawValue: "passkey_registration")
        /// Signing in with a passkey alone.
        public static let passkeySignIn = Kind(rawValue: "passkey_sign_in")
        /// A support case opened without the password, waiting for the code sent to the identifier.
        public static let supportCaseOpening = Kind(rawValue: "support_case_opening")
        /// A new phone number or email address set by support, waiting for the person's code.
        public static let supportContact = Kind(rawValue: "support_contact")
        /// "Can't sign in?": a code sent to the identifier given, waiting to show what stands in the way.
        public static let signInHelp = Kind(rawValue: "sign_in_help")
    }

    /// A random id, handed to the client.
    public let id: String
    /// Which process.
    public let kind: Kind
    /// Where the flow stands; each kind defines its states.
    public var state: String
    /// The account the flow acts on.
    public let accountId: String?
    /// The identifier the flow started with.
    public let identifier: Identifier?
    /// When it began.
    public let createdAt: Date
    /// When it last changed.
    public var updatedAt: Date
    /// After this the flow can no longer advance.
    public let expiresAt: Date
    /// The kind's context as JSON text (never a secret in clear); read it through ``FlowKind``.
    public var context: String
    /// The Argon2id hash of the password a pending registration will set, kept in a column of its
    /// own (never in the payload) and erased by the flow's first transition.
    public let passwordHash: String?

    /// A flow record.
    public init(id: String, kind: Kind, state: String, accountId: String?, identifier: Identifier?,
                createdAt: Date, updatedAt: Date, expiresAt: Date, context: String, passwordHash: String? = nil) {
        self.id = id
        self.kind = kind
        self.state = state
        self.accountId = accountId
        self.identifier = identifier
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.expiresAt = expiresAt
        self.context = context
        self.passwordHash = passwordHash
    }
}

extension Flow {
    /// The record after a transition to `state` with `context` at `now`.
    func with(state: String, context: String, at now: Date) -> Flow {
        return Flow(id: id, kind: kind, state: state, accountId: accountId, identifier: identifier, createdAt: createdAt,
                    updatedAt: now, expiresAt: expiresAt, context: context, passwordHash: nil)
    }
}

/// Stored flows.
public protocol FlowStore: Sendable {
    /// Stores a new flow.
    func insert(_ flow: Flow) async throws

    /// The flow with `id`.
    func find(id: String) async throws -> Flow?

    /// Moves the flow from `expected` to `newState` with `context`, only if it is still in
    /// `expected`; `false` when another request moved it first. Every transition erases the flow's
    /// ``Flow/passwordHash``, which is needed only while the flow waits in the state it began in.
    func transition(id: String, from expected: String, to newState: String, at: Date,
                    context: String) async throws -> Bool

    /// The account's newest flow of `kind` in `state`, or `nil`.
    func newest(accountId: String, kind: Flow.Kind, state: String) async throws -> Flow?

    /// Deletes flows that expired before `cutoff`; returns how many.
    func deleteExpired(before cutoff: Date) async throws -> Int

    /// The account's flows that began at or after `since`, newest first, at most `limit`.
    func list(accountId: String, since: Date, limit: Int) async throws -> [Flow]

    /// Moves every other flow of `kind` for the account that is in `state` to `newState`.
    func transitionOthers(accountId: String, kind: Flow.Kind, except id: String, from state: String,
                          to newState: String, at: Date) async throws
}
