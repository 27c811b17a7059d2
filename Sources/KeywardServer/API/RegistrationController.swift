import Foundation
import Hummingbird
import KeywardCore

/// `/api/v1/registrations`: start, verify, send a new code (`send-code`, and `resend`, its older name).
struct RegistrationController {
    let registrations: RegistrationService

    struct StartBody: Decodable { let identifier: String; let password: String }
    struct VerifyBody: Decodable { let code: String; let deviceName: String? }

    func addRoutes(to group: RouterGroup<KeywardRequestContext>) {
        group.post("registrations") { request, context in
            let body = try await request.decodeJSON(StartBody.self, limit: context.bodyLimit)
            let started = try await registrations.start(identifier: body.identifier, password: body.password, origin: context.origin)
            // A resumed registration already existed: 200, not 201.
            return JSONAnswer(RegistrationJSON(started), status: started.codeAlreadySent ? .ok : .created)
        }
        group.post("registrations/{id}/verify") { request, context in
            let id = try context.parameters.require("id")
            let body = try await request.decodeJSON(VerifyBody.self, limit: context.bodyLimit)
            let completed = try await registrations.verify(registrationId: id, code: body.code,
                                                           deviceName: body.deviceName, origin: context.origin)
            return JSONAnswer(VerifiedJSON(accountId: completed.accountId, status: "active",
                                                 session: SessionTokenJSON(completed.session)))
        }
        for verb in ["send-code", "resend"] {
            group.post(RouterPath("registrations/{id}/\(verb)")) { _, context in
                let id = try context.parameters.require("id")
                let started = try await registrations.resend(registrationId: id, origin: context.origin)
                return JSONAnswer(RegistrationJSON(started), status: .accepted)
            }
        }
    }
}

/// A registration's state; `flowId` is its id, as every flow's is named, and `registrationId` the
/// same id under the name clients have used since the first version.
struct RegistrationJSON: Encodable {
    let flowId: String
    let registrationId: String
    let status: String
    let channel: String
    let resendAvailableAt: Date
    let codeAlreadySent: Bool

    init(_ started: RegistrationStarted) {
        flowId = started.registrationId
        registrationId = started.registrationId
        status = started.status.rawValue
        channel = started.channel.rawValue
        resendAvailableAt = started.resendAvailableAt
        codeAlreadySent = started.codeAlreadySent
    }
}

struct VerifiedJSON: Encodable {
    let accountId: String
    let status: String
    let session: SessionTokenJSON
}

struct SessionTokenJSON: Encodable {
    let id: String
    let token: String
    let expiresAt: Date

    init(_ issued: IssuedSession) {
        id = issued.session.id
        token = issued.token
        expiresAt = issued.session.expiresAt
    }
}
