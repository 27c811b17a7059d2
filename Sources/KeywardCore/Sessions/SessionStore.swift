public import Foundation

/// Stored sessions.
public protocol SessionStore: Sendable {
    /// Stores a new session.
    func insert(_ session: Session) async throws

    /// The session whose token hashes to `tokenHash`, revoked or not, with its account's
    /// identifiers oldest first, read in one statement: what every signed-in request needs.
    func findWithIdentifiers(tokenHash: String) async throws -> SignedInSession?

    /// Records activity on the session.
    func touch(id: String, at: Date) async throws

    /// The account's sessions that are neither revoked nor past their absolute expiry, newest first.
    func list(accountId: String, now: Date) async throws -> [Session]

    /// Revokes one of the account's sessions; `false` when the account has no live session with that id.
    func revoke(id: String, accountId: String, at: Date) async throws -> Bool

    /// Revokes every live session of the account except `keeping`; returns how many ended.
    func revokeAll(accountId: String, keeping: String?, at: Date) async throws -> Int

    /// Records that the session's owner re-entered password and second factor at `at`.
    func markReauthenticated(id: String, at: Date) async throws
}
