public import Foundation
public import KeywardCrypto

/// The one-time-code credential method: sends a code for a flow and checks what the person enters.
///
/// Every flow that proves control of an email or phone (registration, later sign-in and recovery)
/// plugs this in rather than handling codes itself.
public struct OneTimeCodes: Sendable {
    private let hasher: KeyedHasher
    private let clock: any KeywardClock
    /// The rules in force.
    public let settings: CodeSettings
    private let queue: MessageQueue
    private let limits: RateLimitSettings

    static let purpose = "one-time-code"

    /// Codes hashed with `hasher`, queued as messages by `queue`, sent within `limits`.
    public init(hasher: KeyedHasher, clock: any KeywardClock, settings: CodeSettings,
                limits: RateLimitSettings = RateLimitSettings(), queue: MessageQueue) {
        self.hasher = hasher
        self.clock = clock
        self.settings = settings
        self.limits = limits
        self.queue = queue
    }

    /// Counts a code request against every sending limit — the resend interval and the hourly and
    /// daily limits per destination, per client IP and per account — and throws
    /// `code.resend_too_soon` or `rate_limited` (audited) when one is exceeded. Runs on its own,
    /// before the transaction that sends, so refusals are counted and recorded.
    public func checkSendLimits(to identifier: Identifier, accountId: String?, origin: RequestOrigin,
                                in database: any KeywardDatabase) async throws {
        let stores = database.stores
        try await ensureCanSend(to: identifier.value, in: stores)
        var rules: [(key: String, limits: [RateLimit])] = [("code:dest:\(identifier.value)", limits.codesPerDestination)]
        if let ip = origin.ip { rules.append(("code:ip:\(ip)", limits.codesPerIP)) }
        if let accountId { rules.append(("code:account:\(accountId)", limits.codesPerAccount)) }
        do {
            try await RateLimiter(clock: clock).check(rules, in: stores)
        } catch let error as KeywardError where error.code == "rate_limited" {
            try await stores.audit.record(AuditEvent(
                kind: .rateLimited, outcome: .failure, accountId: accountId, origin: origin, at: clock.now(),
                details: ["action": "code.send", "channel": identifier.channel.rawValue,
                          "retryAfter": String(error.retryAfter ?? 0)]))
            throw error
        }
    }

    /// Throws `code.resend_too_soon` when a code went to `destination` less than the resend interval ago.
    public func ensureCanSend(to destination: String, in stores: any KeywardStores) async throws {
        guard let last = try await stores.codes.lastSent(destination: destination) else { return }
        let availableAt = resendAvailableAt(after: last)
        let now = clock.now()
        if now < availableAt {
            let seconds = Int(availableAt.timeIntervalSince(now).rounded(.up))
            throw KeywardError.resendTooSoon(retryAfter: max(1, seconds), availableAt: availableAt)
        }
    }

    /// Issues a fresh code for `flow`, superseding its earlier ones of the same `purpose`, and queues
    /// the message that carries it, all inside the caller's transaction. Returns when the next code
    /// may be asked for.
    ///
    /// With `deliver` false the code is stored but no message is queued: the flow of an unknown
    /// identifier in strict mode behaves like a real one while nobody receives anything.
    ///
    /// `compose`, when given, writes the message around the code instead of the reason's usual
    /// text; `resendInterval` false skips the interval since the destination's last code, for a
    /// code that follows another to the same destination as the next step of one process.
    public func send(for flow: Flow, purpose: String = "", to identifier: Identifier, reason: MessageComposer.CodeReason,
                     origin: RequestOrigin, in stores: any KeywardStores, deliver: Bool = true, resendInterval: Bool = true,
                     compose: ((String) -> MessageComposer.Composed)? = nil) async throws -> Date {
        if resendInterval { try await ensureCanSend(to: identifier.value, in: stores) }
        let now = clock.now()
        let code = SecureRandom.numericCode(digits: settings.digits)
        let codeId = SecureRandom.uuid()
        try await stores.codes.issue(VerificationCode(
            id: codeId, flowId: flow.id, purpose: purpose, channel: identifier.channel,
            destination: identifier.value, codeHash: hash(code, flowId: flow.id, purpose: purpose), createdAt: now, expiresAt: now.addingTimeInterval(settings.lifetime),
            attempts: 0, maxAttempts: settings.maxAttempts, consumedAt: nil))
        guard deliver else { return resendAvailableAt(after: now) }
        let message = compose?(code) ?? queue.composer.codeMessage(code: code, reason: reason, to: identifier,
                                                                   validMinutes: Int(settings.lifetime / 60))
        try await queue.enqueue(message, to: identifier, accountId: flow.accountId, code: code, id: codeId, in: stores)
        try await stores.audit.record(AuditEvent(
            kind: .codeSent, outcome: .success, accountId: flow.accountId, origin: origin, at: now,
            details: ["flowId": flow.id, "channel": identifier.channel.rawValue, "reason": reason.rawValue]))
        return resendAvailableAt(after: now)
    }

    /// When another code may follow one sent at `sent`: the resend interval later, rounded up to a
    /// whole second so that a client waiting until the time it was told is never refused.
    public func resendAvailableAt(after sent: Date) -> Date {
        Date(timeIntervalSince1970: (sent.timeIntervalSince1970 + settings.resendInterval).rounded(.up))
    }

    /// Checks `entered` against the flow's current code for `purpose`, counting the check atomically first so that
    /// parallel guesses cannot exceed the limit. Returns the matching code, which the caller consumes
    /// with ``consume(_:in:)`` in the transaction that acts on it.
    ///
    /// Throws `code.invalid` (with the tries left), `code.exhausted` or `code.expired`.
    public func check(_ entered: String, flow: Flow, purpose: String = "", origin: RequestOrigin,
                      in stores: any KeywardStores) async throws -> VerificationCode {
        let now = clock.now()
        guard let code = try await stores.codes.latest(flowId: flow.id, purpose: purpose), code.consumedAt == nil else {
            throw KeywardError.codeExpired
        }
        if code.expiresAt <= now { throw KeywardError.codeExpired }
        let normalized = String(entered.filter { !$0.isWhitespace && $0 != "-" })
        guard normalized.count == settings.digits, normalized.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            if code.attempts >= code.maxAttempts { throw KeywardError.codeExhausted }
            throw KeywardError.codeInvalid(attemptsRemaining: code.maxAttempts - code.attempts)
        }
        guard let attempts = try await stores.codes.claimAttempt(id: code.id, now: now) else {
            throw KeywardError.codeExhausted
        }
        if hasher.matches(Self.bound(normalized, flowId: flow.id, purpose: purpose), purpose: Self.purpose,
                          expected: code.codeHash) {
            return code
        }
        try await stores.audit.record(AuditEvent(
            kind: .codeFailed, outcome: .failure, accountId: flow.accountId, origin: origin, at: now,
            details: ["flowId": flow.id, "attempt": String(attempts)]))
        let remaining = code.maxAttempts - attempts
        if remaining <= 0 { throw KeywardError.codeExhausted }
        throw KeywardError.codeInvalid(attemptsRemaining: remaining)
    }

    /// Marks a checked code used; throws `code.expired` when a parallel request used it first.
    public func consume(_ code: VerificationCode, in stores: any KeywardStores) async throws {
        guard try await stores.codes.consume(id: code.id, at: clock.now()) else {
            throw KeywardError.codeExpired
        }
    }

    private func hash(_ code: String, flowId: String, purpose: String) -> String {
        hasher.hash(Self.bound(code, flowId: flowId, purpose: purpose), purpose: Self.purpose)
    }

    /// The text hashed for a code: bound to its flow and purpose, so it is worth nothing elsewhere.
    private static func bound(_ code: String, flowId: String, purpose: String) -> String {
        purpose.isEmpty ? "\(flowId):\(code)" : "\(flowId)/\(purpose):\(code)"
    }
}
