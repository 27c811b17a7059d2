public import Foundation

/// A member of the platform's support staff. Staff are not customers: they have their own table,
/// roles, sessions and cookie, and sign in with a password and an authenticator app, always.
public struct StaffMember: Sendable, Equatable {
    /// What a member of staff may do.
    public enum Role: String, Sendable, CaseIterable, Codable {
        /// Works the queue: reads cases and documents, writes to people, proposes actions.
        case agent
        /// An agent who may also approve another's dangerous action.
        case reviewer
        /// A reviewer who may also manage staff.
        case admin

        /// Whether the role may approve (or, without four eyes, apply) a dangerous action.
        public var approves: Bool { self != .agent }
    }

    /// Where the member stands.
    public enum Status: String, Sendable, Codable {
        /// Added; the enrolment link has not been used to set a password and an authenticator yet.
        case invited
        /// Enrolled; may sign in.
        case active
        /// May no longer sign in; every session ended.
        case disabled
    }

    /// A random id, recorded on everything the member does.
    public let id: String
    /// The member's work email address, lowercased: how they sign in.
    public let email: String
    /// What they may do.
    public let role: Role
    /// Where they stand.
    public var status: Status
    /// The Argon2id hash of their password, once enrolled.
    public var passwordHash: String?
    /// Their authenticator secret, sealed (base64), once enrolment began.
    public var sealedSecret: String?
    /// The last time step whose authenticator code was accepted.
    public var lastUsedStep: Int64?
    /// When they were added.
    public let createdAt: Date

    /// A staff record.
    public init(id: String, email: String, role: Role, status: Status, passwordHash: String?, sealedSecret: String?,
                lastUsedStep: Int64?, createdAt: Date) {
        self.id = id
        self.email = email
        self.role = role
        self.status = status
        self.passwordHash = passwordHash
        self.sealedSecret = sealedSecret
        self.lastUsedStep = lastUsedStep
        self.createdAt = createdAt
    }
}

/// A signed-in member of staff's session. Only its token's keyed hash is stored.
public struct StaffSession: Sendable, Equatable {
    /// A random id.
    public let id: String
    /// Whose it is.
    public let staffId: String
    /// The keyed hash of its token.
    public let tokenHash: String
    /// When it began.
    public let createdAt: Date
    /// When it was last used; it ends after the idle timeout without use.
    public var lastSeenAt: Date
    /// When it ends whatever its use.
    public let expiresAt: Date

    /// A session record.
    public init(id: String, staffId: String, tokenHash: String, createdAt: Date, lastSeenAt: Date, expiresAt: Date) {
        self.id = id
        self.staffId = staffId
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
    }
}

/// Stored staff, their enrolment links and sessions.
public protocol StaffStore: Sendable {
    /// Stores a new member; `false` when the email address is taken.
    func insert(_ member: StaffMember) async throws -> Bool
    /// The member with `id`.
    func find(id: String) async throws -> StaffMember?
    /// The member with `email` (lowercased).
    func find(email: String) async throws -> StaffMember?
    /// Every member, by email.
    func list() async throws -> [StaffMember]
    /// Saves the member's password hash and sealed secret while they enrol.
    func saveEnrolment(id: String, passwordHash: String, sealedSecret: String) async throws
    /// Moves the member from `expected` to `status`; `false` when they were not in `expected`.
    func setStatus(id: String, from expected: [StaffMember.Status], to status: StaffMember.Status) async throws -> Bool
    /// Atomically records that the authenticator code of `step` was used, only if no code of this
    /// step or a later one was; `false` means a replay.
    func claimStep(id: String, step: Int64) async throws -> Bool

    /// Stores an enrolment link's keyed hash for the member, replacing earlier ones.
    func saveEnrolmentToken(staffId: String, tokenHash: String, expiresAt: Date) async throws
    /// The member an unused, unexpired enrolment link opens.
    func enrolmentToken(tokenHash: String, now: Date) async throws -> String?
    /// Uses the member's enrolment link up; `false` when it was used already.
    func useEnrolmentToken(tokenHash: String, at: Date) async throws -> Bool

    /// Stores a new session.
    func insertSession(_ session: StaffSession) async throws
    /// The session whose token has `tokenHash`, if it has not ended by `now` (idle for less than
    /// `idleTimeout`, before its expiry), touching it.
    func useSession(tokenHash: String, now: Date, idleTimeout: TimeInterval) async throws -> StaffSession?
    /// Ends one session.
    func deleteSession(id: String) async throws
    /// Ends every session of the member; returns how many.
    func deleteSessions(staffId: String) async throws -> Int
}
