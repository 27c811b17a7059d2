import Foundation

/// What a signed-in person, and an operator, may read about an account: its identifiers, the holds
/// in force and its recent security activity. Pages and the API read these here, never the stores.
public struct AccountActivityService: Sendable {
    private let database: any KeywardDatabase
    private let clock: any KeywardClock

    /// A service over `database`.
    public init(database: any KeywardDatabase, clock: any KeywardClock) {
        self.database = database
        self.clock = clock
    }

    /// The account's identifiers, verified or not.
    public func identifiers(accountId: String) async throws -> [AccountIdentifier] {
        try await database.stores.accounts.identifiers(accountId: accountId)
    }

    /// The account's holds still in force, ending soonest first.
    public func holds(accountId: String) async throws -> [SecurityHold] {
        try await database.stores.holdsInForce(accountId: accountId, now: clock.now())
    }

    /// The holds of the account `id`, for the platform's other services; throws
    /// `account.not_found` for an id no account has.
    public func holdsOfExistingAccount(id: String) async throws -> [SecurityHold] {
        guard try await database.stores.accounts.find(id: id) != nil else { throw KeywardError.accountNotFound }
        return try await holds(accountId: id)
    }

    /// The account's newest security events, newest first.
    public func activity(accountId: String, limit: Int) async throws -> [AuditEvent] {
        try await database.stores.audit.recent(accountId: accountId, limit: limit)
    }
}
