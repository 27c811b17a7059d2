import Foundation
import HTTPTypes
import HummingbirdTesting
import KeywardCore
import KeywardCrypto
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import NIOCore
import Testing

/// The person's side of the support desk: the three ways a case opens, its token, documents judged
/// by their bytes and sealed at rest, and sending it for review.
@Suite struct SupportCaseTests {
    /// An account with an email address and a bound authenticator; returns the authenticator secret.
    private func accountWithAuthenticator(_ api: TestAPI, _ email: String) async throws -> String {
        let (_, token) = try await api.registerAndVerify(email)
        _ = try await api.reauthenticate(token: token, destination: email)
        return try await api.bindAuthenticator(token: token)
    }

    @Test(arguments: TestDatabases.kinds)
    func aLostAuthenticatorOpensACaseFromTheSecondStepWithTheEmailCodeAndGoesToReviewWithAnIDAndASelfie(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(kind), clock: clock) { api, services in
            _ = try await accountWithAuthenticator(api, "lost@example.com")
            let flowId = try #require(try await api.login("lost@example.com")["flowId"] as? String)
            let unavailable = "/api/v1/login/\(flowId)/unavailable"
            let body: [String: Any] = ["unavailable": ["totp"], "description": "My phone was stolen with the app on it."]

            let unproven = try await api.call(.post, unavailable, json: body)
            #expect(unproven.status == 422 && unproven.code == "case.proof_required" && unproven["channels"] as? String == "email")
            #expect(try await api.call(.post, unavailable, json: ["unavailable": ["sms"], "description": "x"]).code
                    == "case.unavailable_invalid")
            #expect(try await api.call(.post, unavailable, json: ["unavailable": ["totp"], "description": "  "]).code
                    == "case.description_invalid")
            #expect(try await api.call(.post, unavailable, json: ["unavailable": [1], "description": "x"])["field"] as? String
                    == "unavailable[0]")

            let known = try await api.knownCodes(to: "lost@example.com")
            clock.advance(by: 60)
            let sent = try await api.call(.post, "\(unavailable)/send-code", json: ["channel": "email"])
            #expect(sent.status == 202 && sent["destination"] as? String == "l•••t@example.com")
            let code = try await api.newestCode(for: "lost@example.com", excluding: known)
            let proofMessage = try #require(try await api.message(to: "lost@example.com", subject: "security code"))
            #expect((proofMessage["body"] as? String)?.contains("open a support request") == true)
            let wrong = try await api.call(.post, unavailable,
                                           json: body.merging(["method": "email_code", "code": code == "000000" ? "111111" : "000000"]) { $1 })
            #expect(wrong.status == 422 && wrong.code == "code.invalid")
            // The email code proves the case; it never signs in an account that has an authenticator.
            let signIn = try await api.call(.post, "/api/v1/login/\(flowId)/verify", json: ["method": "email_code", "code": code])
            #expect(signIn.code == "second_factor.method_unavailable")

            let opened = try await api.call(.post, unavailable, json: body.merging(["method": "email_code", "code": code]) { $1 })
            #expect(opened.status == 201)
            let caseId = try #require(opened["caseId"] as? String)
            let caseToken = try #require(opened["caseToken"] as? String)
            #expect(caseToken.count >= 43)
            #expect(opened["topic"] as? String == "authenticator_lost" && opened["status"] as? String == "open")
            let requirements = try #require(opened["requirements"] as? [[String: Any]])
            #expect(requirements.map { $0["type"] as? String } == ["id_front", "selfie"])
            #expect(requirements.allSatisfy { $0["satisfied"] as? Bool == false })
            // The sign-in is over: it opened the case instead.
            #expect(try await api.call(.post, unavailable, json: body.merging(["method": "email_code", "code": code]) { $1 }).status == 410)

            let notice = try #require(try await api.message(to: "lost@example.com", subject: "support case"))
            let text = "\(notice["subject"] ?? "") \(notice["body"] ?? "")"
            #expect(text.contains(caseId) && !text.contains(caseToken))
            let events = try await services.database.stores.audit.recent(accountId: try #require(
                try await services.database.stores.cases.find(id: caseId)?.accountId), limit: 5)
            #expect(events.contains { $0.kind == .supportCaseOpened && $0.details["proofs"] == "password,email_code" })

            // The token opens this case only.
            let path = "/api/v1/support/cases/\(caseId)"
            #expect(try await api.call(.get, path, token: caseToken).status == 200)
            #expect(try await api.call(.get, path).code == "case.token_required")
            #expect(try await api.call(.get, path, token: String(caseToken.reversed())).code == "case.not_found")

            let early = try await api.call(.post, "\(path)/submit", token: caseToken)
            #expect(early.status == 422 && early.code == "case.requirements_missing" && early["missing"] as? String == "id_front,selfie")

            // Judged by the bytes, never the name: text and HTML named .jpg are refused.
            let textFile = try await api.upload(caseId: caseId, token: caseToken, type: "id_front", file: Array("my id".utf8))
            #expect(textFile.status == 415 && textFile.code == "document.type_unsupported")
            let html = try await api.upload(caseId: caseId, token: caseToken, type: "selfie",
                                            file: Array("<html><script>alert(1)</script></html>".utf8), filename: "selfie.jpg")
            #expect(html.status == 415)
            #expect(try await api.upload(caseId: caseId, token: caseToken, type: "passport", file: TestAPI.jpeg()).code
                    == "document.kind_invalid")
            let front = try await api.upload(caseId: caseId, token: caseToken, type: "id_front", file: TestAPI.png("IDCARD-MARKER"),
                                             filename: "front.txt")
            #expect(front.status == 201 && front["contentType"] as? String == "image/png" && front["type"] as? String == "id_front")
            let selfie = try await api.upload(caseId: caseId, token: caseToken, type: "selfie", file: TestAPI.jpeg("SELFIE-MARKER"))
            #expect(selfie.status == 201 && selfie["contentType"] as? String == "image/jpeg")

            // Sealed at rest: neither file's bytes are in the database.
            let frontId = try #require(front["documentId"] as? String)
            let stored = try #require(try await services.database.stores.cases.documentContent(caseId: caseId, documentId: frontId))
            #expect(!Data(stored.1.content).contains(Data("IDCARD-MARKER".utf8)))
            #expect(stored.1.wrappedKey.count > 32)

            #expect(try await api.call(.post, "\(path)/messages", json: ["body": "I can also send a utility bill."],
                                       token: caseToken).status == 201)
            let submitted = try await api.call(.post, "\(path)/submit", token: caseToken)
            #expect(submitted.status == 200 && submitted["status"] as? String == "in_review")
            #expect(submitted["respondBy"] as? String == ISO8601.string(clock.now().addingTimeInterval(48 * 3600)))
            #expect(try await api.call(.post, "\(path)/submit", token: caseToken).code == "case.already_submitted")

            let view = try await api.call(.get, path, token: caseToken)
            #expect((view["documents"] as? [[String: Any]])?.count == 2)
            #expect((view["messages"] as? [[String: Any]])?.first?["from"] as? String == "person")
            #expect((view["requirements"] as? [[String: Any]])?.allSatisfy { $0["satisfied"] as? Bool == true } == true)
            #expect(view.json.keys.contains("decision") && !view.json.keys.contains("caseToken"))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aCaseOpensWithoutThePasswordThroughACodeAndAnUnknownIdentifierIsAnsweredAlike(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(kind), clock: clock) { api, _ in
            _ = try await api.registerAndVerify("owner@example.com")
            clock.advance(by: 60)
            let body: [String: Any] = ["topic": "phone_lost", "description": "My number was cancelled."]
            let known = try await api.knownCodes(to: "owner@example.com")
            let real = try await api.call(.post, "/api/v1/support/cases", json: body.merging(["identifier": "owner@example.com"]) { $1 })
            let fake = try await api.call(.post, "/api/v1/support/cases", json: body.merging(["identifier": "nobody@example.com"]) { $1 })
            #expect(real.status == 202 && fake.status == 202)
            #expect(Set(real.json.keys) == ["caseId", "channel", "resendAvailableAt"] && Set(fake.json.keys) == Set(real.json.keys))
            #expect(real["channel"] as? String == "email" && fake["channel"] as? String == "email")
            #expect(try await api.messages(to: "nobody@example.com").isEmpty)

            let realId = try #require(real["caseId"] as? String), fakeId = try #require(fake["caseId"] as? String)
            let wrongReal = try await api.call(.post, "/api/v1/support/cases/\(realId)/verify", json: ["code": "000001"])
            let wrongFake = try await api.call(.post, "/api/v1/support/cases/\(fakeId)/verify", json: ["code": "000001"])
            #expect(wrongReal.status == wrongFake.status && wrongReal.code == "code.invalid" && wrongFake.code == "code.invalid")
            #expect(wrongReal["attemptsRemaining"] as? Int == wrongFake["attemptsRemaining"] as? Int)

            let code = try await api.newestCode(for: "owner@example.com", excluding: known)
            let codeMessage = try #require(try await api.message(to: "owner@example.com", subject: "security code"))
            #expect((codeMessage["body"] as? String)?.contains("someone is trying to contact support in your name") == true)
            let opened = try await api.call(.post, "/api/v1/support/cases/\(realId)/verify", json: ["code": code])
            #expect(opened.status == 200 && opened["caseId"] as? String == realId && opened["status"] as? String == "open")
            #expect(opened["topic"] as? String == "phone_lost" && opened["caseToken"] is String)
            #expect(try await api.call(.post, "/api/v1/support/cases/\(realId)/verify", json: ["code": code]).code
                    == "case.opening_completed")
            #expect(try await api.call(.post, "/api/v1/support/cases", json: body.merging(
                ["identifier": "owner@example.com", "topic": "authenticator_lost"]) { $1 }).code == "case.topic_invalid")
            #expect(try await api.call(.post, "/api/v1/support/cases/unknown/verify", json: ["code": code]).code == "case.not_found")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aSignedInPersonOpensACaseAtOnceAndNoOtherAccountSeesIt(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(kind), clock: clock) { api, _ in
            let (_, token) = try await api.registerAndVerify("signed@example.com")
            let (_, other) = try await api.registerAndVerify("other@example.com")
            let opened = try await api.call(.post, "/api/v1/support/cases",
                                            json: ["topic": "other", "description": "Where is my deposit?"], token: token)
            #expect(opened.status == 201 && (opened["requirements"] as? [Any])?.isEmpty == true)
            let caseId = try #require(opened["caseId"] as? String)
            #expect(try await api.call(.get, "/api/v1/support/cases/\(caseId)", token: token).status == 200)
            #expect(try await api.call(.get, "/api/v1/support/cases/\(caseId)", token: other).code == "case.not_found")
            let list = try await api.call(.get, "/api/v1/support/cases", token: token)
            #expect((list["cases"] as? [[String: Any]])?.map { $0["caseId"] as? String } == [caseId])
            #expect(try await api.call(.get, "/api/v1/support/cases").code == "session.required")
            // Nothing required: it goes to review at once.
            #expect(try await api.call(.post, "/api/v1/support/cases/\(caseId)/submit", token: token)["status"] as? String
                    == "in_review")
            #expect(try await api.call(.post, "/api/v1/support/cases", json: ["topic": "lost", "description": "x"],
                                       token: token).code == "case.topic_invalid")
            // Five a day, then the account waits.
            for _ in 0..<4 {
                #expect(try await api.call(.post, "/api/v1/support/cases", json: ["topic": "other", "description": "again"],
                                           token: token).status == 201)
            }
            #expect(try await api.call(.post, "/api/v1/support/cases", json: ["topic": "other", "description": "again"],
                                       token: token).code == "rate_limited")
        }
    }

    @Test func uploadsPastTheLimitsAreRefusedAndACaseHoldsTenDocuments() async throws {
        var config = try await LockoutTests.config(.sqlite)
        try config.set("support.maxDocumentBytes", to: "65536")
        try await withKeyward(config) { api, _ in
            let (_, token) = try await api.registerAndVerify("files@example.com")
            let opened = try await api.call(.post, "/api/v1/support/cases", json: ["topic": "other", "description": "Files"],
                                            token: token)
            let caseId = try #require(opened["caseId"] as? String), caseToken = try #require(opened["caseToken"] as? String)
            // 20 MiB, declared up front: answered once the head has come, before the rest is sent.
            let port = try #require(api.client.port)
            let path = "/api/v1/support/cases/\(caseId)/documents"
            let boundary = "raw-upload-boundary"
            let partHead = "--\(boundary)\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nid_front\r\n"
                + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jpg\"\r\n\r\n"
            let declared = try RawConnection(port: port)
            declared.send("POST \(path) HTTP/1.1\r\nHost: keyward.test\r\nAuthorization: Bearer \(caseToken)\r\n"
                          + "Content-Type: multipart/form-data; boundary=\(boundary)\r\nContent-Length: \(20 << 20)\r\n\r\n"
                          + partHead + String(repeating: "A", count: 4096))
            let (answer, _) = try await declared.read(for: .seconds(5), until: "}")
            #expect(answer.hasPrefix("HTTP/1.1 413") && answer.contains("\"document.too_large\"") && answer.contains("\"limit\":65536"))
            // Chunked, with no length up front: refused as the file grows past the limit, before the body ends.
            let chunked = try RawConnection(port: port)
            chunked.send("POST \(path) HTTP/1.1\r\nHost: keyward.test\r\nAuthorization: Bearer \(caseToken)\r\n"
                         + "Content-Type: multipart/form-data; boundary=\(boundary)\r\nTransfer-Encoding: chunked\r\n\r\n")
            let piece = String(repeating: "B", count: 16384)
            chunked.send(String(partHead.utf8.count, radix: 16) + "\r\n" + partHead + "\r\n")
            for _ in 0..<16 { chunked.send("4000\r\n" + piece + "\r\n") }
            let (refusal, _) = try await chunked.read(for: .seconds(5), until: "}")
            #expect(refusal.hasPrefix("HTTP/1.1 413") && refusal.contains("\"document.too_large\""))
            // Just past the limit, inside a body small enough to be read: refused as the file grows.
            var over = TestAPI.jpeg()
            over.insert(contentsOf: [UInt8](repeating: 0x42, count: 65536), at: 6)
            #expect(try await api.upload(caseId: caseId, token: caseToken, type: "id_front", file: over).code == "document.too_large")

            let notMultipart = try await api.call(.post, "/api/v1/support/cases/\(caseId)/documents", json: ["type": "id_front"],
                                                  token: caseToken)
            #expect(notMultipart.status == 400 && notMultipart.code == "document.upload_invalid")
            for index in 0..<10 {
                #expect(try await api.upload(caseId: caseId, token: caseToken, type: "other", file: TestAPI.jpeg("\(index)")).status == 201)
            }
            let eleventh = try await api.upload(caseId: caseId, token: caseToken, type: "other", file: TestAPI.jpeg())
            #expect(eleventh.status == 409 && eleventh.code == "document.limit_reached")
            // Someone else's token never reaches the upload.
            #expect(try await api.upload(caseId: caseId, token: token + "x", type: "other", file: TestAPI.jpeg()).code
                    == "case.not_found")
        }
    }
}
