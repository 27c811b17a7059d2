import Foundation
import KeywardCore
import KeywardCrypto
import KeywardStorage
import KeywardTestSupport
import Testing

/// The support case store, on SQLite and PostgreSQL.
@Suite struct SupportCaseStorageContractTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    private func supportCase(_ id: String, accountId: String, at: Date? = nil) -> SupportCase {
        SupportCase(id: id, accountId: accountId, topic: .authenticatorLost, status: .open, tokenHash: "hash-\(id)",
                    description: "Lost my phone with the app", proofs: [.password, .emailCode], unavailable: ["totp"],
                    createdAt: at ?? now, updatedAt: at ?? now, respondBy: nil, closedAt: nil, decision: nil)
    }

    private func document(_ id: String, caseId: String, kind: CaseDocument.Kind = .idFront) -> CaseDocument {
        CaseDocument(id: id, caseId: caseId, kind: kind, contentType: .png, bytes: 1234, uploadedAt: now)
    }

    @Test(arguments: TestDatabases.kinds)
    func aCaseMovesOnlyFromTheStatesItIsInAndListsForItsAccount(kind: SQLDialectKind) async throws {
        try await TestDatabases.with(kind) { database in
            let stores = database.stores
            let account = try await stores.accounts.findOrCreatePending(identifier: Identifier(kind: .email, value: "a@example.com"), at: now)
            try await stores.cases.insert(supportCase("c1", accountId: account.id))
            try await stores.cases.insert(supportCase("c2", accountId: account.id, at: now.addingTimeInterval(60)))
            #expect(try await stores.cases.find(id: "c1") == supportCase("c1", accountId: account.id))
            #expect(try await stores.cases.list(accountId: account.id).map(\.id) == ["c2", "c1"])
            #expect(try await stores.cases.count(accountId: account.id, since: now.addingTimeInterval(30)) == 1)
            let due = now.addingTimeInterval(48 * 3600)
            #expect(try await stores.cases.transition(id: "c1", from: [.open, .waitingForPerson], to: .inReview, at: now,
                                                      respondBy: due, closedAt: nil, decision: nil))
            #expect(try await !stores.cases.transition(id: "c1", from: [.open], to: .inReview, at: now,
                                                       respondBy: nil, closedAt: nil, decision: nil))
            let submitted = try #require(try await stores.cases.find(id: "c1"))
            #expect(submitted.status == .inReview && submitted.respondBy == due)
            #expect(try await stores.cases.transition(id: "c1", from: [.inReview], to: .resolved, at: now, respondBy: nil,
                                                      closedAt: now, decision: "Authenticator reset"))
            let closed = try #require(try await stores.cases.find(id: "c1"))
            #expect(closed.status == .resolved && closed.respondBy == due && closed.closedAt == now
                    && closed.decision == "Authenticator reset")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func documentsKeepTheirSealedBytesUpToTheLimitUntilErasedAfterTheCaseCloses(kind: SQLDialectKind) async throws {
        try await TestDatabases.with(kind) { database in
            let stores = database.stores
            let account = try await stores.accounts.findOrCreatePending(identifier: Identifier(kind: .email, value: "d@example.com"), at: now)
            try await stores.cases.insert(supportCase("c1", accountId: account.id))
            // Every byte value, and more than one page of them, comes back exactly.
            let sealed = EnvelopeSealed(wrappedKey: Array(0...255), content: (0..<70_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
            #expect(try await stores.cases.addDocument(document("d1", caseId: "c1"), sealed: sealed, limit: 2))
            #expect(try await stores.cases.addDocument(document("d2", caseId: "c1", kind: .selfie), sealed: sealed, limit: 2))
            #expect(try await !stores.cases.addDocument(document("d3", caseId: "c1"), sealed: sealed, limit: 2))
            #expect(try await stores.cases.documents(caseId: "c1").map(\.id) == ["d1", "d2"])
            let (found, content) = try #require(try await stores.cases.documentContent(caseId: "c1", documentId: "d1"))
            #expect(found == document("d1", caseId: "c1") && content == sealed)
            #expect(try await stores.cases.documentContent(caseId: "other", documentId: "d1") == nil)

            // An open case keeps its documents whatever their age; a closed one loses them after the cutoff.
            #expect(try await stores.cases.eraseDocuments(closedBefore: now.addingTimeInterval(86400), at: now) == 0)
            _ = try await stores.cases.transition(id: "c1", from: [.open], to: .rejected, at: now, respondBy: nil,
                                                  closedAt: now, decision: "Not the owner")
            #expect(try await stores.cases.eraseDocuments(closedBefore: now, at: now) == 0)
            #expect(try await stores.cases.eraseDocuments(closedBefore: now.addingTimeInterval(1), at: now) == 2)
            #expect(try await stores.cases.documentContent(caseId: "c1", documentId: "d1") == nil)
            let erased = try await stores.cases.documents(caseId: "c1")
            #expect(erased.count == 2 && erased.allSatisfy { $0.erasedAt == now })
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func theThreadListsInTheOrderWritten(kind: SQLDialectKind) async throws {
        try await TestDatabases.with(kind) { database in
            let stores = database.stores
            let account = try await stores.accounts.findOrCreatePending(identifier: Identifier(kind: .email, value: "m@example.com"), at: now)
            try await stores.cases.insert(supportCase("c1", accountId: account.id))
            let first = CaseMessage(id: "m1", caseId: "c1", author: .person, staffId: nil, body: "Hello\nthere", at: now)
            let second = CaseMessage(id: "m0", caseId: "c1", author: .support, staffId: "s1", body: "Send your ID",
                                     at: now.addingTimeInterval(5))
            try await stores.cases.addMessage(first)
            try await stores.cases.addMessage(second)
            #expect(try await stores.cases.messages(caseId: "c1") == [first, second])
            #expect(try await stores.cases.find(id: "c1")?.updatedAt == now.addingTimeInterval(5))
        }
    }
}
