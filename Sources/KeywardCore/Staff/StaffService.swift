public import Foundation
public import KeywardCrypto

/// A member of staff added, with the one-time enrolment token their link carries.
public struct StaffInvitation: Sendable {
    /// The member.
    public let member: StaffMember
    /// The enrolment token (shown once, stored as a keyed hash).
    public let token: String
    /// When the link stops working.
    public let expiresAt: Date
}

/// A member of staff signed in: their session and its token.
public struct StaffSignedIn: Sendable {
    /// The member.
    public let member: StaffMember
    /// The session.
    public let session: StaffSession
    /// The bearer token (or console cookie) that carries the session.
    public let token: String
}

/// Staff accounts: adding them with a one-time enrolment link, enrolment (a password and an
/// authenticator app, both required), sign-in with both every time, sessions that end after 30
/// idle minutes, and disabling.
public struct StaffService: Sendable {
    private let database: any KeywardDatabase
    private let passwords: any PasswordHashing
    private let policy: PasswordPolicy
    private let authenticators: Authenticators
    private let sealer: Sealer
    private let hasher: KeyedHasher
    private let limits: [RateLimit]
    private let clock: any KeywardClock
    /// Minutes of silence after which a staff session ends (30).
    public let idleTimeout: TimeInterval
    /// How long a staff session lasts at most (12 hours).
    public let absoluteLifetime: TimeInterval
    /// How long an enrolment link works (24 hours).
    public let enrolmentLifetime: TimeInterval

    static let sessionPurpose = "staff-session"
    static let enrolmentPurpose = "staff-enrolment"

    /// A service over the given parts. `limits` bound sign-in attempts per email address and per
    /// client address.
    public init(database: any KeywardDatabase, passwords: any PasswordHashing, policy: PasswordPolicy,
                authenticators: Authenticators, sealer: Sealer, hasher: KeyedHasher, clock: any KeywardClock,
                limits: [RateLimit] = [RateLimit(10, per: 900)], idleTimeout: TimeInterval = 1800,
                absoluteLifetime: TimeInterval = 12 * 3600, enrolmentLifetime: TimeInterval = 86400) {
        self.database = database
        self.passwords = passwords
        self.policy = policy
        self.authenticators = authenticators
        self.sealer = sealer
        self.hasher = hasher
        self.clock = clock
        self.limits = limits
        self.idleTimeout = idleTimeout
        self.absoluteLifetime = absoluteLifetime
        self.enrolmentLifetime = enrolmentLifetime
    }

    /// Adds a member with `role` and returns their enrolment token. Throws `identifier.invalid`
    /// for an email address that is not one, `staff.exists` when it is taken.
    public func add(email raw: String, role: StaffMember.Role) async throws -> StaffInvitation {
        let identifier = try Identifier.parse(raw)
        guard identifier.kind == .email else { throw KeywardError.identifierInvalid }
        let now = clock.now()
        let member = StaffMember(id: SecureRandom.uuid(), email: identifier.value, role: role, status: .invited,
                                 passwordHash: nil, sealedSecret: nil, lastUsedStep: nil, createdAt: now)
        return try await database.transaction { stores in
            guard try await stores.staff.insert(member) else { throw KeywardError.staffExists }
            let invitation = try await invite(member, at: now, in: stores)
            try await record(.staffAdded, staffId: member.id, details: ["role": role.rawValue], in: stores)
            return invitation
        }
    }

    /// A new enrolment link for a member who has not enrolled yet (the first one was lost or ran out).
    public func reinvite(email raw: String) async throws -> StaffInvitation {
        guard let member = try await database.stores.staff.find(email: raw.lowercased()), member.status == .invited else {
            throw KeywardError.staffNotFound
        }
        return try await database.transaction { stores in try await invite(member, at: clock.now(), in: stores) }
    }

    private func invite(_ member: StaffMember, at now: Date, in stores: any KeywardStores) async throws -> StaffInvitation {
        let token = SecureRandom.token()
        let expiresAt = now.addingTimeInterval(enrolmentLifetime)
        try await stores.staff.saveEnrolmentToken(staffId: member.id, tokenHash: hasher.hash(token, purpose: Self.enrolmentPurpose),
                                                  expiresAt: expiresAt)
        return StaffInvitation(member: member, token: token, expiresAt: expiresAt)
    }

    /// Every member of staff.
    public func list() async throws -> [StaffMember] {
        try await database.stores.staff.list()
    }

    /// Disables a member: they can no longer sign in and every session of theirs ends.
    public func disable(email raw: String) async throws -> StaffMember {
        guard let member = try await database.stores.staff.find(email: raw.lowercased()) else { throw KeywardError.staffNotFound }
        return try await database.transaction { stores in
            _ = try await stores.staff.setStatus(id: member.id, from: [.invited, .active], to: .disabled)
            let ended = try await stores.staff.deleteSessions(staffId: member.id)
            try await record(.staffDisabled, staffId: member.id, details: ["sessionsEnded": String(ended)], in: stores)
            var disabled = member
            disabled.status = .disabled
            return disabled
        }
    }

    /// The first step of enrolment: sets the password and returns a fresh authenticator key to add
    /// to an app. Throws `staff.enrolment_invalid` for a link that is unknown, used or expired,
    /// `password.invalid` for a password the policy refuses.
    public func startEnrolment(token: String, password: String) async throws -> AuthenticatorEnrolment {
        let member = try await enrollingMember(token: token)
        try policy.check(password, identifier: Identifier(kind: .email, value: member.email))
        let hash = try await passwords.hash(password)
        let secret = SecureRandom.bytes(authenticators.settings.secretBytes)
        let sealed = try sealer.seal(secret, context: Self.secretContext(member.id))
        try await database.stores.staff.saveEnrolment(id: member.id, passwordHash: hash,
                                                      sealedSecret: Data(sealed).base64EncodedString())
        return try authenticators.enrolment(secret: secret, accountName: member.email)
    }

    /// The second step of enrolment: a code from the app proves it holds the key; the link is used
    /// up and the member may sign in. Throws `staff.enrolment_invalid`, `totp.invalid`.
    public func confirmEnrolment(token: String, code: String) async throws -> StaffMember {
        let member = try await enrollingMember(token: token)
        guard member.sealedSecret != nil, member.passwordHash != nil else { throw KeywardError.staffEnrolmentIncomplete }
        let step = try authenticators.matchingStep(code, secret: try secret(of: member))
        return try await database.transaction { stores in
            guard try await stores.staff.claimStep(id: member.id, step: step),
                  try await stores.staff.useEnrolmentToken(tokenHash: hasher.hash(token, purpose: Self.enrolmentPurpose),
                                                            at: clock.now()),
                  try await stores.staff.setStatus(id: member.id, from: [.invited], to: .active)
            else { throw KeywardError.staffEnrolmentInvalid }
            try await record(.staffEnrolled, staffId: member.id, in: stores)
            var active = member
            active.status = .active
            return active
        }
    }

    private func enrollingMember(token: String) async throws -> StaffMember {
        let stores = database.stores
        guard let id = try await stores.staff.enrolmentToken(tokenHash: hasher.hash(token, purpose: Self.enrolmentPurpose),
                                                             now: clock.now()),
              let member = try await stores.staff.find(id: id), member.status == .invited
        else { throw KeywardError.staffEnrolmentInvalid }
        return member
    }

    /// Signs a member in with their password and a code from their authenticator app. Every
    /// refusal (unknown address, wrong password or code, a replayed code, not enrolled, disabled)
    /// answers `staff.credentials_invalid` alike, after the same password work; attempts are
    /// limited per address and per client address.
    public func signIn(email raw: String, password: String, code: String, origin: RequestOrigin) async throws -> StaffSignedIn {
        let email = raw.trimmingCharacters(in: .whitespaces).lowercased()
        let stores = database.stores
        var rules: [(key: String, limits: [RateLimit])] = [("staff:signin:\(email)", limits)]
        if let ip = origin.ip { rules.append(("staff:signin:ip:\(ip)", limits.map { RateLimit($0.limit * 3, per: $0.window) })) }
        try await RateLimiter(clock: clock).check(rules, in: stores)
        let member = try await stores.staff.find(email: email)
        guard let member, member.status == .active, let stored = member.passwordHash else {
            try await passwords.verifyDummy(password)
            try await recordFailure(member?.id, reason: member?.status.rawValue ?? "unknown", origin: origin)
            throw KeywardError.staffCredentialsInvalid
        }
        guard case .match = try await passwords.verify(password, against: stored) else {
            try await recordFailure(member.id, reason: "password", origin: origin)
            throw KeywardError.staffCredentialsInvalid
        }
        let step: Int64
        do {
            step = try authenticators.matchingStep(code, secret: try secret(of: member))
        } catch {
            try await recordFailure(member.id, reason: "code", origin: origin)
            throw KeywardError.staffCredentialsInvalid
        }
        let token = SecureRandom.token()
        return try await database.transaction { stores in
            guard try await stores.staff.claimStep(id: member.id, step: step) else {
                throw KeywardError.staffCredentialsInvalid
            }
            let now = clock.now()
            let session = StaffSession(id: SecureRandom.uuid(), staffId: member.id,
                                       tokenHash: hasher.hash(token, purpose: Self.sessionPurpose), createdAt: now,
                                       lastSeenAt: now, expiresAt: now.addingTimeInterval(absoluteLifetime))
            try await stores.staff.insertSession(session)
            try await stores.audit.record(AuditEvent(kind: .staffSignedIn, outcome: .success, accountId: nil, origin: origin,
                                                     at: now, details: ["staffId": member.id]))
            return StaffSignedIn(member: member, session: session, token: token)
        }
    }

    /// The active member and session a token carries, or `nil`: a customer's token, an ended
    /// session and a disabled member's all open nothing.
    public func authenticate(token: String) async throws -> (member: StaffMember, session: StaffSession)? {
        let stores = database.stores
        guard let session = try await stores.staff.useSession(tokenHash: hasher.hash(token, purpose: Self.sessionPurpose),
                                                              now: clock.now(), idleTimeout: idleTimeout),
              let member = try await stores.staff.find(id: session.staffId), member.status == .active
        else { return nil }
        return (member, session)
    }

    /// Ends a session.
    public func signOut(_ session: StaffSession) async throws {
        try await database.stores.staff.deleteSession(id: session.id)
    }

    /// Records a staff event (no account concerned) in `stores`.
    private func record(_ kind: AuditEvent.Kind, staffId: String, details: [String: String] = [:],
                        in stores: any KeywardStores) async throws {
        try await stores.audit.record(AuditEvent(kind: kind, outcome: .success, accountId: nil, origin: RequestOrigin(ip: nil, userAgent: nil),
                                                 at: clock.now(), details: details.merging(["staffId": staffId]) { $1 }))
    }

    private func recordFailure(_ staffId: String?, reason: String, origin: RequestOrigin) async throws {
        try await database.stores.audit.record(AuditEvent(
            kind: .staffSignInFailed, outcome: .failure, accountId: nil, origin: origin, at: clock.now(),
            details: ["reason": reason].merging(staffId.map { ["staffId": $0] } ?? [:]) { $1 }))
    }

    private func secret(of member: StaffMember) throws -> [UInt8] {
        guard let text = member.sealedSecret, let sealed = Data(base64Encoded: text) else { throw KeywardError.totpInvalid }
        return try sealer.open(Array(sealed), context: Self.secretContext(member.id))
    }

    private static func secretContext(_ staffId: String) -> String { "staff-authenticator:\(staffId)" }
}
