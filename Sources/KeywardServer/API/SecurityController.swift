import Foundation
import Hummingbird
import KeywardCore

/// `/api/v1/account/reauth…`, `/account/security`, `/account/password`, `/account/totp`,
/// `/account/recovery-codes`, `/account/anti-phishing-code`: the signed-in person's security settings.
struct SecurityController {
    let reauthentication: ReauthenticationService
    let settings: SecuritySettingsService

    struct ReauthBody: Decodable {
        let password: String
    }

    struct PasswordBody: Decodable {
        let currentPassword: String
        let newPassword: String
        let keepOtherSessions: Bool?
    }

    struct CodeBody: Decodable {
        let code: String
    }

    func addRoutes(to group: RouterGroup<KeywardRequestContext>) {
        let signedIn = group.group("account").group(context: AuthenticatedContext.self)
        signedIn.post("reauth") { request, context in
            let body = try await request.decodeJSON(ReauthBody.self, limit: context.bodyLimit)
            let challenge = try await reauthentication.start(session: context.session, password: body.password,
                                                             origin: context.origin)
            return JSONAnswer(SecondFactorChallengeJSON(challenge))
        }
        signedIn.post("reauth/{flowId}/send-code") { request, context in
            let body = try await request.decodeJSON(SendCodeBody.self, limit: context.bodyLimit)
            let next = try await reauthentication.sendCode(session: context.session,
                                                           flowId: try context.parameters.require("flowId"),
                                                           channel: body.channel, origin: context.origin)
            return JSONAnswer(["resendAvailableAt": ISO8601.string(next)], status: .accepted)
        }
        signedIn.post("reauth/{flowId}/verify") { request, context in
            let body = try await request.decodeJSON(SecondFactorBody.self, limit: context.bodyLimit)
            let until = try await reauthentication.verify(session: context.session,
                                                          flowId: try context.parameters.require("flowId"),
                                                          method: body.method, code: try body.entered(), origin: context.origin)
            return JSONAnswer(["reauthenticatedUntil": ISO8601.string(until)])
        }
        signedIn.get("security") { _, context in
            JSONAnswer(SecurityOverviewJSON(try await settings.overview(session: context.session)))
        }
        signedIn.put("password") { request, context in
            let body = try await request.decodeJSON(PasswordBody.self, limit: context.bodyLimit)
            let revoked = try await settings.changePassword(
                session: context.session, current: body.currentPassword, new: body.newPassword,
                keepOtherSessions: body.keepOtherSessions ?? false, origin: context.origin)
            return JSONAnswer(["sessionsRevoked": revoked])
        }
        signedIn.post("totp") { _, context in
            let enrolment = try await settings.beginAuthenticator(session: context.session, origin: context.origin)
            return JSONAnswer(EnrolmentJSON(secret: enrolment.secret, otpauthUri: enrolment.otpauthURI,
                                                  qrSvg: enrolment.qrSVG), status: .created)
        }
        signedIn.post("totp/confirm") { request, context in
            let body = try await request.decodeJSON(CodeBody.self, limit: context.bodyLimit)
            try await settings.confirmAuthenticator(session: context.session, code: body.code, origin: context.origin)
            return JSONAnswer(["status": "active"])
        }
        signedIn.delete("totp") { _, context in
            try await settings.removeAuthenticator(session: context.session, origin: context.origin)
            return HTTPResponse.Status.noContent
        }
        signedIn.post("recovery-codes") { _, context in
            let codes = try await settings.generateRecoveryCodes(session: context.session, origin: context.origin)
            return JSONAnswer(RecoveryCodesJSON(codes: codes, remaining: codes.count), status: .created)
        }
        signedIn.put("anti-phishing-code") { request, context in
            let body = try await request.decodeJSON(CodeBody.self, limit: context.bodyLimit)
            try await settings.setAntiPhishingCode(session: context.session, code: body.code, origin: context.origin)
            return JSONAnswer(["antiPhishingCodeSet": true])
        }
    }
}

struct EnrolmentJSON: Encodable {
    let secret: String
    let otpauthUri: String
    let qrSvg: String
}

struct RecoveryCodesJSON: Encodable {
    let codes: [String]
    let remaining: Int
}

struct SecurityOverviewJSON: Encodable {
    struct Factors: Encodable {
        let email: String?
        let phone: String?
        let totp: Bool
        let totpBoundAt: Date?
    }

    struct Policy: Encodable {
        let secondFactorRequired: Bool
        let methods: [String]
    }

    let factors: Factors
    let boundMethods: [String]
    let loginPolicy: Policy
    let antiPhishingCodeSet: Bool
    let recoveryCodesRemaining: Int
    let holds: [HoldJSON]
    let reauthenticatedUntil: Date?

    init(_ overview: SecurityOverview) {
        factors = Factors(email: overview.policy.email?.value, phone: overview.policy.phone?.value,
                          totp: overview.policy.authenticator, totpBoundAt: overview.authenticatorBoundAt)
        boundMethods = overview.policy.bound.map(\.rawValue)
        loginPolicy = Policy(secondFactorRequired: true, methods: overview.signInMethods.map(\.method.rawValue))
        antiPhishingCodeSet = overview.antiPhishingCodeSet
        recoveryCodesRemaining = overview.policy.recoveryCodesRemaining
        holds = overview.holds.map(HoldJSON.init)
        reauthenticatedUntil = overview.reauthenticatedUntil
    }
}
