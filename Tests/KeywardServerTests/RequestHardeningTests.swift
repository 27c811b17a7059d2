import Foundation
import HummingbirdTesting
import HTTPTypes
import KeywardCore
import KeywardCrypto
import KeywardServer
import KeywardTestSupport
import NIOCore
import Testing

/// What a careful server refuses or insists on: JSON only as JSON, one value per key, HSTS in
/// production, and one password however its accents are composed.
@Suite struct RequestHardeningTests {
    static let login = #"{"identifier":"ada@example.com","password":"Tr4velling-Lynx"}"#

    @Test func aJSONBodySentAsAnythingButJSONIsRefusedSoNoOtherSiteCanPostIt() async throws {
        try await withKeyward { api, _ in
            _ = try await api.registerAndVerify("ada@example.com")
            for type in ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data"] {
                let refused = try await api.call(.post, "/api/v1/login", body: Self.login, headers: [.contentType: type])
                #expect(refused.status == 415, "\(type) was not refused")
                #expect(refused.code == "request.unsupported_media_type")
                #expect((refused["detail"] as? String)?.contains("Content-Type: application/json") == true)
            }
            let registration = try await api.call(.post, "/api/v1/registrations", headers: [.contentType: "text/plain"])
            #expect(registration.status == 415)
            // No Content-Type at all, with a body, is refused too.
            let bare = try await api.client.execute(uri: "/api/v1/login", method: .post, headers: [:],
                                                    body: .init(string: Self.login)) { Int($0.status.code) }
            #expect(bare == 415)
            for type in ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"] {
                let accepted = try await api.call(.post, "/api/v1/login", body: Self.login, headers: [.contentType: type])
                #expect(accepted.status == 200, "\(type) was refused")
            }
            // A request that carries no body needs no Content-Type.
            let resend = try await api.call(.post, "/api/v1/registrations/nope/resend")
            #expect(resend.code == "registration.not_found")
        }
    }

    @Test func anObjectThatNamesAKeyTwiceIsRefusedHoweverTheKeyIsSpelled() async throws {
        try await withKeyward { api, _ in
            _ = try await api.registerAndVerify("ada@example.com")
            let bodies = [
                #"{"identifier":"ada@example.com","identifier":"eve@example.com","password":"Tr4velling-Lynx"}"#,
                #"{"identifier":"ada@example.com","identif\u0069er":"eve@example.com","password":"Tr4velling-Lynx"}"#,
                #"{"identifier":"ada@example.com","password":"Tr4velling-Lynx","deviceName":"a","deviceName":"b"}"#,
                #"{"identifier":"ada@example.com","password":"Tr4velling-Lynx","x":{"k":1,"k":2}}"#,
            ]
            for body in bodies {
                let refused = try await api.call(.post, "/api/v1/login", body: body)
                #expect(refused.status == 400, "\(body) was accepted")
                #expect(refused.code == "request.malformed")
            }
            // The same key in different objects, or as a string value, is no duplicate.
            let fine = #"{"identifier":"ada@example.com","password":"Tr4velling-Lynx","x":[{"k":1},{"k":"identifier"}]}"#
            #expect(try await api.call(.post, "/api/v1/login", body: fine).status == 200)
        }
    }

    @Test func productionAnswersWithStrictTransportSecurityAndDevelopmentWithout() async throws {
        try await withKeyward { api, _ in
            let page = try await api.call(.get, "/healthz")
            #expect(page.headers[HTTPField.Name("Strict-Transport-Security")!] == nil)
        }
        var production = KeywardConfig.testing()
        production.mode = .production
        production.allowDevelopmentMailboxInProduction = true
        try await withKeyward(production) { api, _ in
            for path in ["/healthz", "/login", "/api/v1/session", "/no-such-page"] {
                let reply = try await api.call(.get, path)
                #expect(reply.headers[HTTPField.Name("Strict-Transport-Security")!] == "max-age=31536000; includeSubDomains",
                        "\(path) has no HSTS")
            }
        }
        production.hstsIncludeSubdomains = false
        try await withKeyward(production) { api, _ in
            let reply = try await api.call(.get, "/healthz")
            #expect(reply.headers[HTTPField.Name("Strict-Transport-Security")!] == "max-age=31536000")
        }
    }

    @Test func aPasswordIsTheSameWhicheverWayItsAccentsAreComposed() async throws {
        let composed = "Caf\u{E9}-Lantern-27", decomposed = "Cafe\u{301}-Lantern-27"
        #expect(!composed.utf8.elementsEqual(decomposed.utf8))
        try await withKeyward { api, services in
            let (accountId, _) = try await api.registerAndVerify("zoe@example.com", password: decomposed)
            let stored = try #require(try await services.database.stores.accounts.find(id: accountId)?.passwordHash)
            #expect(try Argon2id.verify(password: composed, encoded: stored))
            #expect(try await api.login("zoe@example.com", composed).status == 200)
            #expect(try await api.login("zoe@example.com", decomposed).status == 200)
            #expect(try await api.login("zoe@example.com", "Cafe-Lantern-27").status == 401)
            #expect(try await services.database.stores.accounts.find(id: accountId)?.passwordHash == stored)
        }
    }

    @Test func aHashMadeBeforeNormalisationSignsInAndIsReplacedByTheNormalisedOne() async throws {
        let composed = "Caf\u{E9}-Lantern-27", decomposed = "Cafe\u{301}-Lantern-27"
        let parameters = Argon2id.Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)
        try await withKeyward { api, services in
            let (accountId, _) = try await api.registerAndVerify("old@example.com")
            let accounts = services.database.stores.accounts
            // As an earlier version stored it: the bytes as typed, not normalised.
            let legacy = try Argon2id.hashEncoded(password: decomposed, parameters: parameters)
            try await accounts.updatePasswordHash(accountId: accountId, passwordHash: legacy)
            #expect(try !Argon2id.verify(password: composed, encoded: legacy))
            #expect(try await api.login("old@example.com", "Cafe-Lantern-27").status == 401)
            #expect(try await accounts.find(id: accountId)?.passwordHash == legacy)

            #expect(try await api.login("old@example.com", decomposed).status == 200)
            let rehashed = try #require(try await accounts.find(id: accountId)?.passwordHash)
            #expect(rehashed != legacy)
            #expect(try Argon2id.verify(password: composed, encoded: rehashed))
            #expect(try await api.login("old@example.com", composed).status == 200)

            // A password normalisation leaves alone is never rehashed for it.
            let ascii = try Argon2id.hashEncoded(password: "Tr4velling-Lynx", parameters: parameters)
            try await accounts.updatePasswordHash(accountId: accountId, passwordHash: ascii)
            #expect(try await api.login("old@example.com", "Tr4velling-Lynx").status == 200)
            #expect(try await accounts.find(id: accountId)?.passwordHash == ascii)
        }
    }
}
