import Foundation
import KeywardCore
import KeywardStorage
import KeywardTestSupport
import Testing

/// Every flow kind loads and advances through one path, with the same answers for a missing,
/// finished, expired or out-of-step flow; run on SQLite and (when configured) PostgreSQL.
@Suite struct FlowKindTests {
    static let kinds = TestDatabases.kinds
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    private func account(_ stores: any KeywardStores, _ email: String = "flow@example.com") async throws -> String {
        try await stores.accounts.findOrCreatePending(identifier: Identifier(kind: .email, value: email), at: now).id
    }

    private func startRecovery(_ stores: any KeywardStores) async throws -> LoadedFlow<RecoveryFlow> {
        try await stores.flows.start(RecoveryFlow.self, id: UUID().uuidString, state: .codeSent,
                                     accountId: try await account(stores),
                                     identifier: Identifier(kind: .email, value: "flow@example.com"), at: now,
                                     lifetime: 1800, context: RecoveryFlow.Context())
    }

    @Test(arguments: kinds)
    func aFlowLoadsOnlyAsItsOwnKindAndAccountInTheStateAskedFor(kind: SQLDialectKind) async throws {
        try await TestDatabases.with(kind) { database in
            let stores = database.stores
            let flow = try await startRecovery(stores)
            let loaded = try await stores.flows.load(flow.id, as: RecoveryFlow.self, in: .codeSent, now: now)
            #expect(loaded.context == RecoveryFlow.Context() && loaded.identifier == flow.identifier)
            await #expect(throws: KeywardError.flowNotFound) {
                try await stores.flows.load(flow.id, as: SignInFlow.self, in: .secondFactorRequired, now: self.now)
            }
            let other = try await account(stores, "other@example.com")
            await #expect(throws: KeywardError.recoveryNotFound) {
                try await stores.flows.load(flow.id, as: RecoveryFlow.self, in: .codeSent, accountId: other, now: self.now)
            }
            await #expect(throws: KeywardError.recoveryNotFound) {
                try await stores.flows.load("missing", as: RecoveryFlow.self, in: .codeSent, now: self.now)
            }
            await #expect(throws: KeywardError.recoveryNotVerified) {
                try await stores.flows.load(flow.id, as: RecoveryFlow.self, in: .verified, now: self.now)
            }
            await #expect(throws: KeywardError.recoveryExpired) {
                try await stores.flows.load(flow.id, as: RecoveryFlow.self, in: .codeSent, now: self.now.addingTimeInterval(1800))
            }
        }
    }

    @Test(arguments: kinds)
    func anAdvanceHappensOnceAndAFinishedFlowSaysSo(kind: SQLDialectKind) async throws {
        try await TestDatabases.with(kind) { database in
            let stores = database.stores
            let flow = try await startRecovery(stores)
            let moved = try await stores.flows.advance(flow, from: .codeSent, to: .secondFactorRequired,
                                                       context: RecoveryFlow.Context(methods: [.totp]), at: now)
            #expect(moved.state == .secondFactorRequired && moved.context.methods == [.totp])
            await #expect(throws: KeywardError.recoveryAlreadyVerified) {
                try await stores.flows.advance(flow, from: .codeSent, to: .verified, at: self.now,
                                               lost: .recoveryAlreadyVerified)
            }
            let reloaded = try await stores.flows.load(flow.id, as: RecoveryFlow.self, in: .secondFactorRequired, now: now)
            #expect(reloaded.context.methods == [.totp])
            await #expect(throws: KeywardError.recoverySecondFactorRequired) {
                try await stores.flows.load(flow.id, as: RecoveryFlow.self, in: .verified, now: self.now)
            }
            try await stores.flows.advance(reloaded, from: .secondFactorRequired, to: .completed, at: now)
            await #expect(throws: KeywardError.recoveryCompleted) {
                try await stores.flows.load(flow.id, as: RecoveryFlow.self, in: .verified, now: self.now)
            }
        }
    }

    @Test(arguments: kinds)
    func aContextWrittenBeforeFlowsWereTypedStillReads(kind: SQLDialectKind) async throws {
        try await TestDatabases.with(kind) { database in
            let stores = database.stores
            let accountId = try await account(stores)
            let legacy = Flow(id: UUID().uuidString, kind: .signIn, state: "second_factor_required", accountId: accountId,
                              identifier: nil, createdAt: now, updatedAt: now, expiresAt: now.addingTimeInterval(600),
                              context: #"{"deviceName":"Laptop","methods":"email_code,sms_code","scope":"account"}"#)
            try await stores.flows.insert(legacy)
            let flow = try await stores.flows.load(legacy.id, as: SignInFlow.self, in: .secondFactorRequired, now: now)
            #expect(flow.context.methods == [.emailCode, .smsCode])
            #expect(flow.context.deviceName == "Laptop" && flow.context.scope == "account" && flow.context.deviceHash == nil)

            let unreadable = Flow(id: UUID().uuidString, kind: .signIn, state: "second_factor_required", accountId: accountId,
                                  identifier: nil, createdAt: now, updatedAt: now, expiresAt: now.addingTimeInterval(600),
                                  context: #"{"methods":7}"#)
            try await stores.flows.insert(unreadable)
            await #expect(throws: KeywardError.flowExpired) {
                try await stores.flows.load(unreadable.id, as: SignInFlow.self, in: .secondFactorRequired, now: self.now)
            }
        }
    }

    @Test(arguments: kinds)
    func flowsLongExpiredAreDeletedAndTheAccountsOthersListedNewestFirst(kind: SQLDialectKind) async throws {
        try await TestDatabases.with(kind) { database in
            let stores = database.stores
            let old = try await startRecovery(stores)
            let accountId = try #require(old.accountId)
            let recent = try await stores.flows.start(
                PasskeyRegistrationFlow.self, id: UUID().uuidString, state: .waiting, accountId: accountId, identifier: nil,
                at: now.addingTimeInterval(3600), lifetime: 300, context: .init(sessionId: "s1"))
            #expect(try await stores.flows.list(accountId: accountId, since: now, limit: 10).map(\.id) == [recent.id, old.id])
            #expect(try await stores.flows.list(accountId: accountId, since: now.addingTimeInterval(1), limit: 10).map(\.id)
                    == [recent.id])
            // The recovery expired 30 minutes after `now`, the registration 65 minutes after.
            #expect(try await stores.flows.deleteExpired(before: now.addingTimeInterval(1800)) == 0)
            #expect(try await stores.flows.deleteExpired(before: now.addingTimeInterval(3700)) == 1)
            #expect(try await stores.flows.find(id: old.id) == nil)
            #expect(try await stores.flows.find(id: recent.id) != nil)
        }
    }
}
