import Foundation
import Hummingbird
import KeywardCore
import KeywardCrypto

/// The sign-in pages: password, then the second step (authenticator code, or a code by email or
/// SMS with resend and countdown). The page for people who cannot complete the second step is
/// ``WebSupportController``'s, since it opens a support case.
///
/// The login flow's id stays in an HttpOnly cookie rather than the address, so it never lands in
/// history, logs or a `Referer`.
struct WebSignInController {
    /// A random id the browser keeps so that a device that signed in before is recognised.
    static let deviceCookie = "__Host-keyward_device"
    /// The login flow waiting for its second factor.
    static let flowCookie = "__Host-keyward_login"
    let services: KeywardServices
    let pages: PageRenderer
    let csrf: CSRFGuard

    func addRoutes(to router: Router<KeywardRequestContext>) {
        router.get("login") { request, context in
            if context.session != nil { return Response.redirect(to: "/account", type: .normal) }
            var values: [String: Any] = [:]
            if request.uri.queryParameters["signedOut"] != nil { values["notice"] = "You are signed out." }
            if request.uri.queryParameters["reset"] != nil {
                values["notice"] = "Your password was changed and every device was signed out. Sign in with the new password."
            }
            return render("login", "Sign in", request: request, context: context, values: values)
        }
        router.post("login") { request, context in
            let form = try await request.formFields(limit: context.bodyLimit)
            let identifier = form["identifier"] ?? ""
            do {
                try csrf.verify(request, form: form)
                let known = request.cookies[Self.deviceCookie]?.value
                let deviceId = known ?? SecureRandom.token()
                let challenge = try await services.signIns.signIn(identifier: identifier, password: form["password"] ?? "",
                                                                device: SignInDevice(id: deviceId), origin: context.origin)
                // A code goes out at once to the first channel offered, as people expect after their password.
                var sent = ""
                if let first = challenge.options.first(where: { $0.method.channel != nil }), let channel = first.method.channel {
                    do {
                        _ = try await services.signIns.sendCode(flowId: challenge.flowId, channel: channel.rawValue,
                                                               origin: context.origin)
                        sent = "?sent=\(channel.rawValue)"
                    } catch let error as KeywardError where error.code == "code.resend_too_soon" || error.code == "rate_limited" {
                        sent = ""
                    }
                }
                var response = Response.redirect(to: "/login/verify\(sent)", type: .found)
                response.setCookie(Cookie(name: Self.flowCookie, value: challenge.flowId,
                                          maxAge: Int(services.config.loginFlowLifetime), path: "/", secure: true,
                                          httpOnly: true, sameSite: .lax))
                if known == nil {
                    response.setCookie(Cookie(name: Self.deviceCookie, value: deviceId, maxAge: 400 * 86400, path: "/",
                                              secure: true, httpOnly: true, sameSite: .lax))
                }
                return response
            } catch let error as KeywardError {
                return render("login", "Sign in", request: request, context: context,
                              values: ["identifier": identifier], error: error)
            }
        }
        router.get("login/verify") { request, context in
            let sent = request.uri.queryParameters["sent"].map(String.init)
            return try await stepPage(request: request, context: context, error: nil, sent: sent,
                                      method: request.uri.queryParameters["method"].map(String.init))
        }
        router.post("login/verify") { request, context in
            let form = try await request.formFields(limit: context.bodyLimit)
            guard let flowId = request.cookies[Self.flowCookie]?.value else { return Response.redirect(to: "/login", type: .found) }
            do {
                try csrf.verify(request, form: form)
                let outcome = try await services.signIns.verify(flowId: flowId, method: form["method"] ?? "",
                                                               code: enteredProof(form), origin: context.origin)
                guard case .signedIn(let result) = outcome else {
                    return Response.redirect(to: "/login/approve-device", type: .found)
                }
                return signInFinished(result.session)
            } catch let error as KeywardError where Self.endsSignIn(error) {
                return signInAgain(request: request, context: context, error: error)
            } catch let error as KeywardError where Self.shownInline(error) {
                return try await stepPage(request: request, context: context, error: error, sent: nil,
                                          method: form["method"])
            }
        }
        router.post("login/verify/send") { request, context in
            let form = try await request.formFields(limit: context.bodyLimit)
            guard let flowId = request.cookies[Self.flowCookie]?.value else { return Response.redirect(to: "/login", type: .found) }
            let channel = form["channel"] ?? ""
            do {
                try csrf.verify(request, form: form)
                _ = try await services.signIns.sendCode(flowId: flowId, channel: channel, origin: context.origin)
                return Response.redirect(to: "/login/verify?sent=\(channel == "sms" ? "sms" : "email")", type: .found)
            } catch let error as KeywardError where Self.endsSignIn(error) {
                return signInAgain(request: request, context: context, error: error)
            } catch let error as KeywardError where Self.shownInline(error) {
                return try await stepPage(request: request, context: context, error: error, sent: nil,
                                          method: DeliveryChannel(rawValue: channel).map { SecondFactorMethod(channel: $0).rawValue })
            }
        }
        addDeviceApprovalRoutes(to: router)
        router.post("login/passkey") { request, context in
            let form = try await request.formFields(limit: context.bodyLimit)
            do {
                try csrf.verify(request, form: form)
                let known = request.cookies[Self.deviceCookie]?.value
                let deviceId = known ?? SecureRandom.token()
                let credential = try PasskeyCredentialJSON.parse(form["credential"] ?? "")
                let result = try await services.passkeySignIns.finish(flowId: form["flowId"] ?? "", credential: credential,
                                                                      device: SignInDevice(id: deviceId), origin: context.origin)
                var response = signedIn(result.session)
                if known == nil {
                    response.setCookie(Cookie(name: Self.deviceCookie, value: deviceId, maxAge: 400 * 86400, path: "/",
                                              secure: true, httpOnly: true, sameSite: .lax))
                }
                return response
            } catch let error as KeywardError where error.status < 500 {
                return render("login", "Sign in", request: request, context: context, values: [:], error: error)
            }
        }
    }

    /// The answer to the step that finished a sign-in: the session's cookie set, the flow's cleared.
    func signInFinished(_ session: IssuedSession) -> Response {
        var response = signedIn(session)
        response.setCookie(Cookie(name: Self.flowCookie, value: "", maxAge: 0, path: "/", secure: true,
                                  httpOnly: true, sameSite: .lax))
        return response
    }

    /// The sign-in form with `error`, the login flow forgotten: the lock or expiry that ended the
    /// second step is explained where the person can start again.
    func signInAgain(request: Request, context: KeywardRequestContext, error: KeywardError) -> Response {
        var response = render("login", "Sign in", request: request, context: context, values: [:], error: error)
        response.setCookie(Cookie(name: Self.flowCookie, value: "", maxAge: 0, path: "/", secure: true,
                                  httpOnly: true, sameSite: .lax))
        return response
    }

    /// Errors after which the sign-in starts again from the form: a lock, a restriction or freeze,
    /// or a flow that ended.
    static func endsSignIn(_ error: KeywardError) -> Bool {
        ["account.locked", "account.restricted", "account.frozen", "device_approval.not_pending"].contains(error.code)
            || error.code.hasPrefix("flow.")
    }

    /// Errors the second-step page shows next to its form; others (an expired flow) get the error page.
    static func shownInline(_ error: KeywardError) -> Bool {
        ["code.", "totp.", "recovery_code.", "passkey.", "csrf.", "cookies.", "second_factor."].contains { error.code.hasPrefix($0) }
            || error.code == "rate_limited" || error.code == "request.invalid_field"
    }

    func render(_ template: String, _ title: String, request: Request, context: KeywardRequestContext,
                        values: [String: Any], error: KeywardError? = nil) -> Response {
        pages.form(template, title, request: request, context: context, csrf: csrf, values: values, error: error)
    }

    private func stepPage(request: Request, context: KeywardRequestContext, error: KeywardError?, sent: String?,
                          method: String? = nil) async throws -> Response {
        guard let flowId = request.cookies[Self.flowCookie]?.value else {
            return Response.redirect(to: "/login", type: .found)
        }
        let pending: SecondFactorPending
        do {
            pending = try await services.signIns.pending(flowId: flowId)
        } catch let failure as KeywardError where Self.endsSignIn(failure) {
            return signInAgain(request: request, context: context, error: failure)
        }
        var values = secondFactorPageValues(pending, sent: sent, method: method, error: error, now: services.clock.now())
        values["verifyAction"] = "/login/verify"
        values["sendAction"] = "/login/verify/send"
        values["passwordAccepted"] = true
        return render("login-verify", "Verify it's you", request: request, context: context, values: values, error: error)
    }
}

/// What the second-step page shows: each method offered, the one selected (the one named, else the one
/// a code was just sent for, else the first that has a code, else the first), and for code methods
/// whether a code was sent in this flow and the countdown to the next.
func secondFactorPageValues(_ pending: SecondFactorPending, sent: String?, method: String?, error: KeywardError?,
                            now: Date) -> [String: Any] {
    let options = pending.options
    let sentMethod = sent.flatMap(DeliveryChannel.init(rawValue:)).map(SecondFactorMethod.init(channel:))
    let selected = method.flatMap(SecondFactorMethod.init(rawValue:)).flatMap { named in options.contains { $0.method == named } ? named : nil }
        ?? sentMethod ?? options.first { pending.sent.contains($0.method) }?.method
        ?? options.first { $0.method != .recoveryCode }?.method
    let items = options.map { option -> [String: Any] in
        var values: [String: Any] = ["method": option.method.rawValue, "destination": option.destination ?? "",
                                     "selected": option.method == selected, "isCode": option.method.channel != nil,
                                     "channel": option.method.channel?.rawValue ?? "",
                                     "isSMS": option.method == .smsCode,
                                     "sent": pending.sent.contains(option.method)]
        if option.method.channel != nil {
            values.merge(resendCountdown(availableAt: pending.nextSendAt[option.method] ?? now,
                                         error: option.method == selected ? error : nil, now: now)) { $1 }
        }
        return values
    }
    let chosen = options.first { $0.method == selected }
    var passkeyOptions = ""
    if let request = PasskeyRequestOptionsJSON(prompts: pending.prompts), let json = try? JSONEncoder().encode(request) {
        passkeyOptions = String(decoding: json, as: UTF8.self)
    }
    var values: [String: Any] = [
        "usesPasskey": selected == .passkey,
        "passkeyOptions": passkeyOptions,
        "options": items,
        "usesTOTP": selected == .totp,
        "usesRecoveryCode": selected == .recoveryCode,
        "usesCode": selected?.channel != nil,
        "usesEnteredCode": selected != .passkey,
        "offersRecoveryCode": options.contains { $0.method == .recoveryCode },
        "otherMethods": options.filter { $0.method != .recoveryCode }.map { describeMethod($0.method) }
            .joined(separator: " or "),
        "selectedMethod": selected?.rawValue ?? "",
        "codeSent": selected.map { pending.sent.contains($0) } ?? false,
        "selectedIsSMS": selected == .smsCode,
    ]
    if let chosen, pending.sent.contains(chosen.method), let destination = chosen.destination {
        values["notice"] = "We sent a code to \(destination)."
    }
    if let chosen, let delivery = pending.deliveries[chosen.method] {
        values["delivery"] = deliveryValues(delivery, channel: chosen.method == .smsCode ? .sms : .email,
                                            alternative: options.first { $0.method != chosen.method && $0.method.channel != nil })
    }
    return values
}

/// What the second-step page says of where the selected method's code stands, so that someone
/// waiting for it can tell a code that left (look in spam, check the signal) from one that has
/// not, and knows when to switch to the other method.
func deliveryValues(_ delivery: OutboxDelivery, channel: DeliveryChannel, alternative: SecondFactorOption?) -> [String: Any] {
    var values: [String: Any] = [
        "state": delivery.state.rawValue,
        "isQueued": delivery.state == .queued, "isRetrying": delivery.state == .retrying,
        "isSent": delivery.state == .sent, "isFailed": delivery.state == .failed,
        "queuedAt": ISO8601.string(delivery.queuedAt),
        "carrier": channel == .sms ? "the SMS network" : "your email provider",
        "lookFor": channel == .sms ? "check your phone's signal; SMS can take a few minutes"
                                      : "look in your spam or junk folder; email can take a few minutes",
    ]
    if let sentAt = delivery.sentAt { values["sentAt"] = ISO8601.string(sentAt) }
    if let next = delivery.nextAttemptAt { values["nextAttemptAt"] = ISO8601.string(next) }
    if let alternative, let destination = alternative.destination {
        values["alternative"] = "\(alternative.method == .smsCode ? "by SMS" : "by email") to \(destination)"
    }
    return values
}

/// What a second-step form carries for its method: the browser's passkey answer (JSON text) or the
/// code typed.
func enteredProof(_ form: [String: String]) -> String {
    form["method"] == SecondFactorMethod.passkey.rawValue ? form["credential"] ?? "" : form["code"] ?? ""
}
