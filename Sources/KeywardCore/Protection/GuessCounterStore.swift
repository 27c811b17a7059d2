public import Foundation

/// Failure counters and locks, one per ``GuessScope``. Every change is a single atomic statement,
/// so parallel requests and several nodes cannot get around a limit.
public protocol GuessCounterStore: Sendable {
    /// If the scope is locked at `now`, pushes the lock out to `extendTo` and returns it.
    func extendLock(_ scope: GuessScope, now: Date, extendTo: Date) async throws -> Date?

    /// Counts one more guess unless the scope is locked or `maxFailures` guesses since
    /// `windowStart` are already counted; returns the new count, or `nil` when refused.
    func claimGuess(_ scope: GuessScope, now: Date, windowStart: Date, maxFailures: Int) async throws -> Int?

    /// Locks the scope until `until` and starts its count afresh; `false` when it was already locked.
    func placeLock(_ scope: GuessScope, now: Date, until: Date) async throws -> Bool

    /// Forgets the scope's failures (after a proof that finishes what it guarded).
    func resetFailures(_ scope: GuessScope) async throws

    /// Takes one back from the scope's failure count (never below zero).
    func releaseGuess(_ scope: GuessScope) async throws

    /// Removes the scope's count and lock; returns whether a lock was in force at `now`.
    func clear(_ scope: GuessScope, now: Date) async throws -> Bool

    /// Removes every count and lock of the account's own and device scopes (after a password
    /// reset); returns whether a lock was in force at `now`.
    func clearAll(accountId: String, now: Date) async throws -> Bool

    /// When the scope's lock ends, if it is locked at `now`.
    func lockedUntil(_ scope: GuessScope, now: Date) async throws -> Date?

    /// Every counter of the account: its own and, in device scope, its devices'.
    func counters(accountId: String) async throws -> [FailureCounter]
}

/// One failure counter, as support may see it.
public struct FailureCounter: Sendable, Equatable {
    /// Whose guesses it counts.
    public let scope: GuessScope
    /// Failures counted since `firstFailedAt`.
    public let failedCount: Int
    /// When the counted failures began; `nil` when none are counted.
    public let firstFailedAt: Date?
    /// When the lock ends, if one was placed (it may be over).
    public let lockedUntil: Date?

    /// A counter record.
    public init(scope: GuessScope, failedCount: Int, firstFailedAt: Date?, lockedUntil: Date?) {
        self.scope = scope
        self.failedCount = failedCount
        self.firstFailedAt = firstFailedAt
        self.lockedUntil = lockedUntil
    }
}
