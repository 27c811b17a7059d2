import Foundation
import Hummingbird
import KeywardCore

/// The "Forgot password?" pages: ask for the email or phone, enter the code (with resend and its
/// countdown), choose a new password. They drive ``RecoveryService`` like the JSON API does.
struct WebRecoveryController {
    let services: KeywardServices
    let pages: PageRenderer
    let csrf: CSRFGuard

    func addRoutes(to router: Router<KeywardRequestContext>) {
        router.get("recover") { request, context in
            pages.form("recover", "Reset your password", request: request, context: context, csrf: csrf, values: [:])
        }
        router.post("recover") { request, context in
            let form = try await request.formFields(limit: context.bodyLimit)
            let identifier = form["identifier"] ?? ""
            do {
                try csrf.verify(request, form: form)
                let started = try await services.recoveries.start(identifier: identifier, origin: context.origin)
                return Response.redirect(to: "/recover/\(started.flowId)", type: .found)
            } catch let error as KeywardError {
                return pages.form("recover", "Reset your password", request: request, context: context, csrf: csrf,
                                  values: ["identifier": identifier], error: error)
            }
        }
        router.get("recover/{id}") { request, context in
            let notice = request.uri.queryParameters["resent"] != nil ? "A new code is on its way." : nil
            return try await stepPage(id: try context.parameters.require("id"), request: request, context: context,
                                      error: nil, notice: notice, method: request.uri.queryParameters["method"].map(String.init))
        }
        router.post("recover/{id}") { request, context in
            let id = try context.parameters.require("id")
            let form = try await request.formFields(limit: context.bodyLimit)
            do {
                try csrf.verify(request, form: form)
                _ = try await services.recoveries.verify(flowId: id, code: form["code"] ?? "", origin: context.origin)
                return Response.redirect(to: "/recover/\(id)", type: .found)
            } catch let error as KeywardError where Self.shownInline(error) {
                return try await stepPage(id: id, request: request, context: context, error: error, notice: nil)
            }
        }
        router.post("recover/{id}/resend") { request, context in
            let id = try context.parameters.require("id")
            let form = try await request.formFields(limit: context.bodyLimit)
            do {
                try csrf.verify(request, form: form)
                _ = try await services.recoveries.resend(flowId: id, origin: context.origin)
                return Response.redirect(to: "/recover/\(id)?resent=1", type: .found)
            } catch let error as KeywardError where Self.shownInline(error) {
                return try await stepPage(id: id, request: request, context: context, error: error, notice: nil)
            }
        }
        router.post("recover/{id}/second-factor") { request, context in
            let id = try context.parameters.require("id")
            let form = try await request.formFields(limit: context.bodyLimit)
            do {
                try csrf.verify(request, form: form)
                _ = try await services.recoveries.verifySecondFactor(flowId: id, method: form["method"] ?? "",
                                                                     code: enteredProof(form), origin: context.origin)
                return Response.redirect(to: "/recover/\(id)", type: .found)
            } catch let error as KeywardError where Self.shownInline(error) {
                return try await stepPage(id: id, request: request, context: context, error: error, notice: nil,
                                          method: form["method"])
            }
        }
        router.post("recover/{id}/second-factor/send") { request, context in
            let id = try context.parameters.require("id")
            let form = try await request.formFields(limit: context.bodyLimit)
            let channel = form["channel"] ?? ""
            do {
                try csrf.verify(request, form: form)
                _ = try await services.recoveries.sendSecondFactorCode(flowId: id, channel: channel, origin: context.origin)
                return Response.redirect(to: "/recover/\(id)?sent=\(channel == "sms" ? "sms" : "email")", type: .found)
            } catch let error as KeywardError where Self.shownInline(error) {
                return try await stepPage(id: id, request: request, context: context, error: error, notice: nil,
                                          method: DeliveryChannel(rawValue: channel).map { SecondFactorMethod(channel: $0).rawValue })
            }
        }
        router.post("recover/{id}/password") { request, context in
            let id = try context.parameters.require("id")
            let form = try await request.formFields(limit: context.bodyLimit)
            do {
                try csrf.verify(request, form: form)
                _ = try await services.recoveries.setPassword(flowId: id, newPassword: form["password"] ?? "",
                                                              origin: context.origin)
                var response = Response.redirect(to: "/login?reset=1", type: .found)
                response.setCookie(Cookie(name: SessionMiddleware.cookieName, value: "", maxAge: 0, path: "/",
                                          secure: true, httpOnly: true, sameSite: .lax))
                return response
            } catch let error as KeywardError where Self.shownInline(error) || error.code.hasPrefix("password.") {
                return try await stepPage(id: id, request: request, context: context, error: error, notice: nil)
            }
        }
    }

    /// Errors the step's own page explains; the rest get the general error page.
    private static func shownInline(_ error: KeywardError) -> Bool {
        ["code.", "totp.", "recovery_code.", "passkey.", "second_factor.", "csrf.", "cookies.", "rate_limited", "recovery.locked", "request.invalid_field"]
            .contains { error.code.hasPrefix($0) }
    }

    /// The page for where the recovery stands: the code form, the new-password form, or done.
    private func stepPage(id: String, request: Request, context: KeywardRequestContext, error: KeywardError?,
                          notice: String?, method: String? = nil) async throws -> Response {
        let status = try await services.recoveries.status(flowId: id)
        switch status.state {
        case .secondFactorRequired:
            let pending = try await services.recoveries.secondFactor(flowId: id)
            var values = secondFactorPageValues(pending, sent: request.uri.queryParameters["sent"].map(String.init),
                                                method: method, error: error, now: services.clock.now())
            values["verifyAction"] = "/recover/\(id)/second-factor"
            values["sendAction"] = "/recover/\(id)/second-factor/send"
            values["passwordAccepted"] = false
            values["purpose"] = "Your reset code was right. To protect your account, confirm with your second factor before choosing a new password."
            return pages.form("login-verify", "Confirm it's you", request: request, context: context, csrf: csrf,
                              values: values, error: error)
        case .verified:
            return pages.form("recover-password", "Choose a new password", request: request, context: context, csrf: csrf,
                              values: ["flowId": id, "policyNist": services.config.passwordPolicy == .nist,
                                       "holdHours": Int((services.config.holdAfterPasswordReset / 3600).rounded(.up)),
                                       "hasHold": services.config.holdAfterPasswordReset > 0],
                              error: error)
        case .completed:
            return Response.redirect(to: "/login?reset=1", type: .found)
        default:
            var values: [String: Any] = [
                "flowId": id,
                "destination": status.identifier?.value ?? "",
                "channelIsSMS": status.identifier?.kind == .phone,
            ]
            values.merge(resendCountdown(availableAt: status.resendAvailableAt, error: error, now: services.clock.now())) { $1 }
            if let notice { values["notice"] = notice }
            if let delivery = status.delivery {
                values["delivery"] = deliveryValues(delivery, channel: status.identifier?.channel ?? .email, alternative: nil)
            }
            return pages.form("recover-code", "Enter your code", request: request, context: context, csrf: csrf,
                              values: values, error: error)
        }
    }
}
