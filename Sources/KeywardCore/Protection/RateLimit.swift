public import Foundation

/// At most `limit` events per `window`.
public struct RateLimit: Sendable, Equatable {
    /// Events allowed in one window.
    public var limit: Int
    /// The window's length.
    public var window: TimeInterval

    /// A limit.
    public init(_ limit: Int, per window: TimeInterval) {
        self.limit = limit
        self.window = window
    }
}

/// Every limit Keyward enforces. Each list is checked in full; the first that is exceeded answers.
public struct RateLimitSettings: Sendable, Equatable {
    /// Codes sent to one email address or phone number (default 1/min, 5/h, 10/day; the per-minute
    /// rule is the resend interval of ``CodeSettings``).
    public var codesPerDestination: [RateLimit]
    /// Codes requested from one client IP (default 5/min, 30/h, 100/day: several people may share an address).
    public var codesPerIP: [RateLimit]
    /// Codes sent for one account, whatever the channel (default 5/h, 10/day).
    public var codesPerAccount: [RateLimit]
    /// Sign-in attempts from one client IP (default 30/min, checked before any hashing).
    public var signInsPerIP: [RateLimit]
    /// Sign-in attempts naming one identifier (default 10/min).
    public var signInsPerIdentifier: [RateLimit]

    /// The defaults.
    public init(codesPerDestination: [RateLimit] = [RateLimit(5, per: 3600), RateLimit(10, per: 86400)],
                codesPerIP: [RateLimit] = [RateLimit(5, per: 60), RateLimit(30, per: 3600), RateLimit(100, per: 86400)],
                codesPerAccount: [RateLimit] = [RateLimit(5, per: 3600), RateLimit(10, per: 86400)],
                signInsPerIP: [RateLimit] = [RateLimit(30, per: 60)],
                signInsPerIdentifier: [RateLimit] = [RateLimit(10, per: 60)]) {
        self.codesPerDestination = codesPerDestination
        self.codesPerIP = codesPerIP
        self.codesPerAccount = codesPerAccount
        self.signInsPerIP = signInsPerIP
        self.signInsPerIdentifier = signInsPerIdentifier
    }
}

/// Fixed-window counters shared by every node.
public protocol RateLimitStore: Sendable {
    /// Counts one event for `key` in the window of length `window` containing `now` and returns the
    /// count so far and when the window ends. Atomic.
    func hit(key: String, window: TimeInterval, now: Date) async throws -> (count: Int, windowEndsAt: Date)

    /// Takes back one event counted by ``hit(key:window:now:)`` for `key` in the window containing
    /// `now`, so that a refused request uses up no allowance. Atomic.
    func release(key: String, window: TimeInterval, now: Date) async throws

    /// Deletes windows that ended before `now`; returns how many.
    func deleteExpired(now: Date) async throws -> Int
}

/// Checks and counts rate limits; throws `rate_limited` with the wait when one is exceeded.
public struct RateLimiter: Sendable {
    private let clock: any KeywardClock

    /// A limiter reading `clock`.
    public init(clock: any KeywardClock) {
        self.clock = clock
    }

    /// Counts one event against each `(key, limits)` pair; when any is over, takes every count back
    /// (a refused request uses up no allowance) and throws `rate_limited` with the longest wait
    /// among the limits exceeded.
    public func check(_ rules: [(key: String, limits: [RateLimit])], in stores: any KeywardStores) async throws {
        let now = clock.now()
        var wait: TimeInterval = 0
        var counted: [(key: String, window: TimeInterval)] = []
        for rule in rules {
            for limit in rule.limits {
                let key = "\(rule.key)|\(Int(limit.window))"
                let (count, endsAt) = try await stores.rateLimits.hit(key: key, window: limit.window, now: now)
                counted.append((key, limit.window))
                if count > limit.limit { wait = max(wait, endsAt.timeIntervalSince(now)) }
            }
        }
        guard wait > 0 else { return }
        for entry in counted {
            try await stores.rateLimits.release(key: entry.key, window: entry.window, now: now)
        }
        throw KeywardError.rateLimited(retryAfter: max(1, Int(wait.rounded(.up))))
    }
}
