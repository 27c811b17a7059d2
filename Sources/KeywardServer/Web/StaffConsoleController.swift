import Foundation
import Hummingbird
import KeywardCore

/// The staff console at `/staff`: enrolment, sign-in, the queue, a case with its documents shown
/// inline from their own sandboxed URL, actions, and the approvals waiting for a second person.
/// It drives the same services as `/api/v1/staff`.
struct StaffConsoleController {
    let services: KeywardServices
    let pages: PageRenderer
    let csrf: CSRFGuard

    func addRoutes(to router: Router<KeywardRequestContext>) {
        router.get("staff/sign-in", use: signInPage)
        router.post("staff/sign-in", use: signIn)
        router.get("staff/enroll/{token}", use: enrolPage)
        router.post("staff/enroll/{token}", use: startEnrolment)
        router.post("staff/enroll/{token}/confirm", use: confirmEnrolment)
        let console = router.group("staff", context: StaffWebContext.self)
        console.get(use: queue)
        console.post("sign-out", use: signOut)
        console.get("cases/{caseId}", use: casePage)
        console.get("cases/{caseId}/documents/{documentId}", use: document)
        console.post("cases/{caseId}/actions", use: act)
        console.get("approvals", use: approvals)
        console.post("actions/{actionId}/approve", use: approve)
    }

    // MARK: Signing in

    @Sendable func signInPage(_ request: Request, context: KeywardRequestContext) async throws -> Response {
        if context.staff != nil { return .redirect(to: "/staff", type: .normal) }
        return pages.form("staff-sign-in", "Staff sign-in", request: request, context: context, csrf: csrf, values: [:])
    }

    @Sendable func signIn(_ request: Request, context: KeywardRequestContext) async throws -> Response {
        let form = try await request.formFields(limit: context.bodyLimit)
        do {
            try csrf.verify(request, form: form)
            let signedIn = try await services.staff.signIn(email: form["email"] ?? "", password: form["password"] ?? "",
                                                           code: form["code"] ?? "", origin: context.origin)
            var response = Response.redirect(to: "/staff", type: .found)
            response.setCookie(Cookie(name: StaffSessionMiddleware.cookieName, value: signedIn.token,
                                      maxAge: Int(services.staff.absoluteLifetime), path: "/", secure: true, httpOnly: true,
                                      sameSite: .strict))
            return response
        } catch let error as KeywardError where error.status < 500 {
            return pages.form("staff-sign-in", "Staff sign-in", request: request, context: context, csrf: csrf,
                              values: ["email": form["email"] ?? ""], error: error)
        }
    }

    @Sendable func signOut(_ request: Request, context: StaffWebContext) async throws -> Response {
        try csrf.verify(request, form: try await request.formFields(limit: context.bodyLimit))
        try await services.staff.signOut(context.session)
        var response = Response.redirect(to: "/staff/sign-in", type: .found)
        response.setCookie(Cookie(name: StaffSessionMiddleware.cookieName, value: "", maxAge: 0, path: "/", secure: true,
                                  httpOnly: true, sameSite: .strict))
        return response
    }

    @Sendable func enrolPage(_ request: Request, context: KeywardRequestContext) async throws -> Response {
        pages.form("staff-enroll", "Staff enrolment", request: request, context: context, csrf: csrf,
                   values: ["token": try context.parameters.require("token")])
    }

    @Sendable func startEnrolment(_ request: Request, context: KeywardRequestContext) async throws -> Response {
        let token = try context.parameters.require("token")
        let form = try await request.formFields(limit: context.bodyLimit)
        var values: [String: Any] = ["token": token]
        do {
            try csrf.verify(request, form: form)
            let enrolment = try await services.staff.startEnrolment(token: token, password: form["password"] ?? "")
            values["secret"] = enrolment.secret
            values["qrSvg"] = enrolment.qrSVG
            return pages.form("staff-enroll", "Staff enrolment", request: request, context: context, csrf: csrf, values: values)
        } catch let error as KeywardError where error.status < 500 {
            return pages.form("staff-enroll", "Staff enrolment", request: request, context: context, csrf: csrf, values: values,
                              error: error)
        }
    }

    @Sendable func confirmEnrolment(_ request: Request, context: KeywardRequestContext) async throws -> Response {
        let token = try context.parameters.require("token")
        let form = try await request.formFields(limit: context.bodyLimit)
        do {
            try csrf.verify(request, form: form)
            _ = try await services.staff.confirmEnrolment(token: token, code: form["code"] ?? "")
            return Response.redirect(to: "/staff/sign-in", type: .found)
        } catch let error as KeywardError where error.status < 500 {
            // The app already holds the key: a mistyped code only asks for the code again.
            return pages.form("staff-enroll", "Staff enrolment", request: request, context: context, csrf: csrf,
                              values: ["token": token, "confirming": true], error: error)
        }
    }

    // MARK: The console

    @Sendable func queue(_ request: Request, context: StaffWebContext) async throws -> Response {
        let status = request.uri.queryParameters["status"].map(String.init) ?? SupportCase.Status.inReview.rawValue
        let cases = try await services.desk.queue(status: status)
        let tabs: [[String: Any]] = SupportCase.Status.allCases.map {
            ["status": $0.rawValue, "label": $0.rawValue.replacingOccurrences(of: "_", with: " "), "current": $0.rawValue == status]
        }
        return page("staff-queue", "Cases", request: request, context: context, values: [
            "statusLabel": status.replacingOccurrences(of: "_", with: " "), "tabs": tabs, "hasCases": !cases.isEmpty,
            "cases": cases.map { supportCase -> [String: Any] in
                ["caseId": supportCase.id, "topic": supportCase.topic.rawValue, "status": supportCase.status.rawValue,
                 "createdAt": ISO8601.string(supportCase.createdAt), "respondBy": supportCase.respondBy.map(ISO8601.string) ?? "",
                 "overdue": services.desk.isOverdue(supportCase)]
            },
        ])
    }

    @Sendable func casePage(_ request: Request, context: StaffWebContext) async throws -> Response {
        try await casePage(try context.parameters.require("caseId"), request: request, context: context, error: nil)
    }

    private func casePage(_ caseId: String, request: Request, context: StaffWebContext, error: KeywardError?) async throws -> Response {
        let detail = try await services.desk.detail(caseId: caseId, origin: context.origin)
        let names = try await staffNames()
        let supportCase = detail.view.supportCase
        return page("staff-case", "Case \(caseId)", request: request, context: context, values: [
            "caseId": caseId, "topic": supportCase.topic.rawValue, "status": supportCase.status.rawValue,
            "respondBy": supportCase.respondBy.map(ISO8601.string) ?? "", "overdue": services.desk.isOverdue(supportCase),
            "accountId": supportCase.accountId, "proofs": supportCase.proofs.map(\.rawValue).joined(separator: ", "),
            "unavailable": supportCase.unavailable.joined(separator: ", "), "description": supportCase.description,
            "decision": supportCase.decision ?? "", "closed": supportCase.status.isClosed,
            "requirements": detail.view.requirements.map { ["type": $0.kind.rawValue, "satisfied": $0.satisfied] },
            "documents": detail.view.documents.map {
                ["documentId": $0.id, "type": $0.kind.rawValue, "contentType": $0.contentType.rawValue, "bytes": $0.bytes,
                 "uploadedAt": ISO8601.string($0.uploadedAt), "image": $0.contentType != .pdf, "caseId": caseId]
            },
            "messages": detail.view.messages.map { ["from": $0.author.rawValue, "body": $0.body, "at": ISO8601.string($0.at)] },
            "findings": detail.diagnosis?.findings.map { ["code": $0.code, "detail": $0.detail] } ?? [],
            "events": detail.events.map { ["what": describeEvent($0), "at": ISO8601.string($0.at), "ip": $0.ip ?? "unknown"] },
            "actions": detail.actions.map { action(values: $0, names: names) },
        ], error: error)
    }

    /// A document shown inline from its own URL, sandboxed; the view is audited with the staff id.
    @Sendable func document(_ request: Request, context: StaffWebContext) async throws -> Response {
        let found = try await services.desk.document(caseId: try context.parameters.require("caseId"),
                                                     documentId: try context.parameters.require("documentId"),
                                                     staff: context.member, origin: context.origin)
        return StaffController.documentResponse(found.document, content: found.content, disposition: "inline")
    }

    @Sendable func act(_ request: Request, context: StaffWebContext) async throws -> Response {
        let caseId = try context.parameters.require("caseId")
        let form = try await request.formFields(limit: context.bodyLimit)
        do {
            try csrf.verify(request, form: form)
            let value = form["value"].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
            _ = try await services.desk.act(caseId: caseId, staff: context.member, action: form["action"] ?? "",
                                            reason: form["reason"] ?? "", value: value, origin: context.origin)
            return .redirect(to: "/staff/cases/\(caseId)", type: .found)
        } catch let error as KeywardError where error.status < 500 {
            return try await casePage(caseId, request: request, context: context, error: error)
        }
    }

    @Sendable func approvals(_ request: Request, context: StaffWebContext) async throws -> Response {
        try await approvals(request: request, context: context, error: nil)
    }

    private func approvals(request: Request, context: StaffWebContext, error: KeywardError?) async throws -> Response {
        let names = try await staffNames()
        let waiting = try await services.desk.awaitingApproval()
        return page("staff-approvals", "Approvals", request: request, context: context, values: [
            "actions": waiting.map { action -> [String: Any] in
                var values = self.action(values: action, names: names)
                let own = action.proposedBy == context.member.id
                values["canApprove"] = context.member.role.approves && !own
                values["whyNot"] = own ? "You proposed this; someone else must approve it."
                    : "Your role cannot approve; a reviewer or admin must."
                return values
            },
        ], error: error)
    }

    @Sendable func approve(_ request: Request, context: StaffWebContext) async throws -> Response {
        let form = try await request.formFields(limit: context.bodyLimit)
        do {
            try csrf.verify(request, form: form)
            let action = try await services.desk.approve(actionId: try context.parameters.require("actionId"),
                                                         staff: context.member, origin: context.origin)
            return .redirect(to: "/staff/cases/\(action.caseId)", type: .found)
        } catch let error as KeywardError where error.status < 500 {
            return try await approvals(request: request, context: context, error: error)
        }
    }

    // MARK: Helpers

    private func page(_ template: String, _ title: String, request: Request, context: StaffWebContext,
                      values: [String: Any], error: KeywardError? = nil) -> Response {
        var object = values
        object["staffEmail"] = context.member.email
        object["staffRole"] = context.member.role.rawValue
        return pages.form(template, title, request: request, context: context, csrf: csrf, values: object, error: error)
    }

    private func action(values action: CaseAction, names: [String: String]) -> [String: Any] {
        ["actionId": action.id, "caseId": action.caseId, "action": action.kind.rawValue, "status": action.status.rawValue,
         "reason": action.reason, "value": action.value ?? "", "proposedBy": names[action.proposedBy] ?? action.proposedBy,
         "approvedBy": action.approvedBy.map { names[$0] ?? $0 } ?? ""]
    }

    /// Staff emails by id, to name who proposed and approved.
    private func staffNames() async throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try await services.staff.list().map { ($0.id, $0.email) })
    }
}
