import Foundation
public import KeywardCrypto

/// Issues, authenticates, lists and revokes sessions.
public struct SessionService: Sendable {
    private let database: any KeywardDatabase
    private let hasher: KeyedHasher
    private let clock: any KeywardClock
    /// The lifetime rules in force.
    public let settings: SessionSettings

    static let tokenPurpose = "session-token"

    /// A service over `database`, hashing tokens with `hasher`.
    public init(database: any KeywardDatabase, hasher: KeyedHasher, clock: any KeywardClock, settings: SessionSettings) {
        self.database = database
        self.hasher = hasher
        self.clock = clock
        self.settings = settings
    }

    /// Creates a session for `accountId` inside the caller's transaction; a new token every time.
    /// `reauthenticated` marks a session begun with password and second factor, which counts as a
    /// fresh re-authentication for sensitive changes made right after.
    public func issue(accountId: String, deviceName: String?, origin: RequestOrigin, reauthenticated: Bool = false,
                      in stores: any KeywardStores) async throws -> IssuedSession {
        let now = clock.now()
        let token = SecureRandom.token()
        let session = Session(
            id: SecureRandom.uuid(), accountId: accountId,
            tokenHash: hasher.hash(token, purpose: Self.tokenPurpose),
            createdAt: now, lastSeenAt: now, expiresAt: now.addingTimeInterval(settings.absoluteLifetime),
            deviceName: deviceName.map { String($0.prefix(100)) }, userAgent: origin.userAgent, ip: origin.ip,
            revokedAt: nil, reauthenticatedAt: reauthenticated ? now : nil)
        try await stores.sessions.insert(session)
        try await stores.audit.record(AuditEvent(
            kind: .sessionCreated, outcome: .success, accountId: accountId, origin: origin, at: now,
            details: ["sessionId": session.id]))
        return IssuedSession(session: session, token: token)
    }

    /// The live session for `token` with its account's identifiers, its activity recorded; `nil`
    /// for an unknown, revoked, idle-expired or expired token. Read from the database on every
    /// call (one statement), so a revocation on any node takes effect at once.
    public func authenticate(token: String) async throws -> SignedInSession? {
        guard token.utf8.count >= 32, token.utf8.count <= 128 else { return nil }
        let tokenHash = hasher.hash(token, purpose: Self.tokenPurpose)
        guard var signedIn = try await database.stores.sessions.findWithIdentifiers(tokenHash: tokenHash) else { return nil }
        let now = clock.now()
        guard signedIn.session.isActive(at: now, idleTimeout: settings.idleTimeout) else { return nil }
        if now.timeIntervalSince(signedIn.session.lastSeenAt) >= settings.touchInterval {
            try await database.stores.sessions.touch(id: signedIn.session.id, at: now)
            signedIn.session.lastSeenAt = now
        }
        return signedIn
    }

    /// The account's live sessions, newest first.
    public func list(accountId: String) async throws -> [Session] {
        let now = clock.now()
        return try await database.stores.sessions.list(accountId: accountId, now: now)
            .filter { $0.isActive(at: now, idleTimeout: settings.idleTimeout) }
    }

    /// Ends `session` (sign-out).
    public func end(_ session: Session, origin: RequestOrigin) async throws {
        let now = clock.now()
        try await database.transaction { stores in
            _ = try await stores.sessions.revoke(id: session.id, accountId: session.accountId, at: now)
            try await stores.audit.record(AuditEvent(
                kind: .sessionEnded, outcome: .success, accountId: session.accountId, origin: origin, at: now,
                details: ["sessionId": session.id]))
        }
    }

    /// Revokes the account's session `id`; throws `session.not_found` when there is no such live session.
    public func revoke(id: String, of accountId: String, origin: RequestOrigin) async throws {
        let now = clock.now()
        try await database.transaction { stores in
            guard try await stores.sessions.revoke(id: id, accountId: accountId, at: now) else {
                throw KeywardError.sessionNotFound
            }
            try await stores.audit.record(AuditEvent(
                kind: .sessionRevoked, outcome: .success, accountId: accountId, origin: origin, at: now,
                details: ["sessionId": id]))
        }
    }

    /// Revokes every other session of the account; returns how many ended.
    public func revokeOthers(than current: Session, origin: RequestOrigin) async throws -> Int {
        let now = clock.now()
        return try await database.transaction { stores in
            let count = try await stores.sessions.revokeAll(accountId: current.accountId, keeping: current.id, at: now)
            try await stores.audit.record(AuditEvent(
                kind: .sessionRevoked, outcome: .success, accountId: current.accountId, origin: origin, at: now,
                details: ["count": String(count), "kept": current.id]))
            return count
        }
    }
}
