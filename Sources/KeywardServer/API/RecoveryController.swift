import Foundation
import Hummingbird
import KeywardCore

/// `/api/v1/recovery`: forgotten password by email or phone.
struct RecoveryController {
    let recoveries: RecoveryService

    struct StartBody: Decodable { let identifier: String }
    struct VerifyBody: Decodable { let code: String }
    struct PasswordBody: Decodable { let newPassword: String }

    func addRoutes(to group: RouterGroup<KeywardRequestContext>) {
        group.post("recovery") { request, context in
            let body = try await request.decodeJSON(StartBody.self, limit: context.bodyLimit)
            let started = try await recoveries.start(identifier: body.identifier, origin: context.origin)
            return JSONAnswer(RecoveryJSON(started), status: .accepted)
        }
        // `send-code`, the verb every flow uses; `resend` is its older name.
        for verb in ["send-code", "resend"] {
            group.post(RouterPath("recovery/{id}/\(verb)")) { _, context in
                let started = try await recoveries.resend(flowId: try context.parameters.require("id"), origin: context.origin)
                return JSONAnswer(RecoveryJSON(started), status: .accepted)
            }
        }
        group.post("recovery/{id}/verify") { request, context in
            let id = try context.parameters.require("id")
            let body = try await request.decodeJSON(VerifyBody.self, limit: context.bodyLimit)
            let state = try await recoveries.verify(flowId: id, code: body.code, origin: context.origin)
            guard state == .secondFactorRequired else { return JSONAnswer(RecoveryStateJSON(flowId: id, status: state.rawValue)) }
            let pending = try await recoveries.secondFactor(flowId: id)
            return JSONAnswer(RecoveryStateJSON(flowId: id, status: state.rawValue, options: pending.options,
                                                      prompts: pending.prompts))
        }
        group.post("recovery/{id}/second-factor/send-code") { request, context in
            let body = try await request.decodeJSON(SendCodeBody.self, limit: context.bodyLimit)
            let next = try await recoveries.sendSecondFactorCode(flowId: try context.parameters.require("id"),
                                                                 channel: body.channel, origin: context.origin)
            return JSONAnswer(["resendAvailableAt": ISO8601.string(next)], status: .accepted)
        }
        group.post("recovery/{id}/second-factor") { request, context in
            let id = try context.parameters.require("id")
            let body = try await request.decodeJSON(SecondFactorBody.self, limit: context.bodyLimit)
            let state = try await recoveries.verifySecondFactor(flowId: id, method: body.method, code: try body.entered(),
                                                                origin: context.origin)
            return JSONAnswer(RecoveryStateJSON(flowId: id, status: state.rawValue))
        }
        group.post("recovery/{id}/password") { request, context in
            let id = try context.parameters.require("id")
            let body = try await request.decodeJSON(PasswordBody.self, limit: context.bodyLimit)
            let done = try await recoveries.setPassword(flowId: id, newPassword: body.newPassword, origin: context.origin)
            return JSONAnswer(RecoveryCompletedJSON(status: "completed", sessionsRevoked: done.sessionsRevoked,
                                                          holds: done.holds.map(HoldJSON.init)))
        }
    }
}

struct RecoveryJSON: Encodable {
    let flowId: String
    let channel: String
    let resendAvailableAt: Date

    init(_ started: RecoveryStarted) {
        flowId = started.flowId
        channel = started.channel.rawValue
        resendAvailableAt = started.resendAvailableAt
    }
}

/// `{flowId, status}`, and with `second_factor_required` the methods and where their codes go.
struct RecoveryStateJSON: Encodable {
    let flowId: String
    let status: String
    let methods: [String]?
    let destinations: [String: String]?
    let passkey: PasskeyRequestOptionsJSON?

    init(flowId: String, status: String, options: [SecondFactorOption]? = nil, prompts: [CredentialPrompt] = []) {
        self.flowId = flowId
        self.status = status
        methods = options?.map(\.method.rawValue)
        destinations = options.map(destinationsByMethod)
        passkey = PasskeyRequestOptionsJSON(prompts: prompts)
    }
}

struct RecoveryCompletedJSON: Encodable {
    let status: String
    let sessionsRevoked: Int
    let holds: [HoldJSON]
}

/// A hold; `until` is `null` (not absent) for one that lasts while a restriction is in force.
struct HoldJSON: Encodable {
    let kind: String
    let reason: String
    let placedAt: Date
    let until: Date?

    enum CodingKeys: String, CodingKey { case kind, reason, placedAt, until }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(reason, forKey: .reason)
        try container.encode(placedAt, forKey: .placedAt)
        try container.encode(until, forKey: .until)
    }

    init(_ hold: SecurityHold) {
        kind = hold.kind
        reason = hold.reason
        placedAt = hold.placedAt
        until = hold.until
    }
}
