import Foundation
import KeywardCore
import KeywardStorage
import KeywardTestSupport
import Testing

/// One contract for every store, run on SQLite and (when `TEST_POSTGRES_URL` is set) PostgreSQL.
@Suite struct StorageContractTests {
    static let kinds = TestDatabases.kinds
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    private func withDatabase(_ kind: SQLDialectKind, _ body: (SQLKeywardDatabase) async throws -> Void) async throws {
        try await TestDatabases.with(kind, body)
    }

    private func pendingFlow(_ database: SQLKeywardDatabase, identifier: Identifier) async throws -> Flow {
        let account = try await database.stores.accounts.findOrCreatePending(identifier: identifier, at: now)
        let flow = Flow(id: UUID().uuidString, kind: .registration, state: "pending_verification", accountId: account.id,
                        identifier: identifier, createdAt: now, updatedAt: now, expiresAt: now.addingTimeInterval(3600),
                        context: "{}", passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
        try await database.stores.flows.insert(flow)
        return flow
    }

    @Test(arguments: kinds)
    func aPendingRegistrationsPasswordHashStaysOutOfThePayloadAndGoesAtItsFirstTransition(kind: SQLDialectKind) async throws {
        try await withDatabase(kind) { (database: SQLKeywardDatabase) async throws in
            let flow = try await pendingFlow(database, identifier: Identifier(kind: .email, value: "hash@example.com"))
            let stored = try await database.stores.flows.find(id: flow.id)
            #expect(stored?.passwordHash == flow.passwordHash)
            #expect(stored?.context == "{}")
            #expect(try await database.stores.flows.newest(accountId: try #require(flow.accountId), kind: .registration,
                                                           state: "pending_verification")?.id == flow.id)
            #expect(try await database.stores.flows.transition(id: flow.id, from: "pending_verification", to: "completed", at: now, context: "{}"))
            #expect(try await database.stores.flows.find(id: flow.id)?.passwordHash == nil)
            let rows = try await database.textValues(in: "flows")
            #expect(!rows.joined().contains { $0.contains("argon2id") })
        }
    }

    private func code(flowId: String, destination: String = "a@example.com", at: Date? = nil) -> VerificationCode {
        let created = at ?? now
        return VerificationCode(id: UUID().uuidString, flowId: flowId, channel: .email, destination: destination,
                                codeHash: "hash", createdAt: created, expiresAt: created.addingTimeInterval(600),
                                attempts: 0, maxAttempts: 5, consumedAt: nil)
    }

    @Test(arguments: kinds)
    func migrationsAreRecordedAndRunningThemAgainIsANoOp(kind: SQLDialectKind) async throws {
        try await withDatabase(kind) { (database: SQLKeywardDatabase) async throws in
            #expect(await database.isReady())
            #expect(try await database.migrate().isEmpty)
        }
    }

    @Test(arguments: kinds)
    func parallelRegistrationsOfOneIdentifierShareOnePendingAccount(kind: SQLDialectKind) async throws {
        try await withDatabase(kind) { (database: SQLKeywardDatabase) async throws in
            let identifier = Identifier(kind: .email, value: "race@example.com")
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        try await database.transaction { stores in
                            try await stores.accounts.findOrCreatePending(identifier: identifier, at: self.now).id
                        }
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(ids.count == 1)
            let account = try #require(try await database.stores.accounts.find(identifier: identifier))
            #expect(account.status == .pending)
            #expect(ids.first == account.id)
        }
    }

    @Test(arguments: kinds)
    func activationHappensOnceAndVerifiesTheIdentifier(kind: SQLDialectKind) async throws {
        try await withDatabase(kind) { (database: SQLKeywardDatabase) async throws in
            let identifier = Identifier(kind: .phone, value: "+447700900123")
            let account = try await database.stores.accounts.findOrCreatePending(identifier: identifier, at: now)
            #expect(try await database.stores.accounts.activate(accountId: account.id, identifier: identifier, passwordHash: "h1", at: now))
            #expect(try await !database.stores.accounts.activate(accountId: account.id, identifier: identifier, passwordHash: "h2", at: now))
            let stored = try #require(try await database.stores.accounts.find(id: account.id))
            #expect(stored.status == .active)
            #expect(stored.passwordHash == "h1")
            let identifiers = try await database.stores.accounts.identifiers(accountId: account.id)
            #expect(identifiers.map(\.identifier) == [identifier])
            #expect(identifiers.first?.verifiedAt == now)
            try await database.stores.accounts.updatePasswordHash(accountId: account.id, passwordHash: "h3")
            #expect(try await database.stores.accounts.find(id: account.id)?.passwordHash == "h3")
        }
    }

    @Test(arguments: kinds)
    func fiftyParallelChecksOfOneCodeClaimExactlyItsFiveAttempts(kind: SQLDialectKind) async throws {
        try await withDatabase(kind) { (database: SQLKeywardDatabase) async throws in
            let flow = try await pendingFlow(database, identifier: Identifier(kind: .email, value: "a@example.com"))
            let issued = code(flowId: flow.id)
            try await database.stores.codes.issue(issued)
            let claims = try await withThrowingTaskGroup(of: Int?.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await database.stores.codes.claimAttempt(id: issued.id, now: self.now) }
                }
                return try await group.reduce(into: [Int]()) { if let value = $1 { $0.append(value) } }
            }
            #expect(claims.sorted() == [1, 2, 3, 4, 5])
            #expect(try await database.stores.codes.latest(flowId: flow.id, purpose: nil)?.attempts == 5)
        }
    }

    @Test(arguments: kinds)
    func aCodeIsConsumedOnceAndNotClaimableAfterExpiryOrUse(kind: SQLDialectKind) async throws {
        try await withDatabase(kind) { (database: SQLKeywardDatabase) async throws in
            let flow = try await pendingFlow(database, identifier: Identifier(kind: .email, value: "a@example.com"))
            let issued = code(flowId: flow.id)
            try await database.stores.codes.issue(issued)
            #expect(try await database.stores.codes.claimAttempt(id: issued.id, now: now.addingTimeInterval(600)) == nil)
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 { group.addTask { try await database.stores.codes.consume(id: issued.id, at: self.now) } }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(winners == 1)
            #expect(try await database.stores.codes.claimAttempt(id: issued.id, now: now) == nil)
        }
    }

    @Test(arguments: kinds)
    func issuingANewCodeSupersedesTheOldOneAndRecordsTheSendTime(kind: SQLDialectKind) async throws {
        try await withDatabase(kind) { (database: SQLKeywardDatabase) async throws in
            let flow = try await pendingFlow(database, identifier: Identifier(kind: .email, value: "a@example.com"))
            let first = code(flowId: flow.id)
            let second = code(flowId: flow.id, at: now.addingTimeInterval(61))
            try await database.stores.codes.issue(first)
            try await database.stores.codes.issue(second)
            #expect(try await database.stores.codes.latest(flowId: flow.id, purpose: nil)?.id == second.id)
            #expect(try await database.stores.codes.claimAttempt(id: first.id, now: now.addingTimeInterval(62)) == nil)
            #expect(try await database.stores.codes.lastSent(destination: "a@example.com") == now.addingTimeInterval(61))
            #expect(try await database.stores.codes.lastSent(destination: "b@example.com") == nil)
        }
    }

    @Test(arguments: kinds)
    func flowTransitionsOnlyFromTheExpectedState(kind: SQLDialectKind) async throws {
        try await withDatabase(kind) { (database: SQLKeywardDatabase) async throws in
            let flow = try await pendingFlow(database, identifier: Identifier(kind: .email, value: "a@example.com"))
            let found = try #require(try await database.stores.flows.find(id: flow.id))
            #expect(found == flow)
            #expect(try await database.stores.flows.transition(id: flow.id, from: "pending_verification", to: "completed", at: now, context: "{}"))
            #expect(try await !database.stores.flows.transition(id: flow.id, from: "pending_verification", to: "completed", at: now, context: "{}"))
            #expect(try await database.stores.flows.find(id: "missing") == nil)
        }
    }

    @Test(arguments: kinds)
    func sessionsAreFoundByTokenHashListedAndRevoked(kind: SQLDialectKind) async throws {
        try await withDatabase(kind) { (database: SQLKeywardDatabase) async throws in
            let identifier = Identifier(kind: .email, value: "s@example.com")
            let account = try await database.stores.accounts.findOrCreatePending(identifier: identifier, at: now)
            func session(_ id: String, _ offset: TimeInterval) -> Session {
                Session(id: id, accountId: account.id, tokenHash: "hash-\(id)", createdAt: now.addingTimeInterval(offset),
                        lastSeenAt: now.addingTimeInterval(offset), expiresAt: now.addingTimeInterval(86400),
                        deviceName: "d\(id)", userAgent: "ua", ip: "192.0.2.1", revokedAt: nil)
            }
            for (index, id) in ["one", "two", "three"].enumerated() {
                try await database.stores.sessions.insert(session(id, TimeInterval(index)))
            }
            #expect(try await database.stores.sessions.findWithIdentifiers(tokenHash: "hash-two")?.session.id == "two")
            // One read gives the session and its account's identifiers, oldest first.
            let phone = Identifier(kind: .phone, value: "+447700900123")
            #expect(try await database.stores.accounts.bindIdentifier(phone, accountId: account.id, replacing: nil,
                                                                      at: now.addingTimeInterval(5)))
            let signedIn = try #require(try await database.stores.sessions.findWithIdentifiers(tokenHash: "hash-two"))
            #expect(signedIn.session == session("two", 1))
            #expect(signedIn.identifiers.map(\.identifier) == [identifier, phone])
            #expect(signedIn.identifiers.last?.verifiedAt == now.addingTimeInterval(5))
            #expect(try await database.stores.sessions.findWithIdentifiers(tokenHash: "hash-none") == nil)
            try await database.stores.sessions.touch(id: "two", at: now.addingTimeInterval(100))
            #expect(try await database.stores.sessions.findWithIdentifiers(tokenHash: "hash-two")?.session.lastSeenAt == now.addingTimeInterval(100))
            #expect(try await database.stores.sessions.list(accountId: account.id, now: now).map(\.id) == ["three", "two", "one"])
            #expect(try await database.stores.sessions.revoke(id: "one", accountId: account.id, at: now))
            #expect(try await !database.stores.sessions.revoke(id: "one", accountId: account.id, at: now))
            #expect(try await !database.stores.sessions.revoke(id: "two", accountId: "someone-else", at: now))
            #expect(try await database.stores.sessions.revokeAll(accountId: account.id, keeping: "three", at: now) == 1)
            #expect(try await database.stores.sessions.list(accountId: account.id, now: now).map(\.id) == ["three"])
            #expect(try await database.stores.sessions.list(accountId: account.id, now: now.addingTimeInterval(86400)).isEmpty)
        }
    }

    @Test(arguments: kinds)
    func outboxLeasesEachMessageToOneWorkerAndErasesTextsOnceSentOrGivenUp(kind: SQLDialectKind) async throws {
        try await withDatabase(kind) { (database: SQLKeywardDatabase) async throws in
            for index in 0..<3 {
                try await database.stores.outbox.enqueue(QueuedMessage(
                    id: "m\(index)", channel: .email, destination: "alice@example.com", subject: "s\(index)",
                    sealedBody: "c2VhbGVkLXRleHQ=", code: "123456", accountId: nil,
                    createdAt: now.addingTimeInterval(TimeInterval(index))))
            }
            let lease = now.addingTimeInterval(60)
            let (first, second) = try await (
                database.stores.outbox.claimDue(now: now.addingTimeInterval(5), leaseUntil: lease, limit: 2, excluding: []),
                database.stores.outbox.claimDue(now: now.addingTimeInterval(5), leaseUntil: lease, limit: 2, excluding: []))
            let leased = (first + second).map(\.id)
            #expect(Set(leased) == ["m0", "m1", "m2"])
            #expect(leased.count == 3)
            #expect(try await database.stores.outbox.claimDue(now: now.addingTimeInterval(5), leaseUntil: lease, limit: 10, excluding: []).isEmpty)

            try await database.stores.outbox.markSent(id: "m0", at: now, maskedDestination: "a•••e@example.com")
            try await database.stores.outbox.markFailed(id: "m1", error: "smtp down", retryAt: now.addingTimeInterval(120),
                                                        maskedDestination: "a•••e@example.com")
            try await database.stores.outbox.markFailed(id: "m2", error: "rejected", retryAt: nil,
                                                        maskedDestination: "a•••e@example.com")
            #expect(try await database.stores.outbox.pendingCount() == 1)
            #expect(try await database.stores.outbox.claimDue(now: now.addingTimeInterval(119), leaseUntil: lease, limit: 10, excluding: []).isEmpty)
            let retried = try await database.stores.outbox.claimDue(now: now.addingTimeInterval(120), leaseUntil: lease, limit: 10, excluding: [])
            #expect(retried.map(\.id) == ["m1"])
            #expect(retried.first?.attempts == 2)
            #expect(retried.first?.sealedBody == "c2VhbGVkLXRleHQ=")
            #expect(retried.first?.destination == "alice@example.com")
            // Once sent or given up, only what delivery status and support need is left.
            let rows = try await database.textValues(in: "outbox").filter { !$0.contains("m1") }
            #expect(rows.count == 2)
            for row in rows {
                #expect(!row.contains("c2VhbGVkLXRleHQ="))
                #expect(!row.contains("123456"))
                #expect(!row.contains("alice@example.com"))
                #expect(row.contains("a•••e@example.com"))
            }
            // A worker still sending m1 past its lease never leases it again; another worker may.
            let late = now.addingTimeInterval(600)
            #expect(try await database.stores.outbox.claimDue(now: late, leaseUntil: late.addingTimeInterval(60), limit: 10,
                                                              excluding: ["m1"]).isEmpty)
            #expect(try await database.stores.outbox.claimDue(now: late, leaseUntil: late.addingTimeInterval(60), limit: 10,
                                                              excluding: ["m0", "m2"]).map(\.id) == ["m1"])
        }
    }

    @Test(arguments: kinds)
    func aFailedTransactionLeavesNothingBehind(kind: SQLDialectKind) async throws {
        struct Abort: Error {}
        try await withDatabase(kind) { (database: SQLKeywardDatabase) async throws in
            let identifier = Identifier(kind: .email, value: "rollback@example.com")
            let failed: Bool
            do {
                try await database.transaction { stores in
                    _ = try await stores.accounts.findOrCreatePending(identifier: identifier, at: self.now)
                    try await stores.outbox.enqueue(QueuedMessage(
                        id: "rolled-back", channel: .email, destination: identifier.value, subject: "s", sealedBody: "Yg==",
                        code: nil, accountId: nil, createdAt: self.now))
                    throw Abort()
                }
                failed = false
            } catch is Abort {
                failed = true
            }
            #expect(failed)
            let account = try await database.stores.accounts.find(identifier: identifier)
            let pending = try await database.stores.outbox.pendingCount()
            #expect(account == nil)
            #expect(pending == 0)
        }
    }

    @Test(arguments: kinds)
    func auditEventsAndMailboxEntriesComeBackNewestFirst(kind: SQLDialectKind) async throws {
        try await withDatabase(kind) { (database: SQLKeywardDatabase) async throws in
            let origin = RequestOrigin(ip: "198.51.100.7", userAgent: "Test/1.0")
            for offset in 0..<3 {
                try await database.stores.audit.record(AuditEvent(
                    kind: .loginFailed, outcome: .failure, accountId: "acc", origin: origin,
                    at: now.addingTimeInterval(TimeInterval(offset)), details: ["reason": "r\(offset)"]))
                try await database.stores.mailbox.append(DevelopmentMailboxEntry(
                    to: "a@example.com", channel: .email, subject: "s\(offset)", body: "b", code: offset == 1 ? "123456" : nil,
                    sentAt: now.addingTimeInterval(TimeInterval(offset))))
            }
            let events = try await database.stores.audit.recent(accountId: "acc", limit: 2)
            #expect(events.map { $0.details["reason"] } == ["r2", "r1"])
            #expect(events.first?.ip == "198.51.100.7")
            #expect(events.first?.userAgent == "Test/1.0")
            let mail = try await database.stores.mailbox.list(limit: 10)
            #expect(mail.map(\.subject) == ["s2", "s1", "s0"])
            #expect(mail[1].code == "123456")
        }
    }

    @Test(arguments: kinds)
    func rateLimitWindowsCountAtomicallyRollOverAndAreCleanedUp(kind: SQLDialectKind) async throws {
        try await withDatabase(kind) { (database: SQLKeywardDatabase) async throws in
            let start = Date(timeIntervalSince1970: 1_790_000_040)
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await database.stores.rateLimits.hit(key: "k", window: 60, now: start).count }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(counts.sorted() == Array(1...20))
            let (_, endsAt) = try await database.stores.rateLimits.hit(key: "k", window: 60, now: start)
            #expect(endsAt == Date(timeIntervalSince1970: 1_790_000_040 + 60))
            #expect(try await database.stores.rateLimits.hit(key: "k", window: 60, now: endsAt).count == 1)
            _ = try await database.stores.rateLimits.hit(key: "other", window: 60, now: start)
            #expect(try await database.stores.rateLimits.deleteExpired(now: endsAt) == 1)
            #expect(try await database.stores.rateLimits.hit(key: "other", window: 60, now: start).count == 1)
        }
    }

    @Test(arguments: kinds)
    func guessesAreClaimedUpToTheLimitAndALockIsPlacedOnce(kind: SQLDialectKind) async throws {
        try await withDatabase(kind) { (database: SQLKeywardDatabase) async throws in
            let account = try await database.stores.accounts.findOrCreatePending(
                identifier: Identifier(kind: .email, value: "guess@example.com"), at: now)
            let failures = database.stores.guesses
            let scope = GuessScope.account(accountId: account.id)
            let window = now.addingTimeInterval(-86400)
            let claims = try await withThrowingTaskGroup(of: Int?.self) { group in
                for _ in 0..<30 {
                    group.addTask { try await failures.claimGuess(scope, now: self.now,
                                                                  windowStart: window, maxFailures: 5) }
                }
                return try await group.reduce(into: [Int]()) { if let value = $1 { $0.append(value) } }
            }
            #expect(claims.sorted() == [1, 2, 3, 4, 5])
            let placed = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<5 {
                    group.addTask { try await failures.placeLock(scope, now: self.now,
                                                                 until: self.now.addingTimeInterval(7200)) }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(placed == 1)
            #expect(try await failures.lockedUntil(scope, now: now) == now.addingTimeInterval(7200))
            #expect(try await failures.claimGuess(scope, now: now, windowStart: window, maxFailures: 5) == nil)
            let later = now.addingTimeInterval(600)
            #expect(try await failures.extendLock(scope, now: later, extendTo: later.addingTimeInterval(7200))
                    == later.addingTimeInterval(7200))
            #expect(try await failures.lockedUntil(.device(accountId: account.id, deviceHash: "x"), now: now) == nil)
            let afterLock = later.addingTimeInterval(7200)
            #expect(try await failures.extendLock(scope, now: afterLock, extendTo: afterLock) == nil)
            #expect(try await failures.claimGuess(scope, now: afterLock,
                                                  windowStart: afterLock.addingTimeInterval(-86400), maxFailures: 5) == 1)
            #expect(try await !failures.clearAll(accountId: account.id, now: afterLock))
            _ = try await failures.claimGuess(.device(accountId: account.id, deviceHash: "y"), now: afterLock,
                                              windowStart: afterLock.addingTimeInterval(-86400), maxFailures: 5)
            _ = try await failures.placeLock(.device(accountId: account.id, deviceHash: "y"), now: afterLock, until: afterLock.addingTimeInterval(60))
            #expect(try await failures.clearAll(accountId: account.id, now: afterLock))
            #expect(try await failures.lockedUntil(.device(accountId: account.id, deviceHash: "y"), now: afterLock) == nil)
            let recovery = GuessScope.recovery(identifier: "guess@example.com")
            _ = try await failures.claimGuess(recovery, now: afterLock, windowStart: afterLock.addingTimeInterval(-86400), maxFailures: 5)
            #expect(try await failures.placeLock(recovery, now: afterLock, until: afterLock.addingTimeInterval(60)))
            #expect(try await !failures.clearAll(accountId: account.id, now: afterLock))
            #expect(try await failures.lockedUntil(recovery, now: afterLock) == afterLock.addingTimeInterval(60))
            #expect(try await failures.counters(accountId: account.id).allSatisfy { $0.scope.kind != .recovery })
            #expect(try await failures.clear(recovery, now: afterLock))
            #expect(try await failures.lockedUntil(recovery, now: afterLock) == nil)
        }
    }

    @Test(arguments: kinds)
    func aRecoveryCodeIsUsedOnceHoweverManyRequestsRaceAndANewSetReplacesTheOld(kind: SQLDialectKind) async throws {
        try await withDatabase(kind) { (database: SQLKeywardDatabase) async throws in
            let account = try await database.stores.accounts.findOrCreatePending(
                identifier: Identifier(kind: .email, value: "codes@example.com"), at: now)
            let store = database.stores.recoveryCodes
            let first = (0..<3).map { StoredRecoveryCode(id: "c\($0)", accountId: account.id, codeHash: "h\($0)", createdAt: now) }
            try await store.replaceAll(accountId: account.id, with: first)
            #expect(try await store.remaining(accountId: account.id) == 3)
            let id = try #require(try await store.unused(accountId: account.id, codeHash: "h1"))
            let used = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<5 { group.addTask { try await store.markUsed(id: id, at: self.now) } }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(used == 1)
            #expect(try await store.unused(accountId: account.id, codeHash: "h1") == nil)
            #expect(try await store.remaining(accountId: account.id) == 2)
            try await store.replaceAll(accountId: account.id, with: [
                StoredRecoveryCode(id: "d0", accountId: account.id, codeHash: "h9", createdAt: now)])
            #expect(try await store.unused(accountId: account.id, codeHash: "h0") == nil)
            #expect(try await store.remaining(accountId: account.id) == 1)
        }
    }

    @Test(arguments: kinds)
    func holdsAndKnownDevicesAreStoredPerAccount(kind: SQLDialectKind) async throws {
        try await withDatabase(kind) { (database: SQLKeywardDatabase) async throws in
            let account = try await database.stores.accounts.findOrCreatePending(
                identifier: Identifier(kind: .email, value: "hold@example.com"), at: now)
            let hold = SecurityHold(id: "h1", accountId: account.id, kind: SecurityHold.withdrawal, reason: "password.reset",
                                    placedAt: now, until: now.addingTimeInterval(86400))
            try await database.stores.holds.place(hold)
            #expect(try await database.stores.holds.active(accountId: account.id, now: now) == [hold])
            #expect(try await database.stores.holds.active(accountId: account.id, now: now.addingTimeInterval(86400)).isEmpty)
            #expect(try await !database.stores.devices.isKnown(accountId: account.id, deviceHash: "d"))
            try await database.stores.devices.remember(accountId: account.id, deviceHash: "d", at: now)
            try await database.stores.devices.remember(accountId: account.id, deviceHash: "d", at: now.addingTimeInterval(5))
            #expect(try await database.stores.devices.isKnown(accountId: account.id, deviceHash: "d"))
        }
    }
}
