import Foundation
import Hummingbird
import KeywardCore

/// `/api/v1/account/phone…` and `/api/v1/account/email…`: binding or changing the phone number and
/// the email address.
struct ContactChangeController {
    let contacts: ContactChangeService

    struct StartBody: Decodable {
        let phone: String?
        let email: String?
        let oldAvailable: Bool?
    }

    struct VerifyBody: Decodable {
        let newCode: String
        let oldCode: String?
        let otherCode: String?
        let totpCode: String?
    }

    func addRoutes(to group: RouterGroup<KeywardRequestContext>) {
        let signedIn = group.group("account").group(context: AuthenticatedContext.self)
        for kind in [Identifier.Kind.phone, .email] {
            let path = kind.rawValue
            signedIn.post(RouterPath(path)) { request, context in
                let body = try await request.decodeJSON(StartBody.self, limit: context.bodyLimit)
                guard let value = kind == .phone ? body.phone : body.email else {
                    throw KeywardError.requestInvalidField(path)
                }
                let started = try await contacts.start(session: context.session, kind: kind, value: value,
                                                       oldAvailable: body.oldAvailable ?? true, origin: context.origin)
                return JSONAnswer(ContactChangeJSON(started), status: .accepted)
            }
            // `send-code`, the verb every flow uses; `resend` is its older name.
            for verb in ["send-code", "resend"] {
                signedIn.post(RouterPath("\(path)/{flowId}/\(verb)")) { _, context in
                    let next = try await contacts.resend(session: context.session, kind: kind,
                                                         flowId: try context.parameters.require("flowId"), origin: context.origin)
                    return JSONAnswer(["resendAvailableAt": ISO8601.string(next)], status: .accepted)
                }
            }
            signedIn.post(RouterPath("\(path)/{flowId}/verify")) { request, context in
                let body = try await request.decodeJSON(VerifyBody.self, limit: context.bodyLimit)
                var entered: [ContactProof: String] = [:]
                entered[.newCode] = body.newCode
                entered[.oldCode] = body.oldCode
                entered[.otherCode] = body.otherCode
                entered[.totpCode] = body.totpCode
                let bound = try await contacts.verify(session: context.session, kind: kind,
                                                      flowId: try context.parameters.require("flowId"),
                                                      entered: entered, origin: context.origin)
                return JSONAnswer(["status": "changed", path: bound.value])
            }
        }
    }
}

struct ContactChangeJSON: Encodable {
    let flowId: String
    let verifyOld: Bool
    let proofs: [String]
    let expiresAt: Date
    let resendAvailableAt: Date

    init(_ started: ContactChangeStarted) {
        flowId = started.flowId
        verifyOld = started.verifyOld
        proofs = started.proofs.map(\.rawValue)
        expiresAt = started.expiresAt
        resendAvailableAt = started.resendAvailableAt
    }
}
