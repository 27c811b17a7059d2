import Foundation
import Hummingbird
import KeywardCore
import KeywardCrypto

/// The server-rendered pages: register, enter the code, account home, sign out. They drive the
/// same services as the JSON API and hold no logic of their own beyond presentation.
struct WebController {
    let services: KeywardServices
    let pages: PageRenderer
    let csrf: CSRFGuard

    func addRoutes(to router: Router<KeywardRequestContext>) {
        router.get("/") { _, context in
            Response.redirect(to: context.session == nil ? "/login" : "/account", type: .normal)
        }
        router.get("register") { request, context in
            render("register", "Create an account", request: request, context: context,
                   values: ["policyNist": services.config.passwordPolicy == .nist])
        }
        router.post("register") { request, context in
            let form = try await request.formFields(limit: context.bodyLimit)
            let identifier = form["identifier"] ?? ""
            do {
                try csrf.verify(request, form: form)
                let started = try await services.registrations.start(identifier: identifier, password: form["password"] ?? "",
                                                                     origin: context.origin)
                let query = started.codeAlreadySent ? "?sent=earlier" : ""
                return Response.redirect(to: "/register/\(started.registrationId)\(query)", type: .found)
            } catch let error as KeywardError {
                return render("register", "Create an account", request: request, context: context,
                              values: ["identifier": identifier, "policyNist": services.config.passwordPolicy == .nist],
                              error: error)
            }
        }
        router.get("register/{id}") { request, context in
            let id = try context.parameters.require("id")
            let query = request.uri.queryParameters
            let notice = query["resent"] != nil ? MessageCatalogue.english.sentence(for: "notice.code_resent")
                : query["sent"] == "earlier" ? MessageCatalogue.english.sentence(for: "notice.code_already_sent")
                : nil
            return try await verifyPage(id: id, request: request, context: context, error: nil, notice: notice)
        }
        router.post("register/{id}") { request, context in
            let id = try context.parameters.require("id")
            let form = try await request.formFields(limit: context.bodyLimit)
            do {
                try csrf.verify(request, form: form)
                let completed = try await services.registrations.verify(registrationId: id, code: form["code"] ?? "",
                                                                        deviceName: nil, origin: context.origin)
                return signedIn(completed.session)
            } catch let error as KeywardError where error.code.hasPrefix("code.") || error.code.hasPrefix("csrf.") || error.code.hasPrefix("cookies.") {
                return try await verifyPage(id: id, request: request, context: context, error: error, notice: nil)
            }
        }
        router.post("register/{id}/resend") { request, context in
            let id = try context.parameters.require("id")
            let form = try await request.formFields(limit: context.bodyLimit)
            do {
                try csrf.verify(request, form: form)
                _ = try await services.registrations.resend(registrationId: id, origin: context.origin)
                return Response.redirect(to: "/register/\(id)?resent=1", type: .found)
            } catch let error as KeywardError where error.code.hasPrefix("code.") || error.code.hasPrefix("csrf.")
                        || error.code.hasPrefix("cookies.") || error.code == "rate_limited" {
                return try await verifyPage(id: id, request: request, context: context, error: error, notice: nil)
            }
        }
        let account = router.group(context: WebSessionContext.self)
        account.get("account") { request, context in
            try await accountPage(session: context.session, request: request, context: context, notice: nil)
        }
        account.post("account/sessions/{id}/revoke") { request, context in
            let session = context.session
            let form = try await request.formFields(limit: context.bodyLimit)
            try csrf.verify(request, form: form)
            let id = try context.parameters.require("id")
            try await services.sessions.revoke(id: id, of: session.accountId, origin: context.origin)
            return Response.redirect(to: "/account", type: .found)
        }
        account.post("account/sessions/revoke-others") { request, context in
            let session = context.session
            let form = try await request.formFields(limit: context.bodyLimit)
            try csrf.verify(request, form: form)
            _ = try await services.sessions.revokeOthers(than: session, origin: context.origin)
            return Response.redirect(to: "/account", type: .found)
        }
        router.post("logout") { request, context in
            let form = try await request.formFields(limit: context.bodyLimit)
            try csrf.verify(request, form: form)
            if let session = context.session {
                try await services.sessions.end(session, origin: context.origin)
            }
            var response = Response.redirect(to: "/login?signedOut=1", type: .found)
            response.setCookie(Cookie(name: SessionMiddleware.cookieName, value: "", maxAge: 0, path: "/",
                                      secure: true, httpOnly: true, sameSite: .lax))
            return response
        }
    }

    private func render(_ template: String, _ title: String, request: Request, context: some PageContext,
                        values: [String: Any], error: KeywardError? = nil) -> Response {
        pages.form(template, title, request: request, context: context, csrf: csrf, values: values, error: error)
    }

    private func verifyPage(id: String, request: Request, context: KeywardRequestContext, error: KeywardError?,
                            notice: String?) async throws -> Response {
        let status = try await services.registrations.status(registrationId: id)
        let now = services.clock.now()
        var values: [String: Any] = [
            "registrationId": id,
            "destination": status.flow.identifier?.value ?? "",
            "channelIsSMS": status.flow.identifier?.kind == .phone,
        ]
        values.merge(resendCountdown(availableAt: status.resendAvailableAt, error: error, now: now)) { $1 }
        if let notice { values["notice"] = notice }
        if let delivery = status.delivery {
            values["delivery"] = deliveryValues(delivery, channel: status.flow.identifier?.channel ?? .email, alternative: nil)
        }
        return render("verify", "Enter your code", request: request, context: context, values: values, error: error)
    }

    private func accountPage(session: Session, request: Request, context: some PageContext,
                             notice: String?) async throws -> Response {
        let identifiers = try await services.accounts.identifiers(accountId: session.accountId)
        let list = try await services.sessions.list(accountId: session.accountId)
        let holds = try await services.accounts.holds(accountId: session.accountId)
        let activity = try await services.accounts.activity(accountId: session.accountId, limit: 20)
        let values: [String: Any] = [
            "holds": holds.map(holdView),
            "hasHolds": !holds.isEmpty,
            "activity": activity.map { event -> [String: Any] in
                ["what": describeEvent(event), "at": ISO8601.string(event.at), "ip": event.ip ?? "unknown",
                 "failed": event.outcome == .failure]
            },
            "identifiers": identifiers.map { ["value": $0.identifier.value, "kind": $0.identifier.kind.rawValue,
                                              "verified": $0.verifiedAt != nil] },
            "sessions": list.map { item -> [String: Any] in
                ["id": item.id, "device": item.deviceName ?? item.userAgent.map(describeAgent) ?? "Unknown device",
                 "ip": item.ip ?? "unknown", "createdAt": ISO8601.string(item.createdAt),
                 "lastSeenAt": ISO8601.string(item.lastSeenAt), "current": item.id == session.id]
            },
            "hasOtherSessions": list.contains { $0.id != session.id },
            "signedInAt": ISO8601.string(session.createdAt),
        ]
        return render("account", "Your account", request: request, context: context, values: values)
    }

}

/// A redirect to the account page carrying the new session's cookie.
func signedIn(_ issued: IssuedSession) -> Response {
    var response = Response.redirect(to: "/account", type: .found)
    response.setCookie(Cookie(name: SessionMiddleware.cookieName, value: issued.token,
                              expires: issued.session.expiresAt, path: "/", secure: true, httpOnly: true,
                              sameSite: .lax))
    return response
}

/// A short description of a browser from its user agent, for the session list.
func describeAgent(_ agent: String) -> String {
    let browsers = ["Edg/": "Edge", "OPR/": "Opera", "Firefox/": "Firefox", "Chrome/": "Chrome", "Safari/": "Safari"]
    let systems = ["Windows": "Windows", "Android": "Android", "iPhone": "iPhone", "Mac OS X": "macOS", "Linux": "Linux"]
    let browser = ["Edg/", "OPR/", "Firefox/", "Chrome/", "Safari/"].first { agent.contains($0) }.map { browsers[$0]! }
    let system = ["Android", "iPhone", "Windows", "Mac OS X", "Linux"].first { agent.contains($0) }.map { systems[$0]! }
    switch (browser, system) {
    case let (b?, s?): return "\(b) on \(s)"
    case let (b?, nil): return b
    case let (nil, s?): return s
    default: return String(agent.prefix(60))
    }
}

/// A person-readable line for an audit event.
func describeEvent(_ event: AuditEvent) -> String {
    switch event.kind {
    case .loginSucceeded:
        let country = event.details["country"].map { " (\($0))" } ?? ""
        switch event.details["unfamiliar"] {
        case "location": return "Signed in from a new country\(country)"
        case "network": return "Signed in from a new network\(country)"
        default: return "Signed in\(country)"
        }
    case .loginFailed:
        return event.details["reason"] == "account.locked" ? "Sign-in refused: account locked" : "Failed sign-in"
    case .lockPlaced: return "Account locked after \(event.details["failures"] ?? "several") failed sign-ins"
    case .lockExtended: return "Sign-in attempted while locked; lock extended"
    case .lockLifted: return "Lock lifted"
    case .rateLimited: return "Too many attempts; slowed down"
    case .recoveryStarted: return "Password reset requested"
    case .recoveryVerified: return "Password reset code accepted"
    case .recoveryFinished: return "Password reset"
    case .holdPlaced: return "Withdrawals paused"
    case .codeSent: return event.details["reason"] == "recovery" ? "Password reset code sent" : "Verification code sent"
    case .codeFailed: return "Wrong verification code entered"
    case .registrationStarted: return "Registration started"
    case .registrationCompleted: return "Registration completed"
    case .sessionCreated: return "New session"
    case .sessionEnded: return "Signed out"
    case .sessionRevoked: return "Session signed out remotely"
    case .passwordRehashed: return "Password storage upgraded"
    case .secondFactorRequired: return "Password accepted; verification code needed"
    case .secondFactorFailed: return "Wrong verification code entered"
    case .reauthenticated: return "Identity confirmed for a security change"
    case .passwordChanged: return "Password changed"
    case .authenticatorEnrolmentStarted: return "Authenticator setup started"
    case .authenticatorBound: return "Authenticator app bound"
    case .authenticatorRemoved: return "Authenticator app removed"
    case .contactChangeStarted: return "Contact change started"
    case .phoneChanged: return "Phone number changed"
    case .emailChanged: return "Email address changed"
    case .antiPhishingCodeSet: return "Anti-phishing code set"
    case .supportDiagnosed: return "Support looked up your sign-in status"
    case .signInHelpViewed: return "You checked why you could not sign in"
    case .supportCaseOpened: return "Support case opened"
    case .supportCaseSubmitted: return "Support case sent for review"
    case .supportDocumentUploaded: return "Document uploaded to a support case"
    case .supportDocumentViewed: return "Support viewed a document you uploaded"
    case .supportAuthenticatorReset: return "Support reset your authenticator app"
    case .supportContactProposed: return "Support set a new phone number or email address, waiting for your code"
    case .supportUnlocked: return "Support lifted the lock on your account"
    case .supportSessionsRevoked: return "Support signed you out on every device"
    case .supportCaseDecided: return "Support decided your case"
    default: return event.kind.rawValue
    }
}

/// A person-readable reason for a hold.
/// A hold as the pages show it; one with no end (a restriction's) has no `until`.
func holdView(_ hold: SecurityHold) -> [String: String] {
    var view = ["kind": hold.kind, "reason": describeReason(hold.reason)]
    view["until"] = hold.until.map(ISO8601.string)
    return view
}

func describeReason(_ reason: String) -> String {
    switch reason {
    case "password.reset": return "after a password reset"
    case SecurityChange.passwordChanged.rawValue: return "after a password change"
    case SecurityChange.authenticatorBound.rawValue: return "after an authenticator was bound"
    case SecurityChange.authenticatorRemoved.rawValue: return "after the authenticator was removed"
    case SecurityChange.phoneAdded.rawValue: return "after a phone number was added"
    case SecurityChange.phoneChanged.rawValue: return "after a phone number change"
    case SecurityChange.emailAdded.rawValue: return "after an email address was added"
    case SecurityChange.emailChanged.rawValue: return "after an email address change"
    case SecurityChange.passkeyAdded.rawValue: return "after a passkey was added"
    case SecurityChange.passkeyRemoved.rawValue: return "after a passkey was removed"
    case SecurityChange.authenticatorResetBySupport.rawValue: return "after support reset your authenticator app"
    case SecurityChange.phoneChangedBySupport.rawValue: return "after support changed your phone number"
    case SecurityChange.emailChangedBySupport.rawValue: return "after support changed your email address"
    case "account.restricted": return "while the account is restricted"
    case "account.frozen": return "while the account is frozen"
    default: return reason
    }
}
