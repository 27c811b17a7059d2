import Foundation
import Hummingbird
import KeywardCore

/// `/api/v1/login` (and its flow), `/api/v1/logout`, `/api/v1/session`, `/api/v1/sessions`.
struct SignInController {
    let signIns: SignInService
    let passkeySignIns: PasskeySignInService
    let sessions: SessionService

    struct PasskeySignInBody: Decodable {
        let flowId: String
        let credential: PasskeyCredentialJSON
        let deviceName: String?
        let deviceId: String?
    }

    struct SignInBody: Decodable {
        let identifier: String
        let password: String
        let deviceName: String?
        let deviceId: String?
    }

    func addRoutes(to group: RouterGroup<KeywardRequestContext>) {
        group.post("login") { request, context in
            let body = try await request.decodeJSON(SignInBody.self, limit: context.bodyLimit)
            let challenge = try await signIns.signIn(identifier: body.identifier, password: body.password,
                                                   device: SignInDevice(id: body.deviceId, name: body.deviceName),
                                                   origin: context.origin)
            return JSONAnswer(SecondFactorChallengeJSON(challenge))
        }
        group.post("login/passkey/options") { _, context in
            JSONAnswer(PasskeySignInOptionsJSON(try await passkeySignIns.start(origin: context.origin)))
        }
        group.post("login/passkey") { request, context in
            let body = try await request.decodeJSON(PasskeySignInBody.self, limit: context.bodyLimit)
            let result = try await passkeySignIns.finish(flowId: body.flowId, credential: body.credential,
                                                         device: SignInDevice(id: body.deviceId, name: body.deviceName),
                                                         origin: context.origin)
            return JSONAnswer(SignInJSON(status: "authenticated", accountId: result.accountId,
                                              session: SessionTokenJSON(result.session)))
        }
        group.get("login/{flowId}") { _, context in
            let flowId = try context.parameters.require("flowId")
            return JSONAnswer(SignInFlowJSON(flowId: flowId, pending: try await signIns.pending(flowId: flowId)))
        }
        group.post("login/{flowId}/send-code") { request, context in
            let body = try await request.decodeJSON(SendCodeBody.self, limit: context.bodyLimit)
            let next = try await signIns.sendCode(flowId: try context.parameters.require("flowId"), channel: body.channel,
                                                 origin: context.origin)
            return JSONAnswer(["resendAvailableAt": ISO8601.string(next)], status: .accepted)
        }
        group.post("login/{flowId}/verify") { request, context in
            let body = try await request.decodeJSON(SecondFactorBody.self, limit: context.bodyLimit)
            let outcome = try await signIns.verify(flowId: try context.parameters.require("flowId"), method: body.method,
                                                  code: try body.entered(), origin: context.origin)
            return JSONAnswer(SignInOutcomeJSON(outcome))
        }
        group.post("login/{flowId}/approve-device") { request, context in
            let body = try await request.decodeJSON(ApprovalBody.self, limit: context.bodyLimit)
            let result = try await signIns.approveDevice(flowId: try context.parameters.require("flowId"), code: body.code,
                                                        origin: context.origin)
            return JSONAnswer(SignInJSON(status: "authenticated", accountId: result.accountId,
                                         session: SessionTokenJSON(result.session)))
        }
        let signedIn = group.group(context: AuthenticatedContext.self)
        signedIn.get("session") { _, context in
            JSONAnswer(CurrentSessionJSON(
                accountId: context.session.accountId,
                identifiers: context.identifiers.map { IdentifierJSON(kind: $0.identifier.kind.rawValue, value: $0.identifier.value,
                                                              verified: $0.verifiedAt != nil) },
                sessionId: context.session.id, signedInAt: context.session.createdAt,
                expiresAt: context.session.endsAt(idleTimeout: sessions.settings.idleTimeout)))
        }
        signedIn.post("logout") { _, context in
            try await sessions.end(context.session, origin: context.origin)
            return HTTPResponse.Status.noContent
        }
        signedIn.get("sessions") { _, context in
            let list = try await sessions.list(accountId: context.session.accountId)
            return JSONAnswer(SessionListJSON(sessions: list.map { SessionJSON($0, current: context.session.id) }))
        }
        signedIn.delete("sessions/{id}") { _, context in
            let id = try context.parameters.require("id")
            try await sessions.revoke(id: id, of: context.session.accountId, origin: context.origin)
            return HTTPResponse.Status.noContent
        }
        signedIn.delete("sessions") { request, context in
            // The router ignores a trailing slash: an empty session id must never mean "all".
            if request.uri.path.hasSuffix("/") { throw KeywardError.sessionNotFound }
            let count = try await sessions.revokeOthers(than: context.session, origin: context.origin)
            return JSONAnswer(["revoked": count])
        }
    }
}

struct SendCodeBody: Decodable {
    let channel: String
}

/// `{method, code}`, or `{method: "passkey", credential}` with the browser's assertion.
struct SecondFactorBody: Decodable {
    let method: String
    let code: String?
    let credential: PasskeyCredentialJSON?

    /// What the person entered for the method: the code, or the assertion's JSON text.
    func entered() throws -> String {
        if method == SecondFactorMethod.passkey.rawValue {
            guard let credential else { throw KeywardError.requestInvalidField("credential") }
            return String(decoding: try JSONEncoder().encode(credential), as: UTF8.self)
        }
        guard let code else { throw KeywardError.requestInvalidField("code") }
        return code
    }
}

/// `{status: "second_factor_required", flowId, methods, destinations, expiresAt}`.
struct SecondFactorChallengeJSON: Encodable {
    let status = "second_factor_required"
    let flowId: String
    let methods: [String]
    let destinations: [String: String]
    let expiresAt: Date
    let passkey: PasskeyRequestOptionsJSON?

    init(_ challenge: SecondFactorChallenge) {
        flowId = challenge.flowId
        methods = challenge.options.map(\.method.rawValue)
        destinations = destinationsByMethod(challenge.options)
        expiresAt = challenge.expiresAt
        passkey = PasskeyRequestOptionsJSON(prompts: challenge.prompts)
    }
}

/// A waiting sign-in: its methods and, for code methods, whether a code was sent, where its
/// delivery stands and when another may be asked for.
struct SignInFlowJSON: Encodable {
    let status = "second_factor_required"
    let flowId: String
    let methods: [String]
    let destinations: [String: String]
    let codes: [String: CodeStatusJSON]
    let passkey: PasskeyRequestOptionsJSON?

    struct CodeStatusJSON: Encodable {
        let sent: Bool
        let resendAvailableAt: Date
        let delivery: DeliveryJSON?
    }

    struct DeliveryJSON: Encodable {
        let state: String
        let queuedAt: Date
        let sentAt: Date?
        let nextAttemptAt: Date?
    }

    init(flowId: String, pending: SecondFactorPending) {
        self.flowId = flowId
        methods = pending.options.map(\.method.rawValue)
        destinations = destinationsByMethod(pending.options)
        var codes: [String: CodeStatusJSON] = [:]
        for option in pending.options {
            guard let next = pending.nextSendAt[option.method] else { continue }
            let delivery = pending.deliveries[option.method].map {
                DeliveryJSON(state: $0.state.rawValue, queuedAt: $0.queuedAt, sentAt: $0.sentAt, nextAttemptAt: $0.nextAttemptAt)
            }
            codes[option.method.rawValue] = CodeStatusJSON(
                sent: pending.sent.contains(option.method),
                resendAvailableAt: next, delivery: delivery)
        }
        self.codes = codes
        passkey = PasskeyRequestOptionsJSON(prompts: pending.prompts)
    }
}

/// Where each code method's code goes, by method name, for the options that have a destination.
func destinationsByMethod(_ options: [SecondFactorOption]) -> [String: String] {
    Dictionary(uniqueKeysWithValues: options.compactMap { option in
        option.destination.map { (option.method.rawValue, $0) }
    })
}

struct SignInJSON: Encodable {
    let status: String
    let accountId: String
    let session: SessionTokenJSON
}

struct ApprovalBody: Decodable {
    let code: String
}

/// The answer to a right second factor: signed in, or the device waiting for its approval code.
struct SignInOutcomeJSON: Encodable {
    let outcome: SignInOutcome

    init(_ outcome: SignInOutcome) {
        self.outcome = outcome
    }

    enum Keys: String, CodingKey { case status, accountId, session, flowId, channel, destination }

    func encode(to encoder: any Encoder) throws {
        switch outcome {
        case .signedIn(let result):
            try SignInJSON(status: "authenticated", accountId: result.accountId,
                           session: SessionTokenJSON(result.session)).encode(to: encoder)
        case .deviceApprovalRequired(let request):
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode("device_approval_required", forKey: .status)
            try container.encode(request.flowId, forKey: .flowId)
            try container.encode(request.channel.rawValue, forKey: .channel)
            try container.encode(request.destination, forKey: .destination)
        }
    }
}

struct IdentifierJSON: Encodable {
    let kind: String
    let value: String
    let verified: Bool
}

struct CurrentSessionJSON: Encodable {
    let accountId: String
    let identifiers: [IdentifierJSON]
    let sessionId: String
    let signedInAt: Date
    let expiresAt: Date
}

struct SessionListJSON: Encodable {
    let sessions: [SessionJSON]
}

struct SessionJSON: Encodable {
    let id: String
    let device: String
    let deviceName: String?
    let userAgent: String?
    let ip: String?
    let createdAt: Date
    let lastSeenAt: Date
    let current: Bool

    init(_ session: Session, current currentId: String) {
        id = session.id
        deviceName = session.deviceName
        userAgent = session.userAgent
        device = session.deviceName ?? session.userAgent ?? "Unknown device"
        ip = session.ip
        createdAt = session.createdAt
        lastSeenAt = session.lastSeenAt
        current = session.id == currentId
    }
}
