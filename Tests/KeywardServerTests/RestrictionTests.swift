import Foundation
import HTTPTypes
import HummingbirdTesting
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

/// Restricted and frozen accounts: an operator's restriction, the owner's freeze, what sign-in
/// answers while either is in force, and the ways back, through the real application on both databases.
@Suite struct RestrictionTests {
    static let operatorKey = "operator-key-for-tests-0123456789"
    static let asOperator: HTTPFields = [.authorization: "Bearer \(operatorKey)"]

    static func config(_ kind: SQLDialectKind) async throws -> KeywardConfig {
        var config = try await LockoutTests.config(kind)
        config.operatorAPIKeys = [operatorKey]
        return config
    }

    @Test(arguments: TestDatabases.kinds)
    func anOperatorsRestrictionStopsSignInOnlyAfterTheRightPasswordUntilItIsLifted(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await Self.config(kind), clock: clock) { api, _ in
            let (accountId, token) = try await api.registerAndVerify("risky@example.com")
            let path = "/api/v1/admin/accounts/\(accountId)/restriction"
            #expect(try await api.call(.post, path, json: ["reason": "chargeback"]).code == "operator.unauthorized")
            #expect(try await api.call(.post, "/api/v1/admin/accounts/unknown/restriction", json: [:], headers: Self.asOperator).code
                    == "account.not_found")

            let placed = try await api.call(.post, path, json: ["reason": "Card chargeback fraud ring"], headers: Self.asOperator)
            #expect(placed.status == 201 && placed["kind"] as? String == "restricted" && placed["reason"] as? String == "risk.operator")
            #expect(placed.json["liftedAt"] is NSNull)
            let again = try await api.call(.post, path, json: [:], headers: Self.asOperator)
            #expect(again.status == 200 && again["restrictionId"] as? String == placed["restrictionId"] as? String)

            // Every session ended, the owner was told, and withdrawals are held with no end.
            #expect(try await api.call(.get, "/api/v1/session", token: token).code == "session.required")
            let notice = try #require(try await api.message(to: "risky@example.com", subject: "was restricted"))
            #expect((notice["body"] as? String)?.contains("support request about a restricted account") == true)
            let holds = try #require(try await api.call(.get, "/api/v1/admin/accounts/\(accountId)/holds",
                                                        headers: Self.asOperator)["holds"] as? [[String: Any]])
            #expect(holds.count == 1 && holds[0]["reason"] as? String == "account.restricted" && holds[0]["until"] is NSNull)

            // A wrong password learns nothing; the right one, however often, is told why and never locks.
            #expect(try await api.login("risky@example.com", "Wrong-Passw0rd").code == "credentials.invalid")
            for _ in 0..<6 {
                let refused = try await api.login("risky@example.com")
                #expect(refused.status == 403 && refused.code == "account.restricted" && refused["reason"] as? String == "risk.operator")
            }
            let diagnosis = try await api.call(.post, "/api/v1/admin/sign-in-diagnosis", json: ["identifier": "risky@example.com"],
                                               headers: Self.asOperator)
            let findings = try #require(diagnosis["findings"] as? [[String: Any]])
            #expect(findings.contains { $0["code"] as? String == "account.restricted"
                && ($0["detail"] as? String)?.contains("Card chargeback fraud ring") == true })

            let lifted = try await api.call(.delete, path, json: ["reason": "Reviewed"], headers: Self.asOperator)
            #expect(lifted.status == 200 && lifted["liftedAt"] is String)
            #expect(try await api.call(.delete, path, headers: Self.asOperator).code == "restriction.not_found")
            #expect(try #require(try await api.message(to: "risky@example.com", subject: "no longer restricted")) ["body"] != nil)
            #expect(try await api.signIn("risky@example.com").status == 200)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func theOwnerFreezesTheAccountAndOnlySupportUnfreezesItWithTwoPeople(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await Self.config(kind), clock: clock) { api, services in
            let (accountId, token) = try await api.registerAndVerify("owner@example.com")
            let other = try await api.signedInToken("owner@example.com")
            #expect(try await api.call(.post, "/api/v1/account/freeze").code == "session.required")
            let frozen = try await api.call(.post, "/api/v1/account/freeze", token: token)
            #expect(frozen.status == 200 && frozen["kind"] as? String == "frozen" && frozen["reason"] as? String == "owner")
            #expect(try await api.call(.get, "/api/v1/session", token: token).code == "session.required")
            #expect(try await api.call(.get, "/api/v1/session", token: other).code == "session.required")
            #expect(try await api.message(to: "owner@example.com", subject: "was frozen") != nil)

            #expect(try await api.login("owner@example.com", "Wrong-Passw0rd").code == "credentials.invalid")
            let refused = try await api.login("owner@example.com")
            #expect(refused.status == 403 && refused.code == "account.frozen")
            // An operator restricts and lifts restrictions, never a freeze.
            #expect(try await api.call(.delete, "/api/v1/admin/accounts/\(accountId)/restriction", headers: Self.asOperator).code
                    == "restriction.not_found")

            // The way back: an account_frozen case with identity documents, and two members of staff.
            let known = try await api.knownCodes(to: "owner@example.com")
            clock.advance(by: 60)  // past the resend interval of the sign-in's code
            let opening = try await api.call(.post, "/api/v1/support/cases", json: [
                "identifier": "owner@example.com", "topic": "account_frozen", "description": "I froze it after a phishing email."])
            let caseId = try #require(opening["caseId"] as? String)
            let code = try await api.newestCode(for: "owner@example.com", excluding: known)
            let opened = try await api.call(.post, "/api/v1/support/cases/\(caseId)/verify", json: ["code": code])
            let caseToken = try #require(opened["caseToken"] as? String)
            #expect(try await api.upload(caseId: caseId, token: caseToken, type: "id_front", file: TestAPI.png("ID")).status == 201)
            #expect(try await api.upload(caseId: caseId, token: caseToken, type: "selfie", file: TestAPI.jpeg("ME")).status == 201)
            #expect(try await api.call(.post, "/api/v1/support/cases/\(caseId)/submit", token: caseToken).status == 200)

            let agent = try await SupportDeskTests.staffToken(api, services, "agent@example.com", role: .agent)
            let reviewer = try await SupportDeskTests.staffToken(api, services, "reviewer@example.com", role: .reviewer)
            let actions = "/api/v1/staff/cases/\(caseId)/actions"
            #expect(try await api.call(.post, actions, json: ["action": "lift_restriction", "reason": "Not restricted."],
                                       token: agent).code == "staff.action_not_applicable")
            let proposed = try await api.call(.post, actions, json: ["action": "unfreeze", "reason": "ID and selfie match."],
                                              token: agent)
            #expect(proposed.status == 202 && proposed["status"] as? String == "awaiting_approval")
            #expect(try await api.login("owner@example.com").code == "account.frozen")
            let actionId = try #require(proposed["actionId"] as? String)
            let approved = try await api.call(.post, "/api/v1/staff/actions/\(actionId)/approve", token: reviewer)
            #expect(approved.status == 200 && approved["status"] as? String == "applied")

            let closed = try await api.call(.get, "/api/v1/support/cases/\(caseId)", token: caseToken)
            #expect(closed["status"] as? String == "resolved" && (closed["decision"] as? String)?.contains("unfroze") == true)
            #expect(try await api.message(to: "owner@example.com", subject: "was unfrozen") != nil)
            #expect(try await api.signIn("owner@example.com").status == 200)
            #expect(try await api.call(.post, actions, json: ["action": "unfreeze", "reason": "Again."], token: agent).code
                    == "case.closed")
        }
    }
}
