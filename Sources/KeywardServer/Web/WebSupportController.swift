import Foundation
import Hummingbird
import KeywardCore

/// The person's side of the support desk on the pages: "Contact support" (signed in, or with a code
/// to the email address or phone number given), the case opened from a sign-in's second step, and
/// the case page with its documents, thread and sending to support. They drive
/// ``SupportCaseService`` like the JSON API does.
///
/// A case opened without a session is reached again through its token, kept in the
/// `__Host-keyward_case` cookie of the browser that opened it (never in an address).
struct WebSupportController {
    let services: KeywardServices
    let pages: PageRenderer
    let csrf: CSRFGuard

    /// How long the browser keeps a case's token.
    static let caseCookieLifetime = 30 * 86400

    /// The topics a person chooses among, in the order the form lists them; `authenticator_lost`
    /// only signed in (without a session it opens from the second step of a sign-in instead).
    static func topics(signedIn: Bool) -> [SupportCase.Topic] {
        [.accountRestricted, .accountFrozen, .phoneLost, .emailLost] + (signedIn ? [.authenticatorLost] : []) + [.other]
    }

    func addRoutes(to router: Router<KeywardRequestContext>) {
        router.get("support") { request, context in
            let topic = request.uri.queryParameters["topic"].map(String.init) ?? ""
            return try await contactPage(request: request, context: context, values: ["topic": topic])
        }
        router.post("support") { request, context in
            let form = try await request.formFields(limit: context.bodyLimit)
            let topic = form["topic"] ?? "", description = form["description"] ?? ""
            do {
                try csrf.verify(request, form: form)
                if let session = context.session {
                    let opened = try await services.cases.open(session: session, topic: topic, description: description,
                                                               origin: context.origin)
                    return Response.redirect(to: "/support/cases/\(opened.view.supportCase.id)?done=opened", type: .normal)
                }
                let started = try await services.cases.startOpening(identifier: form["identifier"] ?? "", topic: topic,
                                                                    description: description, origin: context.origin)
                return Response.redirect(to: "/support/cases/\(started.caseId)/verify", type: .normal)
            } catch let error as KeywardError where error.status < 500 {
                return try await contactPage(request: request, context: context, error: error, values: [
                    "identifier": form["identifier"] ?? "", "topic": topic, "description": description,
                ])
            }
        }
        router.get("support/cases/{caseId}/verify") { request, context in
            let notice = request.uri.queryParameters["resent"] != nil
                ? MessageCatalogue.english.sentence(for: "notice.code_resent") : nil
            return try await verifyPage(caseId: try context.parameters.require("caseId"), request: request, context: context,
                                        error: nil, notice: notice)
        }
        router.post("support/cases/{caseId}/verify") { request, context in
            let caseId = try context.parameters.require("caseId")
            let form = try await request.formFields(limit: context.bodyLimit)
            do {
                try csrf.verify(request, form: form)
                let opened = try await services.cases.confirmOpening(caseId: caseId, code: form["code"] ?? "",
                                                                     origin: context.origin)
                return caseOpened(opened)
            } catch let error as KeywardError where error.status < 500 {
                return try await verifyPage(caseId: caseId, request: request, context: context, error: error, notice: nil)
            }
        }
        router.post("support/cases/{caseId}/resend") { request, context in
            let caseId = try context.parameters.require("caseId")
            let form = try await request.formFields(limit: context.bodyLimit)
            do {
                try csrf.verify(request, form: form)
                _ = try await services.cases.resendOpeningCode(caseId: caseId, origin: context.origin)
                return Response.redirect(to: "/support/cases/\(caseId)/verify?resent=1", type: .normal)
            } catch let error as KeywardError where error.status < 500 {
                return try await verifyPage(caseId: caseId, request: request, context: context, error: error, notice: nil)
            }
        }
        addSignInRoutes(to: router)
        addCaseRoutes(to: router)
    }

    /// "Contact support": signed in, topic and description (and the account's cases); otherwise the
    /// email address or phone number too, which a code goes to.
    private func contactPage(request: Request, context: KeywardRequestContext, error: KeywardError? = nil,
                             values given: [String: Any]) async throws -> Response {
        var values = given
        let chosen = values["topic"] as? String ?? ""
        values["topics"] = Self.topics(signedIn: context.session != nil).map { topic -> [String: Any] in
            ["value": topic.rawValue, "selected": topic.rawValue == chosen, "topic": [topic.rawValue: true]]
        }
        if let session = context.session {
            let cases = try await services.cases.list(accountId: session.accountId)
            values["cases"] = cases.map { supportCase -> [String: Any] in
                ["caseId": supportCase.id, "topic": [supportCase.topic.rawValue: true],
                 "status": [supportCase.status.rawValue: true], "createdAt": ISO8601.string(supportCase.createdAt)]
            }
            values["hasCases"] = !cases.isEmpty
        }
        return pages.form("support", "Contact support", request: request, context: context, csrf: csrf, values: values,
                          error: error)
    }

    /// The page asking for the code of a case opening; once the case opened, its page; past its
    /// time, "Contact support" again with the reason.
    private func verifyPage(caseId: String, request: Request, context: KeywardRequestContext, error: KeywardError?,
                            notice: String?) async throws -> Response {
        let status: CaseOpeningStatus
        do {
            status = try await services.cases.openingStatus(caseId: caseId)
        } catch let failure as KeywardError where failure.code == "case.opening_completed" {
            return Response.redirect(to: "/support/cases/\(caseId)", type: .normal)
        } catch let failure as KeywardError where failure.status < 500 {
            return try await contactPage(request: request, context: context, error: failure, values: [:])
        }
        var values: [String: Any] = [
            "caseId": caseId,
            "identifier": status.identifier.value,
            "channelIsSMS": status.identifier.channel == .sms,
        ]
        values.merge(resendCountdown(availableAt: status.resendAvailableAt, error: error, now: services.clock.now())) { $1 }
        if let notice { values["notice"] = notice }
        return pages.form("support-verify", "Enter your code", request: request, context: context, csrf: csrf,
                          values: values, error: error)
    }

    /// A redirect to the case just opened, its token kept in the browser that opened it.
    func caseOpened(_ opened: OpenedCase) -> Response {
        var response = Response.redirect(to: "/support/cases/\(opened.view.supportCase.id)?done=opened", type: .normal)
        response.setCookie(Cookie(name: WebCaseCookie.name, value: opened.token, maxAge: Self.caseCookieLifetime,
                                  path: "/", secure: true, httpOnly: true, sameSite: .strict))
        return response
    }
}
