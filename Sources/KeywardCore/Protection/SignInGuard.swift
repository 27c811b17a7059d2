public import Foundation
public import KeywardCrypto

/// Lockout for password guesses: admits a guess only when the account (or, in device scope, the
/// device) is not locked and has guesses left, counts failures, places the lock at exactly the
/// configured failure and tells the owner, and extends a lock on every attempt made during it.
public struct SignInGuard: Sendable {
    private let hasher: KeyedHasher
    private let clock: any KeywardClock
    /// The lockout rules in force.
    public let settings: LockoutSettings
    private let queue: MessageQueue

    /// A guard with `settings`, hashing device ids with `hasher`, telling owners of locks through `queue`.
    public init(hasher: KeyedHasher, clock: any KeywardClock, settings: LockoutSettings, queue: MessageQueue) {
        self.hasher = hasher
        self.clock = clock
        self.settings = settings
        self.queue = queue
    }

    /// The counter a guess against `accountId` from `deviceId` belongs to: the account's own, or in
    /// device scope that of a device which has signed in to the account before.
    public func scope(accountId: String, deviceId: String?, in stores: any KeywardStores) async throws -> String {
        try await scope(accountId: accountId, deviceHash: deviceHash(deviceId), in: stores)
    }

    /// The counter for a device known by its keyed hash (``deviceHash(_:)``).
    public func scope(accountId: String, deviceHash: String?, in stores: any KeywardStores) async throws -> String {
        guard settings.scope == .device, let hash = deviceHash else { return "account" }
        return try await stores.devices.isKnown(accountId: accountId, deviceHash: hash) ? "device:\(hash)" : "account"
    }

    /// Admits one guess, or throws: `account.locked` (the lock pushed out by this attempt and the
    /// attempt audited) or `rate_limited` when other guesses in flight have used the allowance.
    /// Returns the failure number this guess becomes if it is wrong.
    public func admit(accountId: String, scope: String, origin: RequestOrigin, in stores: any KeywardStores) async throws -> Int {
        let now = clock.now()
        if let until = try await extendIfLocked(accountId: accountId, scope: scope, origin: origin, in: stores) {
            throw KeywardError.accountLocked(until: until, now: now)
        }
        if let count = try await stores.loginFailures.claimGuess(
            accountId: accountId, scope: scope, now: now, windowStart: now.addingTimeInterval(-settings.window),
            maxFailures: settings.maxFailures) {
            return count
        }
        if let until = try await extendIfLocked(accountId: accountId, scope: scope, origin: origin, in: stores) {
            throw KeywardError.accountLocked(until: until, now: now)
        }
        throw KeywardError.rateLimited(retryAfter: 1)
    }

    /// Records that admitted guess number `count` was wrong; at the configured failure places the
    /// lock (once, however many requests race) and queues the notice to every verified channel of
    /// the account in the same transaction. Returns the lock's end when this failure placed it.
    public func recordFailure(accountId: String, scope: String, count: Int, origin: RequestOrigin,
                              in database: any KeywardDatabase) async throws -> Date? {
        guard count >= settings.maxFailures else { return nil }
        let now = clock.now()
        let until = now.addingTimeInterval(settings.duration)
        return try await database.transaction { stores in
            guard try await stores.loginFailures.placeLock(accountId: accountId, scope: scope, now: now, until: until) else {
                return nil
            }
            try await stores.audit.record(AuditEvent(
                kind: .lockPlaced, outcome: .success, accountId: accountId, origin: origin, at: now,
                details: ["scope": scope.hasPrefix("device:") ? "device" : scope, "failures": String(count),
                          "lockedUntil": ISO8601.string(until)]))
            try await queue.notifyAll(accountId: accountId, in: stores) { destination in
                queue.composer.lockNotice(failures: count, ip: origin.ip, at: now, until: until, to: destination)
            }
            return until
        }
    }

    /// Runs `check` as one admitted guess in `scope`. A wrong code (``KeywardError/isWrongGuess``) is
    /// recorded as a failure and may place the lock (`account.locked`); any other error gives the
    /// guess back, so that only wrong entries use up the allowance. On success the guess stays
    /// counted until the caller resets or releases it.
    public func guess<T: Sendable>(accountId: String, scope: String, origin: RequestOrigin, in database: any KeywardDatabase,
                                   _ check: () async throws -> T) async throws -> T {
        let stores = database.stores
        let failureNumber = try await admit(accountId: accountId, scope: scope, origin: origin, in: stores)
        do {
            return try await check()
        } catch let failure as KeywardError where failure.isWrongGuess {
            if let until = try await recordFailure(accountId: accountId, scope: scope, count: failureNumber,
                                                   origin: origin, in: database) {
                throw KeywardError.accountLocked(until: until, now: clock.now())
            }
            throw failure
        } catch {
            try? await releaseGuess(accountId: accountId, scope: scope, in: stores)
            throw error
        }
    }

    /// Gives back an admitted guess that turned out right but does not finish the sign-in on its own
    /// (a correct password before the second factor), so that it counts neither way.
    public func releaseGuess(accountId: String, scope: String, in stores: any KeywardStores) async throws {
        try await stores.loginFailures.releaseGuess(accountId: accountId, scope: scope)
    }

    /// Forgets the scope's failures after a successful sign-in and remembers the device, given the
    /// keyed hash of its id (``deviceHash(_:)``).
    public func recordSuccess(accountId: String, scope: String, deviceHash: String?, in stores: any KeywardStores) async throws {
        try await stores.loginFailures.resetFailures(accountId: accountId, scope: scope)
        if let deviceHash {
            try await stores.devices.remember(accountId: accountId, deviceHash: deviceHash, at: clock.now())
        }
    }

    private func extendIfLocked(accountId: String, scope: String, origin: RequestOrigin,
                                in stores: any KeywardStores) async throws -> Date? {
        let now = clock.now()
        guard let until = try await stores.loginFailures.extendLock(
            accountId: accountId, scope: scope, now: now, extendTo: now.addingTimeInterval(settings.duration))
        else { return nil }
        try await stores.audit.record(AuditEvent(
            kind: .lockExtended, outcome: .failure, accountId: accountId, origin: origin, at: now,
            details: ["lockedUntil": ISO8601.string(until)]))
        return until
    }

    /// The keyed hash a device id is known by, or `nil` for a missing or implausible id.
    public func deviceHash(_ deviceId: String?) -> String? {
        guard let deviceId, (16...200).contains(deviceId.utf8.count) else { return nil }
        return hasher.hash(deviceId, purpose: "device")
    }
}
