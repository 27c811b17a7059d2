import Foundation
import HTTPTypes
import HummingbirdTesting
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import NIOCore
import Testing

/// The support pages as a browser reaches them: a case page opens only with the case cookie or the
/// owner's session, and a page's document upload carries its CSRF token inside the multipart body.
@Suite struct WebSupportPageTests {
    /// A case opened through the API by a signed-in account: its id, its token and the session.
    private func openedCase(_ api: TestAPI, _ email: String, topic: String = "account_frozen") async throws
        -> (caseId: String, caseToken: String, session: String) {
        let (_, session) = try await api.registerAndVerify(email)
        let opened = try await api.call(.post, "/api/v1/support/cases",
                                        json: ["topic": topic, "description": "Frozen by mistake, PAGE-MARKER"], token: session)
        return (try #require(opened["caseId"] as? String), try #require(opened["caseToken"] as? String), session)
    }

    /// A `multipart/form-data` body of text parts, then a JPEG `file` part.
    private func multipart(_ parts: [(String, String)], file: [UInt8]) -> (body: ByteBuffer, contentType: String) {
        let boundary = "page-\(UUID().uuidString)"
        var body = ByteBuffer()
        for (name, value) in parts {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"id.jpg\"\r\n")
        body.writeString("Content-Type: image/jpeg\r\n\r\n")
        body.writeBytes(file)
        body.writeString("\r\n--\(boundary)--\r\n")
        return (body, "multipart/form-data; boundary=\(boundary)")
    }

    private func upload(_ api: TestAPI, caseId: String, cookie: String, parts: [(String, String)]) async throws -> Reply {
        let form = multipart(parts, file: TestAPI.jpeg("PAGE-UPLOAD"))
        return try await api.client.execute(uri: "/support/cases/\(caseId)/documents", method: .post,
                                            headers: [.contentType: form.contentType, .cookie: cookie],
                                            body: form.body) { response in
            Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: response.body))
        }
    }

    private func documents(_ api: TestAPI, caseId: String, caseToken: String) async throws -> Int {
        (try await api.call(.get, "/api/v1/support/cases/\(caseId)", token: caseToken)["documents"] as? [Any])?.count ?? -1
    }

    @Test func aCasePageOpensOnlyWithItsCookieOrTheOwnersSession() async throws {
        try await withKeyward(try await LockoutTests.config(.sqlite)) { api, _ in
            let (caseId, caseToken, session) = try await openedCase(api, "page@example.com")
            let path = "/support/cases/\(caseId)"

            let bare = try await api.call(.get, path)
            #expect(bare.status == 401 && bare.text.contains("opens only on the device it was opened on"))
            #expect(bare.text.contains("href=\"/support\"") && !bare.text.contains("PAGE-MARKER"))
            #expect(bare.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)

            let stranger = try await api.call(.get, path, headers: [.cookie: "__Host-keyward_case=\(String(caseToken.reversed()))"])
            #expect(stranger.status == 404 && stranger.text.contains("opens only on the device"))

            let owner = try await api.call(.get, path, headers: [.cookie: "__Host-keyward_case=\(caseToken)"])
            #expect(owner.status == 200 && owner.text.contains(caseId))
            #expect(owner.text.contains("Selfie holding your ID") && owner.text.contains("data-satisfied=\"no\""))
            #expect(owner.text.contains("enctype=\"multipart/form-data\"") && owner.text.contains("capture=\"environment\""))
            #expect(!owner.text.contains(caseToken))

            let signedIn = try await api.call(.get, path, headers: [.cookie: "__Host-keyward_session=\(session)"])
            #expect(signedIn.status == 200 && signedIn.text.contains(caseId))
            // Signed in to another account, the case cookie of this browser still opens the case it opened.
            let (_, other) = try await api.registerAndVerify("other-page@example.com")
            let both = try await api.call(.get, path, headers: [.cookie: "__Host-keyward_session=\(other); __Host-keyward_case=\(caseToken)"])
            #expect(both.status == 200 && both.text.contains(caseId))
            let neither = try await api.call(.get, path, headers: [.cookie: "__Host-keyward_session=\(other)"])
            #expect(neither.status == 404)
            // The API never reads the case cookie: a page's key is no API credential.
            #expect(try await api.call(.get, "/api/v1\(path)", headers: [.cookie: "__Host-keyward_case=\(caseToken)"]).code
                    == "case.token_required")
        }
    }

    @Test func aPageUploadIsStoredOnlyWithTheFormTokenInsideIt() async throws {
        try await withKeyward(try await LockoutTests.config(.sqlite)) { api, _ in
            let (caseId, caseToken, _) = try await openedCase(api, "upload@example.com")
            let (csrfCookie, token) = try await api.call(.get, "/support").csrf()
            let cookie = "__Host-keyward_case=\(caseToken); \(csrfCookie)"

            let missing = try await upload(api, caseId: caseId, cookie: cookie, parts: [("type", "id_front")])
            #expect(missing.status == 403 && missing.text.contains("data-code=\"csrf.invalid\""))
            let wrong = try await upload(api, caseId: caseId, cookie: cookie,
                                         parts: [("csrf", String(token.reversed())), ("type", "id_front")])
            #expect(wrong.status == 403)
            let oversized = try await upload(api, caseId: caseId, cookie: cookie,
                                             parts: [("csrf", String(repeating: "a", count: 257)), ("type", "id_front")])
            #expect(oversized.status == 400 && oversized.text.contains("document.upload_invalid"))
            // The case cookie alone is not enough either: the form token is bound to the CSRF cookie.
            let noCSRFCookie = try await upload(api, caseId: caseId, cookie: "__Host-keyward_case=\(caseToken)",
                                                parts: [("csrf", token), ("type", "id_front")])
            #expect(noCSRFCookie.status == 403)
            #expect(try await documents(api, caseId: caseId, caseToken: caseToken) == 0)

            let stored = try await upload(api, caseId: caseId, cookie: cookie, parts: [("csrf", token), ("type", "id_front")])
            #expect(stored.status == 303 && stored.headers[.location] == "/support/cases/\(caseId)?done=document")
            #expect(try await documents(api, caseId: caseId, caseToken: caseToken) == 1)
            // Without the case's key nothing is read at all.
            let stranger = try await upload(api, caseId: caseId, cookie: csrfCookie, parts: [("csrf", token), ("type", "id_front")])
            #expect(stranger.status == 401 && stranger.text.contains("opens only on the device"))
            #expect(try await documents(api, caseId: caseId, caseToken: caseToken) == 1)
        }
    }
}

/// In strict mode the password-reset code page must not tell a real account's identifier from an
/// unknown one by whether it can say where the message stands.
@Suite struct StrictRecoveryPageTests {
    @Test func theRecoveryCodePageShowsNoDeliveryStatusWhenExistenceIsSecret() async throws {
        var config = try await LockoutTests.config(.sqlite, ["login.revealAccountExistence": "false"])
        config.codeResendInterval = 1
        try await withKeyward(config) { api, _ in
            _ = try await api.registerAndVerify("real@example.com")
            api.clock.advance(by: 60)
            var pages: [String] = []
            for identifier in ["real@example.com", "ghost@example.com"] {
                let started = try await api.call(.post, "/api/v1/recovery", json: ["identifier": identifier])
                let flowId = try #require(started["flowId"] as? String)
                pages.append(try await api.call(.get, "/recover/\(flowId)").text)
            }
            _ = try await api.newestCode(for: "real@example.com")
            #expect(pages.allSatisfy { !$0.contains("id=\"code-delivery\"") })
        }
    }
}
