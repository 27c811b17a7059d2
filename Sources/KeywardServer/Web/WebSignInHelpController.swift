import Foundation
import Hummingbird
import KeywardCore

/// `/help/sign-in`: "Can't sign in?" — checks this browser in the page (cookies, clock, features),
/// then with a code to the email address or phone number given shows what stands between its
/// holder and their account, most pressing first, each with the way out.
struct WebSignInHelpController {
    let services: KeywardServices
    let pages: PageRenderer
    let csrf: CSRFGuard

    func addRoutes(to router: Router<KeywardRequestContext>) {
        router.get("help/sign-in") { request, context in
            startPage(request: request, context: context, identifier: "", error: nil)
        }
        router.post("help/sign-in") { request, context in
            let form = try await request.formFields(limit: context.bodyLimit)
            let identifier = form["identifier"] ?? ""
            do {
                try csrf.verify(request, form: form)
                let started = try await services.help.start(identifier: identifier, origin: context.origin)
                return Response.redirect(to: "/help/sign-in/\(started.helpId)", type: .normal)
            } catch let error as KeywardError where error.status < 500 {
                return startPage(request: request, context: context, identifier: identifier, error: error)
            }
        }
        router.get("help/sign-in/{helpId}") { request, context in
            let notice = request.uri.queryParameters["resent"] != nil
                ? MessageCatalogue.english.sentence(for: "notice.code_resent") : nil
            return try await codePage(helpId: try context.parameters.require("helpId"), request: request, context: context,
                                      error: nil, notice: notice)
        }
        router.post("help/sign-in/{helpId}") { request, context in
            let helpId = try context.parameters.require("helpId")
            let form = try await request.formFields(limit: context.bodyLimit)
            do {
                try csrf.verify(request, form: form)
                let findings = try await services.help.verify(helpId: helpId, code: form["code"] ?? "", origin: context.origin)
                return pages.form("help-sign-in-findings", "What stands in the way", request: request, context: context,
                                  csrf: csrf, values: ["findings": findings.map(Self.values)])
            } catch let error as KeywardError where error.status < 500 {
                return try await codePage(helpId: helpId, request: request, context: context, error: error, notice: nil)
            }
        }
        router.post("help/sign-in/{helpId}/resend") { request, context in
            let helpId = try context.parameters.require("helpId")
            let form = try await request.formFields(limit: context.bodyLimit)
            do {
                try csrf.verify(request, form: form)
                _ = try await services.help.resend(helpId: helpId, origin: context.origin)
                return Response.redirect(to: "/help/sign-in/\(helpId)?resent=1", type: .normal)
            } catch let error as KeywardError where error.status < 500 {
                return try await codePage(helpId: helpId, request: request, context: context, error: error, notice: nil)
            }
        }
    }

    /// The form asking for the identifier, with the browser checks and the server's time for the
    /// clock check.
    private func startPage(request: Request, context: KeywardRequestContext, identifier: String,
                           error: KeywardError?) -> Response {
        let millis = Int64((services.clock.now().timeIntervalSince1970 * 1000).rounded())
        return pages.form("help-sign-in", "Can't sign in?", request: request, context: context, csrf: csrf,
                          values: ["identifier": identifier, "serverTime": String(millis)], error: error)
    }

    /// The page asking for the code, or the start again when the help can no longer take one.
    private func codePage(helpId: String, request: Request, context: KeywardRequestContext, error: KeywardError?,
                          notice: String?) async throws -> Response {
        let pending: (identifier: Identifier, resendAvailableAt: Date)
        do {
            pending = try await services.help.pending(helpId: helpId)
        } catch let failure as KeywardError where failure.status < 500 {
            return startPage(request: request, context: context, identifier: "", error: failure)
        }
        var values: [String: Any] = [
            "helpId": helpId,
            "identifier": pending.identifier.value,
            "channelIsSMS": pending.identifier.channel == .sms,
            "minutes": Int(services.config.codeLifetime / 60),
        ]
        values.merge(resendCountdown(availableAt: pending.resendAvailableAt, error: error, now: services.clock.now())) { $1 }
        if let notice { values["notice"] = notice }
        return pages.form("help-sign-in-code", "Enter your code", request: request, context: context, csrf: csrf,
                          values: values, error: error)
    }

    private static func values(_ finding: SignInHelpFinding) -> [String: Any] {
        var values: [String: Any] = ["code": finding.code, "title": finding.title, "detail": finding.detail]
        if let action = finding.action {
            values["action"] = ["label": action.label, "href": action.href, "freeze": finding.code == "sign_in.unfamiliar"]
        }
        return values
    }
}
