public import Foundation
public import KeywardCrypto

/// The one counter of wrong guesses. Every proof a person can get wrong is checked as one admitted
/// guess in a ``GuessScope``: admitted only while the scope is not locked and has guesses left,
/// counted as a failure when wrong (``KeywardError/isWrongGuess`` decides which errors are), and
/// given back when the check failed for any other reason.
///
/// Sign-in scopes (the account's, a device's) lock after `lockout.maxFailures` within the window,
/// tell the owner on every channel, and extend the lock on every attempt made during it
/// (`account.locked`). An identifier's recovery scope pauses recovery after
/// `recovery.maxCodeFailures` (`recovery.locked`) and tells nobody, since the identifier may
/// belong to no account.
public struct GuessCounter: Sendable {
    private let hasher: KeyedHasher
    private let clock: any KeywardClock
    private let queue: MessageQueue
    /// The sign-in lockout rules in force.
    public let settings: LockoutSettings
    /// Wrong recovery entries per identifier within the lockout window before recovery pauses.
    public let maxRecoveryFailures: Int

    /// A counter with `settings`, hashing device ids with `hasher`, telling owners of locks through `queue`.
    public init(hasher: KeyedHasher, clock: any KeywardClock, settings: LockoutSettings, maxRecoveryFailures: Int = 20,
                queue: MessageQueue) {
        self.hasher = hasher
        self.clock = clock
        self.settings = settings
        self.maxRecoveryFailures = maxRecoveryFailures
        self.queue = queue
    }

    /// The scope a sign-in guess against `accountId` from `deviceId` belongs to: the account's own,
    /// or in device scope that of a device which has signed in to the account before.
    public func scope(accountId: String, deviceId: String?, in stores: any KeywardStores) async throws -> GuessScope {
        guard settings.scope == .device, let hash = deviceHash(deviceId),
              try await stores.devices.isKnown(accountId: accountId, deviceHash: hash)
        else { return .account(accountId: accountId) }
        return .device(accountId: accountId, deviceHash: hash)
    }

    /// How many failures lock `scope`.
    public func maxFailures(_ scope: GuessScope) -> Int {
        scope.kind == .recovery ? maxRecoveryFailures : settings.maxFailures
    }

    /// The error a guess in a locked `scope` gets.
    private func lockedError(_ scope: GuessScope, until: Date, now: Date) -> KeywardError {
        scope.kind == .recovery ? .recoveryLocked(until: until, now: now) : .accountLocked(until: until, now: now)
    }

    /// Throws the scope's lock error (`account.locked`, `recovery.locked`) while it is locked,
    /// without counting or extending anything.
    public func ensureNotLocked(_ scope: GuessScope, in stores: any KeywardStores) async throws {
        let now = clock.now()
        if let until = try await stores.guesses.lockedUntil(scope, now: now) {
            throw lockedError(scope, until: until, now: now)
        }
    }

    /// Admits one guess, or throws: the scope's lock error (a sign-in lock pushed out by this
    /// attempt, and the attempt audited) or `rate_limited` when other guesses in flight have used
    /// the allowance. Returns the failure number this guess becomes if it is wrong.
    public func admit(_ scope: GuessScope, origin: RequestOrigin, in stores: any KeywardStores) async throws -> Int {
        try await refuseIfLocked(scope, origin: origin, in: stores)
        let now = clock.now()
        if let count = try await stores.guesses.claimGuess(scope, now: now, windowStart: now.addingTimeInterval(-settings.window),
                                                           maxFailures: maxFailures(scope)) {
            return count
        }
        try await refuseIfLocked(scope, origin: origin, in: stores)
        throw KeywardError.rateLimited(retryAfter: 1)
    }

    /// Records that admitted guess number `count` was wrong. At the limit it places the lock (once,
    /// however many requests race); for a sign-in scope it audits the lock and queues the notice to
    /// every verified channel of the account in the same transaction. Returns the lock's end when
    /// the scope is now locked because of this failure.
    public func recordFailure(_ scope: GuessScope, count: Int, origin: RequestOrigin,
                              in database: any KeywardDatabase) async throws -> Date? {
        guard count >= maxFailures(scope) else { return nil }
        let now = clock.now()
        let until = now.addingTimeInterval(settings.duration)
        guard let accountId = scope.accountId else {
            _ = try await database.stores.guesses.placeLock(scope, now: now, until: until)
            return until
        }
        return try await database.transaction { stores in
            guard try await stores.guesses.placeLock(scope, now: now, until: until) else { return nil }
            try await stores.audit.record(AuditEvent(
                kind: .lockPlaced, outcome: .success, accountId: accountId, origin: origin, at: now,
                details: ["scope": scope.kind.rawValue, "failures": String(count), "lockedUntil": ISO8601.string(until)]))
            try await queue.notifyAll(accountId: accountId, offeringFreeze: true, in: stores) { destination in
                queue.composer.lockNotice(failures: count, ip: origin.ip, at: now, until: until, to: destination)
            }
            return until
        }
    }

    /// Runs `check` as one admitted guess in `scope`. A wrong entry is recorded as a failure and may
    /// place the lock (the scope's lock error); any other error gives the guess back, so that only
    /// wrong entries use up the allowance. On success the guess stays counted until the caller
    /// resets or releases it.
    public func guess<T: Sendable>(_ scope: GuessScope, origin: RequestOrigin, in database: any KeywardDatabase,
                                   _ check: () async throws -> T) async throws -> T {
        let stores = database.stores
        let failureNumber = try await admit(scope, origin: origin, in: stores)
        do {
            return try await check()
        } catch let failure as KeywardError where failure.isWrongGuess {
            if let until = try await recordFailure(scope, count: failureNumber, origin: origin, in: database) {
                throw lockedError(scope, until: until, now: clock.now())
            }
            throw failure
        } catch {
            try? await release(scope, in: stores)
            throw error
        }
    }

    /// Gives back an admitted guess that turned out right but does not finish what it guards on its
    /// own (a correct password before the second factor), so that it counts neither way.
    public func release(_ scope: GuessScope, in stores: any KeywardStores) async throws {
        try await stores.guesses.releaseGuess(scope)
    }

    /// Forgets the scope's failures after the proof that finishes what it guarded.
    public func reset(_ scope: GuessScope, in stores: any KeywardStores) async throws {
        try await stores.guesses.resetFailures(scope)
    }

    /// Forgets the scope's failures after a successful sign-in and remembers the device, given the
    /// keyed hash of its id (``deviceHash(_:)``).
    public func recordSuccess(_ scope: GuessScope, deviceHash: String?, in stores: any KeywardStores) async throws {
        try await reset(scope, in: stores)
        if let deviceHash, let accountId = scope.accountId {
            try await stores.devices.remember(accountId: accountId, deviceHash: deviceHash, at: clock.now())
        }
    }

    /// Throws the scope's lock error while it is locked; a sign-in lock is first pushed out by this
    /// attempt, which is audited.
    private func refuseIfLocked(_ scope: GuessScope, origin: RequestOrigin, in stores: any KeywardStores) async throws {
        let now = clock.now()
        guard let accountId = scope.accountId else {
            try await ensureNotLocked(scope, in: stores)
            return
        }
        guard let until = try await stores.guesses.extendLock(scope, now: now, extendTo: now.addingTimeInterval(settings.duration))
        else { return }
        try await stores.audit.record(AuditEvent(
            kind: .lockExtended, outcome: .failure, accountId: accountId, origin: origin, at: now,
            details: ["lockedUntil": ISO8601.string(until)]))
        throw KeywardError.accountLocked(until: until, now: now)
    }

    /// The keyed hash a device id is known by, or `nil` for a missing or implausible id.
    public func deviceHash(_ deviceId: String?) -> String? {
        guard let deviceId, (16...200).contains(deviceId.utf8.count) else { return nil }
        return hasher.hash(deviceId, purpose: "device")
    }
}
