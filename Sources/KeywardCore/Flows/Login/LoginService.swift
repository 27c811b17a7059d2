public import Foundation

/// What a successful password sign-in gives the client.
public struct LoginSucceeded: Sendable {
    /// The account signed in to.
    public let accountId: String
    /// The new session.
    public let session: IssuedSession
}

/// Password sign-in.
///
/// With `revealAccountExistence` on (the default, as most exchanges do) an unknown identifier and an
/// unfinished registration each get their own answer, so the person learns what to fix. Off, all
/// failures answer `credentials.invalid` identically, after the same Argon2id work.
public struct LoginService: Sendable {
    private let database: any KeywardDatabase
    private let passwords: any PasswordHashing
    private let sessions: SessionService
    private let clock: any KeywardClock
    /// Whether failures say which part was wrong.
    public let revealAccountExistence: Bool

    /// A service over the given parts.
    public init(database: any KeywardDatabase, passwords: any PasswordHashing, sessions: SessionService,
                clock: any KeywardClock, revealAccountExistence: Bool) {
        self.database = database
        self.passwords = passwords
        self.sessions = sessions
        self.clock = clock
        self.revealAccountExistence = revealAccountExistence
    }

    /// Signs in with an identifier and password, issuing a new session.
    ///
    /// Throws `identifier.invalid`, `account.not_found`, `account.registration_incomplete` or
    /// `credentials.invalid` (only the last in strict mode).
    public func login(identifier raw: String, password: String, deviceName: String?,
                      origin: RequestOrigin) async throws -> LoginSucceeded {
        let identifier: Identifier
        do {
            identifier = try Identifier.parse(raw)
        } catch {
            if revealAccountExistence { throw error }
            try await passwords.verifyDummy(password)
            throw KeywardError.credentialsInvalid
        }
        let account = try await database.stores.accounts.find(identifier: identifier)
        guard let account, account.status == .active, let stored = account.passwordHash else {
            let reason = account == nil ? "account.not_found" : "account.registration_incomplete"
            try await passwords.verifyDummy(password)
            try await recordFailure(accountId: account?.id, reason: reason, origin: origin)
            if !revealAccountExistence { throw KeywardError.credentialsInvalid }
            throw account == nil ? KeywardError.accountNotFound : KeywardError.registrationIncomplete
        }
        let check = try await passwords.verify(password, against: stored)
        guard case .match(let needsRehash) = check else {
            try await recordFailure(accountId: account.id, reason: "credentials.invalid", origin: origin)
            throw KeywardError.credentialsInvalid
        }
        let freshHash = needsRehash ? try await passwords.hash(password) : nil
        return try await database.transaction { stores in
            let now = clock.now()
            if let freshHash {
                try await stores.accounts.updatePasswordHash(accountId: account.id, passwordHash: freshHash)
                try await stores.audit.record(AuditEvent(
                    kind: .passwordRehashed, outcome: .success, accountId: account.id, origin: origin, at: now))
            }
            try await stores.audit.record(AuditEvent(
                kind: .loginSucceeded, outcome: .success, accountId: account.id, origin: origin, at: now))
            let issued = try await sessions.issue(accountId: account.id, deviceName: deviceName, origin: origin, in: stores)
            return LoginSucceeded(accountId: account.id, session: issued)
        }
    }

    private func recordFailure(accountId: String?, reason: String, origin: RequestOrigin) async throws {
        try await database.stores.audit.record(AuditEvent(
            kind: .loginFailed, outcome: .failure, accountId: accountId, origin: origin, at: clock.now(),
            details: ["reason": reason]))
    }
}
