import Foundation
import HTTPTypes
import HummingbirdTesting
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import NIOCore
import Testing

/// The staff side of the support desk: staff enrolment and sign-in, the queue, documents, and
/// actions with a second person, through the real application on both databases.
@Suite struct SupportDeskTests {
    static let staffPassword = "Quiet-Harbour-Lantern-42"

    /// Adds a member of staff, enrols them through the API and signs them in; returns their token.
    static func staffToken(_ api: TestAPI, _ services: KeywardServices, _ email: String,
                           role: StaffMember.Role) async throws -> String {
        let invitation = try await services.staff.add(email: email, role: role)
        let started = try await api.call(.post, "/api/v1/staff/enrollment/\(invitation.token)", json: ["password": staffPassword])
        let secret = try #require(started["secret"] as? String)
        let confirmed = try await api.call(.post, "/api/v1/staff/enrollment/\(invitation.token)/confirm",
                                           json: ["code": TestAPI.totp(secret, at: api.clock.now())])
        guard confirmed.status == 200 else { throw TestFailure("enrolment failed: \(confirmed.text)") }
        api.clock.advance(by: 30)
        let signedIn = try await api.call(.post, "/api/v1/staff/sessions", json: [
            "email": email, "password": staffPassword, "code": TestAPI.totp(secret, at: api.clock.now())])
        return try #require(signedIn["token"] as? String)
    }

    /// Opens a case from a sign-in whose second factor is gone, uploads an ID and a selfie and
    /// submits it; returns the case id and token.
    static func submittedCase(_ api: TestAPI, identifier: String, unavailable: String, proofTo: String?) async throws -> (String, String) {
        let flowId = try #require(try await api.login(identifier)["flowId"] as? String)
        var body: [String: Any] = ["unavailable": [unavailable], "description": "I can no longer get my codes."]
        if let proofTo {
            let known = try await api.knownCodes(to: proofTo)
            api.clock.advance(by: 60)
            _ = try await api.call(.post, "/api/v1/login/\(flowId)/unavailable/send-code",
                                   json: ["channel": proofTo.hasPrefix("+") ? "sms" : "email"])
            body["method"] = proofTo.hasPrefix("+") ? "sms_code" : "email_code"
            body["code"] = try await api.newestCode(for: proofTo, excluding: known)
        }
        let opened = try await api.call(.post, "/api/v1/login/\(flowId)/unavailable", json: body)
        let caseId = try #require(opened["caseId"] as? String), token = try #require(opened["caseToken"] as? String)
        #expect(try await api.upload(caseId: caseId, token: token, type: "id_front", file: TestAPI.png("FRONT")).status == 201)
        #expect(try await api.upload(caseId: caseId, token: token, type: "selfie", file: TestAPI.jpeg("SELFIE")).status == 201)
        #expect(try await api.call(.post, "/api/v1/support/cases/\(caseId)/submit", token: token).status == 200)
        return (caseId, token)
    }

    @Test(arguments: TestDatabases.kinds)
    func staffEnrolWithAnAuthenticatorAndTheirSessionsOpenOnlyStaffRoutes(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(kind), clock: clock) { api, services in
            let invitation = try await services.staff.add(email: "Agent@Example.com", role: .agent)
            let enrol = "/api/v1/staff/enrollment/\(invitation.token)"
            #expect(try await api.call(.post, "\(enrol)/confirm", json: ["code": "123456"]).code == "staff.enrolment_incomplete")
            #expect(try await api.call(.post, enrol, json: ["password": "short"]).code == "password.invalid")
            let secret = try #require(try await api.call(.post, enrol, json: ["password": Self.staffPassword])["secret"] as? String)
            #expect(try await api.call(.post, "\(enrol)/confirm", json: ["code": "000000"]).code == "totp.invalid")
            let member = try await api.call(.post, "\(enrol)/confirm", json: ["code": TestAPI.totp(secret, at: clock.now())])
            #expect(member.status == 200 && member["status"] as? String == "active" && member["email"] as? String == "agent@example.com")
            #expect(try await api.call(.post, "\(enrol)/confirm", json: ["code": "123456"]).code == "staff.enrolment_invalid")

            // The code that confirmed enrolment cannot sign in again; a wrong password or code is refused alike.
            let code = TestAPI.totp(secret, at: clock.now())
            let replayed = try await api.call(.post, "/api/v1/staff/sessions",
                                              json: ["email": "agent@example.com", "password": Self.staffPassword, "code": code])
            #expect(replayed.status == 401 && replayed.code == "staff.credentials_invalid")
            clock.advance(by: 30)
            let fresh = TestAPI.totp(secret, at: clock.now())
            #expect(try await api.call(.post, "/api/v1/staff/sessions",
                                       json: ["email": "agent@example.com", "password": "Wrong-Password-1", "code": fresh]).code
                    == "staff.credentials_invalid")
            #expect(try await api.call(.post, "/api/v1/staff/sessions",
                                       json: ["email": "nobody@example.com", "password": Self.staffPassword, "code": fresh]).code
                    == "staff.credentials_invalid")
            let signedIn = try await api.call(.post, "/api/v1/staff/sessions",
                                              json: ["email": "agent@example.com", "password": Self.staffPassword, "code": fresh])
            #expect(signedIn.status == 201 && signedIn["role"] as? String == "agent")
            let staffToken = try #require(signedIn["token"] as? String)
            #expect(try await api.call(.get, "/api/v1/staff/cases", token: staffToken).status == 200)

            // People and staff never mix.
            let (_, customer) = try await api.registerAndVerify("customer@example.com")
            #expect(try await api.call(.get, "/api/v1/staff/cases", token: customer).code == "staff.session_required")
            #expect(try await api.call(.get, "/api/v1/staff/cases").code == "staff.session_required")
            #expect(try await api.call(.get, "/api/v1/session", token: staffToken).code == "session.required")
            let opened = try await api.call(.post, "/api/v1/support/cases", json: ["topic": "other", "description": "Hello"],
                                            token: customer)
            let caseId = try #require(opened["caseId"] as? String)
            #expect(try await api.call(.get, "/api/v1/support/cases/\(caseId)", token: staffToken).code == "case.not_found")

            // Thirty idle minutes end a staff session.
            clock.advance(by: 29 * 60)
            #expect(try await api.call(.get, "/api/v1/staff/cases", token: staffToken).status == 200)
            clock.advance(by: 31 * 60)
            #expect(try await api.call(.get, "/api/v1/staff/cases", token: staffToken).code == "staff.session_required")

            // A disabled member's sessions end and they cannot sign in again.
            let other = try await Self.staffToken(api, services, "reviewer@example.com", role: .reviewer)
            _ = try await services.staff.disable(email: "reviewer@example.com")
            #expect(try await api.call(.get, "/api/v1/staff/cases", token: other).code == "staff.session_required")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aLostAuthenticatorIsResetByAnAgentAndAReviewerAndThePersonSignsInWithAnEmailCode(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(kind), clock: clock) { api, services in
            let (_, personToken) = try await api.registerAndVerify("lost@example.com")
            _ = try await api.reauthenticate(token: personToken, destination: "lost@example.com")
            _ = try await api.bindAuthenticator(token: personToken)
            let (caseId, caseToken) = try await Self.submittedCase(api, identifier: "lost@example.com", unavailable: "totp",
                                                                   proofTo: "lost@example.com")
            let agent = try await Self.staffToken(api, services, "agent@example.com", role: .agent)
            let agent2 = try await Self.staffToken(api, services, "agent2@example.com", role: .agent)
            let reviewer = try await Self.staffToken(api, services, "reviewer@example.com", role: .reviewer)

            let queue = try await api.call(.get, "/api/v1/staff/cases?status=in_review", token: agent)
            #expect((queue["cases"] as? [[String: Any]])?.map { $0["caseId"] as? String } == [caseId])
            let detail = try await api.call(.get, "/api/v1/staff/cases/\(caseId)", token: agent)
            #expect(detail["proofs"] as? [String] == ["password", "email_code"] && detail["unavailable"] as? [String] == ["totp"])
            #expect((detail["diagnosis"] as? [String: Any])?["authenticatorBound"] as? Bool == true)
            let documents = try #require((detail["case"] as? [String: Any])?["documents"] as? [[String: Any]])
            let front = try #require(documents.first { $0["type"] as? String == "id_front" }?["documentId"] as? String)

            // The document comes back exactly, as a sandboxed attachment, and the view is audited.
            let file = try await api.client.execute(uri: "/api/v1/staff/cases/\(caseId)/documents/\(front)", method: .get,
                                                    headers: [.authorization: "Bearer \(agent)"]) { $0 }
            #expect(Array(file.body.readableBytesView) == TestAPI.png("FRONT"))
            #expect(file.headers[.contentType] == "image/png" && file.headers[.contentDisposition]?.hasPrefix("attachment") == true)
            #expect(file.headers[.contentSecurityPolicy]?.hasPrefix("sandbox") == true
                    && file.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            let accountId = try #require(detail["accountId"] as? String)
            let events = try await services.database.stores.audit.recent(accountId: accountId, limit: 20)
            #expect(events.contains { $0.kind == .supportDocumentViewed && $0.details["documentId"] == front && $0.details["staffId"] != nil })

            let proposed = try await api.call(.post, "/api/v1/staff/cases/\(caseId)/actions",
                                              json: ["action": "reset_authenticator", "reason": "ID and selfie match the account."],
                                              token: agent)
            #expect(proposed.status == 202 && proposed["status"] as? String == "awaiting_approval")
            let actionId = try #require(proposed["actionId"] as? String)
            #expect(try await api.call(.post, "/api/v1/staff/actions/\(actionId)/approve", token: agent).code == "staff.role_insufficient")
            #expect(try await api.call(.post, "/api/v1/staff/actions/\(actionId)/approve", token: agent2).status == 403)
            let waiting = try await api.call(.get, "/api/v1/staff/actions", token: reviewer)
            #expect((waiting["actions"] as? [[String: Any]])?.map { $0["actionId"] as? String } == [actionId])
            // Nothing changed before the second person.
            #expect(try await api.login("lost@example.com")["methods"] as? [String] == ["totp"])

            let approved = try await api.call(.post, "/api/v1/staff/actions/\(actionId)/approve", token: reviewer)
            #expect(approved.status == 200 && approved["status"] as? String == "applied" && approved["approvedBy"] as? String != nil)
            #expect(try await api.call(.post, "/api/v1/staff/actions/\(actionId)/approve", token: reviewer).code
                    == "staff.action_not_pending")
            // Every session ended; the person signs in with an email code, sees the hold and the activity line.
            #expect(try await api.call(.get, "/api/v1/session", token: personToken).code == "session.required")
            clock.advance(by: 60)
            let signedIn = try await api.signIn("lost@example.com")
            let newToken = try #require((signedIn["session"] as? [String: Any])?["token"] as? String)
            let holds = try #require(try await api.call(.get, "/api/v1/account/holds", token: newToken)["holds"] as? [[String: Any]])
            #expect(holds.contains { $0["reason"] as? String == "support.authenticator_reset" })
            let activity = try #require(try await api.call(.get, "/api/v1/account/activity", token: newToken)["events"] as? [[String: Any]])
            #expect(activity.contains { $0["kind"] as? String == "support.authenticator_reset" })
            let view = try await api.call(.get, "/api/v1/support/cases/\(caseId)", token: caseToken)
            #expect(view["status"] as? String == "resolved" && (view["decision"] as? String)?.contains("ID and selfie match") == true)
            #expect(try await api.call(.post, "/api/v1/support/cases/\(caseId)/messages", json: ["body": "Thanks"],
                                       token: caseToken).code == "case.closed")
            let notices = try await api.messages(to: "lost@example.com").compactMap { $0["subject"] as? String }
            #expect(notices.contains { $0.contains("support reset your authenticator app") })
            #expect(notices.contains { $0.contains("support resolved your case") })
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aLostPhoneIsReplacedOnlyOnceThePersonEntersTheNewPhonesCode(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(kind), clock: clock) { api, services in
            _ = try await api.registerAndVerify("+447700900111", destination: "+447700900111")
            // The only factor is the lost phone: the case opens on the password alone.
            let (caseId, caseToken) = try await Self.submittedCase(api, identifier: "+447700900111", unavailable: "sms", proofTo: nil)
            let reviewer = try await Self.staffToken(api, services, "reviewer@example.com", role: .reviewer)
            let admin = try await Self.staffToken(api, services, "admin@example.com", role: .admin)
            #expect(try await api.call(.get, "/api/v1/staff/cases/\(caseId)", token: reviewer)["proofs"] as? [String] == ["password"])

            let taken = try await api.call(.post, "/api/v1/staff/cases/\(caseId)/actions",
                                           json: ["action": "replace_phone", "reason": "Checked", "phone": "+447700900111"],
                                           token: reviewer)
            #expect(taken.code == "contact.unchanged")
            let proposed = try await api.call(.post, "/api/v1/staff/cases/\(caseId)/actions",
                                              json: ["action": "replace_phone", "reason": "ID matches; number reassigned by the carrier.",
                                                     "phone": "+447700900222"], token: reviewer)
            let actionId = try #require(proposed["actionId"] as? String)
            #expect(try await api.call(.post, "/api/v1/staff/actions/\(actionId)/approve", token: reviewer).code == "staff.self_approval")
            #expect(try await api.call(.post, "/api/v1/staff/actions/\(actionId)/approve", token: admin).status == 200)

            let waiting = try await api.call(.get, "/api/v1/support/cases/\(caseId)", token: caseToken)
            #expect(waiting["status"] as? String == "waiting_for_person")
            #expect((waiting["messages"] as? [[String: Any]])?.last?["from"] as? String == "support")
            // Until the code comes back, the old number stays.
            #expect(try await api.login("+447700900111")["status"] as? String == "second_factor_required")
            let code = try await api.newestCode(for: "+447700900222")
            #expect(try await api.call(.post, "/api/v1/support/cases/\(caseId)/confirm-contact", json: ["code": "000000"],
                                       token: caseToken).code == "code.invalid")
            let confirmed = try await api.call(.post, "/api/v1/support/cases/\(caseId)/confirm-contact", json: ["code": code],
                                               token: caseToken)
            #expect(confirmed.status == 200 && confirmed["status"] as? String == "resolved")
            #expect(try await api.call(.post, "/api/v1/support/cases/\(caseId)/confirm-contact", json: ["code": code],
                                       token: caseToken).code == "case.no_contact_pending")
            #expect(try await api.login("+447700900111").code == "account.not_found")
            clock.advance(by: 60)
            let signedIn = try await api.signIn("+447700900222", destination: "+447700900222")
            #expect(signedIn.status == 200)
            let told = try await api.messages(to: "+447700900111").compactMap { $0["body"] as? String }
            #expect(told.contains { $0.contains("support changed the phone number") })
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func supportAsksForMoreThenDeclinesAndTheQueueFlagsOverdueCases(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        var config = try await LockoutTests.config(kind)
        config.operatorAPIKeys = [SignInDiagnosisTests.operatorKey]
        try await withKeyward(config, clock: clock) { api, services in
            let (_, first) = try await api.registerAndVerify("first@example.com")
            let (_, second) = try await api.registerAndVerify("second@example.com")
            var ids: [String] = [], caseTokens: [String] = []
            for token in [first, second] {
                let opened = try await api.call(.post, "/api/v1/support/cases", json: ["topic": "other", "description": "Help"],
                                                token: token)
                let id = try #require(opened["caseId"] as? String)
                _ = try await api.call(.post, "/api/v1/support/cases/\(id)/submit", token: token)
                ids.append(id)
                caseTokens.append(try #require(opened["caseToken"] as? String))
                clock.advance(by: 3600)
            }
            let firstShift = try await Self.staffToken(api, services, "agent@example.com", role: .agent)
            var queue = try #require(try await api.call(.get, "/api/v1/staff/cases", token: firstShift)["cases"] as? [[String: Any]])
            #expect(queue.map { $0["caseId"] as? String } == ids && queue.allSatisfy { $0["overdue"] as? Bool == false })
            clock.advance(by: 47 * 3600 - 60)
            // Long past the agent's idle timeout: a colleague on the next shift.
            #expect(try await api.call(.get, "/api/v1/staff/cases", token: firstShift).code == "staff.session_required")
            let agent = try await Self.staffToken(api, services, "next-shift@example.com", role: .agent)
            queue = try #require(try await api.call(.get, "/api/v1/staff/cases", token: agent)["cases"] as? [[String: Any]])
            #expect(queue.map { $0["overdue"] as? Bool } == [true, false])

            let asked = try await api.call(.post, "/api/v1/staff/cases/\(ids[0])/actions",
                                           json: ["action": "request_info", "reason": "Need the deposit id",
                                                  "message": "Which deposit is missing? Send its transaction id."], token: agent)
            #expect(asked.status == 201 && asked["status"] as? String == "applied")
            let view = try await api.call(.get, "/api/v1/support/cases/\(ids[0])", token: caseTokens[0])
            #expect(view["status"] as? String == "waiting_for_person")
            #expect((view["messages"] as? [[String: Any]])?.last?["body"] as? String == "Which deposit is missing? Send its transaction id.")
            #expect(try await api.call(.post, "/api/v1/staff/cases/\(ids[0])/actions",
                                       json: ["action": "lift_restriction", "reason": "x"], token: agent).code
                    == "staff.action_not_applicable")
            #expect(try await api.call(.post, "/api/v1/staff/cases/\(ids[0])/actions",
                                       json: ["action": "teleport", "reason": "x"], token: agent).code == "staff.action_invalid")
            let rejected = try await api.call(.post, "/api/v1/staff/cases/\(ids[1])/actions",
                                              json: ["action": "reject", "reason": "This is not a sign-in problem."], token: agent)
            #expect(rejected.status == 201)
            #expect(try await api.call(.get, "/api/v1/support/cases/\(ids[1])", token: caseTokens[1])["status"] as? String == "rejected")
            #expect(try await api.call(.post, "/api/v1/staff/cases/\(ids[1])/actions",
                                       json: ["action": "unlock", "reason": "x"], token: agent).code == "case.closed")

            // An operator's helpdesk reads the cases, never the documents.
            let key = SignInDiagnosisTests.operatorKey
            let all = try await api.call(.get, "/api/v1/admin/cases", token: key)
            #expect(Set((all["cases"] as? [[String: Any]])?.compactMap { $0["caseId"] as? String } ?? []) == Set(ids))
            #expect(try await api.call(.get, "/api/v1/admin/cases/\(ids[1])", token: key)["accountId"] is String)
            #expect(try await api.call(.get, "/api/v1/admin/cases", token: agent).code == "operator.unauthorized")
        }
    }
}
