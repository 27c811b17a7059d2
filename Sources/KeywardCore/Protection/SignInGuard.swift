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
    private let composer: MessageComposer

    /// A guard with `settings`, hashing device ids with `hasher`.
    public init(hasher: KeyedHasher, clock: any KeywardClock, settings: LockoutSettings, composer: MessageComposer) {
        self.hasher = hasher
        self.clock = clock
        self.settings = settings
        self.composer = composer
    }

    /// The counter a guess against `accountId` from `deviceId` belongs to: the account's own, or in
    /// device scope that of a device which has signed in to the account before.
    public func scope(accountId: String, deviceId: String?, in stores: any KeywardStores) async throws -> String {
        guard settings.scope == .device, let hash = deviceHash(deviceId) else { return "account" }
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
    /// lock (once, however many requests race) and queues the owner's notice in the same transaction.
    /// Returns the lock's end when this failure placed it.
    public func recordFailure(accountId: String, scope: String, count: Int, origin: RequestOrigin,
                              notify destinations: [Identifier], in database: any KeywardDatabase) async throws -> Date? {
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
            for destination in destinations {
                let message = composer.lockNotice(failures: count, ip: origin.ip, at: now, until: until, to: destination)
                try await stores.outbox.enqueue(OutboxMessage(
                    id: SecureRandom.uuid(), channel: destination.channel, destination: destination.value,
                    subject: message.subject, body: message.body, code: nil, accountId: accountId, createdAt: now))
            }
            return until
        }
    }

    /// Forgets the scope's failures after a successful sign-in and remembers the device.
    public func recordSuccess(accountId: String, scope: String, deviceId: String?, in stores: any KeywardStores) async throws {
        try await stores.loginFailures.resetFailures(accountId: accountId, scope: scope)
        if let hash = deviceHash(deviceId) {
            try await stores.devices.remember(accountId: accountId, deviceHash: hash, at: clock.now())
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

    private func deviceHash(_ deviceId: String?) -> String? {
        guard let deviceId, (16...200).contains(deviceId.utf8.count) else { return nil }
        return hasher.hash(deviceId, purpose: "device")
    }
}
