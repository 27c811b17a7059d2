import Foundation
import Hummingbird
import KeywardCore

/// The security settings pages: the overview, confirming it is you (password and second factor),
/// binding or removing the authenticator app, changing the password, the phone number, the email
/// address and the anti-phishing code. They drive the same services as the JSON API.
struct WebSecurityController {
    /// The re-authentication flow waiting for its second factor.
    static let flowCookie = "__Host-keyward_reauth"
    let services: KeywardServices
    let pages: PageRenderer
    let csrf: CSRFGuard

    func addRoutes(to router: Router<KeywardRequestContext>) {
        let account = router.group(context: WebSessionContext.self)
        addPasskeyRoutes(to: account)
        account.get("account/security") { request, context in
            let session = context.session
            let notice = request.uri.queryParameters["done"].map { Self.notices[String($0)] ?? "Saved." }
            return try await overview(session, request: request, context: context, notice: notice)
        }
        account.post("account/security/confirm") { request, context in
            try await signedIn(request, context) { session, form in
                let challenge = try await services.reauthentication.start(session: session, password: form["password"] ?? "",
                                                                          origin: context.origin)
                var sent = ""
                if let channel = challenge.options.first(where: { $0.method.channel != nil })?.method.channel {
                    if (try? await services.reauthentication.sendCode(session: session, flowId: challenge.flowId,
                                                                      channel: channel.rawValue, origin: context.origin)) != nil {
                        sent = "?sent=\(channel.rawValue)"
                    }
                }
                var response = Response.redirect(to: "/account/security/confirm\(sent)", type: .found)
                response.setCookie(Cookie(name: Self.flowCookie, value: challenge.flowId,
                                          maxAge: Int(services.config.loginFlowLifetime), path: "/", secure: true,
                                          httpOnly: true, sameSite: .strict))
                return response
            }
        }
        account.get("account/security/confirm") { request, context in
            let session = context.session
            return try await confirmPage(session, request: request, context: context, error: nil,
                                         sent: request.uri.queryParameters["sent"].map(String.init),
                                         method: request.uri.queryParameters["method"].map(String.init))
        }
        account.post("account/security/confirm/verify") { request, context in
            try await signedIn(request, context, onError: { session, form, error in
                if error.code == "account.locked" || error.code.hasPrefix("flow.") {
                    return try await overview(session, request: request, context: context, notice: nil, error: error)
                }
                return try await confirmPage(session, request: request, context: context, error: error, sent: nil,
                                             method: form["method"])
            }) { session, form in
                _ = try await services.reauthentication.verify(session: session, flowId: request.cookies[Self.flowCookie]?.value ?? "",
                                                               method: form["method"] ?? "", code: enteredProof(form),
                                                               origin: context.origin)
                var response = Response.redirect(to: "/account/security?done=confirmed", type: .found)
                response.setCookie(Cookie(name: Self.flowCookie, value: "", maxAge: 0, path: "/", secure: true,
                                          httpOnly: true, sameSite: .strict))
                return response
            }
        }
        account.post("account/security/confirm/send") { request, context in
            try await signedIn(request, context, onError: { session, form, error in
                if error.code == "account.locked" || error.code.hasPrefix("flow.") {
                    return try await overview(session, request: request, context: context, notice: nil, error: error)
                }
                return try await confirmPage(session, request: request, context: context, error: error, sent: nil,
                                             method: DeliveryChannel(rawValue: form["channel"] ?? "").map { SecondFactorMethod(channel: $0).rawValue })
            }) { session, form in
                let channel = form["channel"] ?? ""
                _ = try await services.reauthentication.sendCode(session: session, flowId: request.cookies[Self.flowCookie]?.value ?? "",
                                                                 channel: channel, origin: context.origin)
                return Response.redirect(to: "/account/security/confirm?sent=\(channel == "sms" ? "sms" : "email")", type: .found)
            }
        }
        account.post("account/security/authenticator") { request, context in
            try await signedIn(request, context) { session, _ in
                _ = try await services.settings.beginAuthenticator(session: session, origin: context.origin)
                // Shown by a GET, so reloading the page shows the same key instead of making a new one.
                return Response.redirect(to: "/account/security/authenticator", type: .normal)
            }
        }
        account.get("account/security/authenticator") { request, context in
            let session = context.session
            do {
                return try await enrolmentPage(session, request: request, context: context, error: nil)
            } catch let error as KeywardError where error.status < 500 {
                return try await overview(session, request: request, context: context, notice: nil, error: error)
            }
        }
        account.post("account/security/authenticator/confirm") { request, context in
            try await signedIn(request, context, onError: { session, _, error in
                try await enrolmentPage(session, request: request, context: context, error: error)
            }) { session, form in
                try await services.settings.confirmAuthenticator(session: session, code: form["code"] ?? "", origin: context.origin)
                return Response.redirect(to: "/account/security?done=authenticator", type: .found)
            }
        }
        account.post("account/security/authenticator/remove") { request, context in
            try await signedIn(request, context) { session, _ in
                try await services.settings.removeAuthenticator(session: session, origin: context.origin)
                return Response.redirect(to: "/account/security?done=authenticator-removed", type: .found)
            }
        }
        account.post("account/security/recovery-codes") { request, context in
            try await signedIn(request, context) { session, _ in
                let codes = try await services.settings.generateRecoveryCodes(session: session, origin: context.origin)
                return recoveryCodesPage(codes, request: request, context: context)
            }
        }
        account.post("account/security/password") { request, context in
            try await signedIn(request, context) { session, form in
                _ = try await services.settings.changePassword(
                    session: session, current: form["currentPassword"] ?? "", new: form["newPassword"] ?? "",
                    keepOtherSessions: form["keepOtherSessions"] != nil, origin: context.origin)
                return Response.redirect(to: "/account/security?done=password", type: .found)
            }
        }
        account.post("account/security/anti-phishing") { request, context in
            try await signedIn(request, context) { session, form in
                try await services.settings.setAntiPhishingCode(session: session, code: form["code"] ?? "", origin: context.origin)
                return Response.redirect(to: "/account/security?done=anti-phishing", type: .found)
            }
        }
        for kind in [Identifier.Kind.phone, .email] {
            account.post(RouterPath("account/security/\(kind.rawValue)")) { request, context in
                try await signedIn(request, context) { session, form in
                    let started = try await services.contacts.start(
                        session: session, kind: kind, value: form[kind.rawValue] ?? "",
                        oldAvailable: form["oldUnavailable"] == nil, origin: context.origin)
                    return contactPage(kind: kind, flowId: started.flowId, proofs: started.proofs, request: request,
                                       context: context, error: nil, nextSendAt: started.resendAvailableAt,
                                       destinations: started.destinations)
                }
            }
            account.post(RouterPath("account/security/\(kind.rawValue)/resend")) { request, context in
                let form = try await request.formFields(limit: context.bodyLimit)
                let proofs = (form["proofs"] ?? "").split(separator: ",").compactMap { ContactProof(rawValue: String($0)) }
                return try await signedIn(request, context, form: form, onError: { _, form, error in
                    contactPage(kind: kind, flowId: form["flowId"] ?? "", proofs: proofs, request: request, context: context,
                                error: error)
                }) { session, form in
                    let next = try await services.contacts.resend(session: session, kind: kind, flowId: form["flowId"] ?? "",
                                                                  origin: context.origin)
                    return contactPage(kind: kind, flowId: form["flowId"] ?? "", proofs: proofs, request: request,
                                       context: context, error: nil, nextSendAt: next, notice: "New codes are on their way.")
                }
            }
            account.post(RouterPath("account/security/\(kind.rawValue)/verify")) { request, context in
                let form = try await request.formFields(limit: context.bodyLimit)
                let proofs = (form["proofs"] ?? "").split(separator: ",").compactMap { ContactProof(rawValue: String($0)) }
                return try await signedIn(request, context, form: form, onError: { _, form, error in
                    contactPage(kind: kind, flowId: form["flowId"] ?? "", proofs: proofs, request: request, context: context,
                                error: error)
                }) { session, form in
                    var entered: [ContactProof: String] = [:]
                    for proof in ContactProof.allCases { entered[proof] = form[proof.rawValue] }
                    _ = try await services.contacts.verify(session: session, kind: kind, flowId: form["flowId"] ?? "",
                                                           entered: entered, origin: context.origin)
                    return Response.redirect(to: "/account/security?done=\(kind.rawValue)", type: .found)
                }
            }
        }
    }

    static let notices = [
        "confirmed": "Thank you. You can change your security settings for the next few minutes.",
        "authenticator": "Your authenticator app is bound. From now on, sign-in asks for its code.",
        "authenticator-removed": "The authenticator app was removed. Sign-in now asks for a code by email or SMS.",
        "password": "Your password was changed. Withdrawals are paused for a while to protect you.",
        "anti-phishing": "Your anti-phishing code is set. Every email from us now shows it at the top.",
        "phone": "Your phone number is saved. Sign-in codes and security alerts now go to it.",
        "email": "Your email address is saved. Sign-in codes and security alerts now go to it.",
        "recovery-codes": "Your recovery codes are ready. Earlier ones no longer work.",
        "passkey-added": "Your passkey is added. You can now sign in with it, without your password.",
        "passkey-renamed": "The passkey was renamed.",
        "passkey-removed": "The passkey was removed. It no longer signs in to your account.",
    ]

    /// Runs a signed-in form action with its CSRF check; a coded error re-renders `onError` (by default
    /// the overview with the error).
    func signedIn(
        _ request: Request, _ context: WebSessionContext, form given: [String: String]? = nil,
        onError: ((Session, [String: String], KeywardError) async throws -> Response)? = nil,
        _ action: (Session, [String: String]) async throws -> Response
    ) async throws -> Response {
        let session = context.session
        let form: [String: String]
        if let given { form = given } else { form = try await request.formFields(limit: context.bodyLimit) }
        do {
            try csrf.verify(request, form: form)
            return try await action(session, form)
        } catch let error as KeywardError where error.status < 500 {
            if let onError { return try await onError(session, form, error) }
            return try await overview(session, request: request, context: context, notice: nil, error: error)
        }
    }

    func overview(_ session: Session, request: Request, context: WebSessionContext, notice: String?,
                          error: KeywardError? = nil) async throws -> Response {
        let security = try await services.settings.overview(session: session)
        var values: [String: Any] = [
            "email": security.policy.email?.value ?? "", "hasEmail": security.policy.email != nil,
            "phone": security.policy.phone?.value ?? "", "hasPhone": security.policy.phone != nil,
            "authenticator": security.policy.authenticator,
            "authenticatorBoundAt": security.authenticatorBoundAt.map(ISO8601.string) ?? "",
            "signInMethods": security.signInMethods.map { describeMethod($0.method) }.joined(separator: " or "),
            "antiPhishingCodeSet": security.antiPhishingCodeSet,
            "recoveryCodesRemaining": security.policy.recoveryCodesRemaining,
            "holds": security.holds.map(holdView),
            "hasHolds": !security.holds.isEmpty,
            "fresh": security.reauthenticatedUntil != nil,
            "passkeys": try await services.passkeys.list(session: session).map { passkey -> [String: Any] in
                var values: [String: Any] = ["id": passkey.id, "name": passkey.name, "synced": passkey.backupEligible,
                                             "createdAt": ISO8601.string(passkey.createdAt)]
                values["lastUsedAt"] = passkey.lastUsedAt.map(ISO8601.string)  // absent until first used
                return values
            },
            "freshUntil": security.reauthenticatedUntil.map(ISO8601.string) ?? "",
        ]
        if let notice { values["notice"] = notice }
        return pages.form("security", "Security settings", request: request, context: context, csrf: csrf, values: values,
                          error: error)
    }

    /// A new set of recovery codes, shown this once, with a text file to download. Answered to the
    /// POST that made them, so that no address shows them again.
    private func recoveryCodesPage(_ codes: [String], request: Request, context: WebSessionContext) -> Response {
        let platform = services.config.platformName
        let text = "\(platform) recovery codes\n\n" + codes.joined(separator: "\n")
            + "\n\nEach code works once. Keep them away from your phone and never share them.\n"
        let encoded = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let fileName = platform.lowercased().filter { $0.isLetter || $0.isNumber } + "-recovery-codes.txt"
        return pages.form("recovery-codes", "Your recovery codes", request: request, context: context, csrf: csrf,
                          values: ["codes": codes, "downloadHref": "data:text/plain;charset=utf-8,\(encoded)",
                                   "downloadName": fileName])
    }

    /// The key and QR code of the enrolment waiting for its first code, or, with none left, the way back.
    private func enrolmentPage(_ session: Session, request: Request, context: WebSessionContext,
                               error: KeywardError?) async throws -> Response {
        var values: [String: Any] = [:]
        if let enrolment = try await services.settings.pendingAuthenticator(session: session) {
            values = ["secret": enrolment.secret, "qrSvg": enrolment.qrSVG, "showKey": true]
        }
        return pages.form("authenticator", "Bind an authenticator app", request: request, context: context, csrf: csrf,
                          values: values, error: error)
    }

    private func confirmPage(_ session: Session, request: Request, context: WebSessionContext, error: KeywardError?,
                             sent: String?, method: String?) async throws -> Response {
        guard let flowId = request.cookies[Self.flowCookie]?.value else {
            return Response.redirect(to: "/account/security", type: .found)
        }
        let pending: SecondFactorPending
        do {
            pending = try await services.reauthentication.pending(session: session, flowId: flowId)
        } catch let failure as KeywardError where failure.code.hasPrefix("flow.") || failure.code == "account.locked" {
            return try await overview(session, request: request, context: context, notice: nil, error: failure)
        }
        var values = secondFactorPageValues(pending, sent: sent, method: method, error: error, now: services.clock.now())
        values["verifyAction"] = "/account/security/confirm/verify"
        values["sendAction"] = "/account/security/confirm/send"
        values["passwordAccepted"] = true
        values["purpose"] = "You are confirming a change to your security settings."
        return pages.form("login-verify", "Confirm it's you", request: request, context: context, csrf: csrf, values: values,
                          error: error)
    }

    private func contactPage(kind: Identifier.Kind, flowId: String, proofs: [ContactProof], request: Request,
                             context: WebSessionContext, error: KeywardError?, nextSendAt: Date? = nil,
                             notice: String? = nil, destinations: [ContactProof: String] = [:]) -> Response {
        let labels: [ContactProof: String] = [
            .newCode: kind == .phone ? "Code sent by SMS to the new number" : "Code sent to the new email address",
            .oldCode: kind == .phone ? "Code sent by SMS to your current number" : "Code sent to your current email address",
            .otherCode: kind == .phone ? "Code sent to your email address" : "Code sent by SMS to your phone",
            .totpCode: "Code from your authenticator app",
        ]
        var wrong: String?
        if case .string(let field)? = error?.details["field"] { wrong = field }
        let fields = proofs.map { proof -> [String: Any] in
            let label = labels[proof] ?? proof.rawValue
            return ["name": proof.rawValue, "label": destinations[proof].map { "\(label) (\($0))" } ?? label,
                    "invalid": proof.rawValue == wrong]
        }
        let now = services.clock.now()
        var values: [String: Any] = ["kind": kind.rawValue, "isPhone": kind == .phone, "flowId": flowId, "fields": fields,
                                     "proofs": proofs.map(\.rawValue).joined(separator: ",")]
        values.merge(resendCountdown(availableAt: nextSendAt ?? now, error: error, now: now)) { $1 }
        if let notice { values["notice"] = notice }
        return pages.form("contact-verify", kind == .phone ? "Confirm the new phone number" : "Confirm the new email address",
                          request: request, context: context, csrf: csrf, values: values, error: error)
    }
}

/// A person-readable name for a sign-in method.
func describeMethod(_ method: SecondFactorMethod) -> String {
    switch method {
    case .emailCode: return "a code by email"
    case .smsCode: return "a code by SMS"
    case .totp: return "your authenticator app"
    case .recoveryCode: return "one of your recovery codes"
    case .passkey: return "a passkey"
    case .password: return "your password"
    }
}
