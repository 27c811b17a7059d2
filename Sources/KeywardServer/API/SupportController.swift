import Foundation
import Hummingbird
import KeywardCore
import KeywardCrypto

/// `/api/v1/admin/sign-in-diagnosis` and `/api/v1/admin/cases…`: why someone cannot sign in, and
/// the support cases, for the platform's own support tools, behind an operator API key.
struct SupportController {
    let diagnostics: SignInDiagnostics
    let desk: SupportDeskService
    let operatorKeys: [String]

    struct DiagnosisBody: Decodable {
        let identifier: String
    }

    func addRoutes(to group: RouterGroup<KeywardRequestContext>) {
        // A POST, so that the email address or phone number looked up stays out of URLs and logs.
        group.post("admin/sign-in-diagnosis") { request, context in
            try authorizeOperator(request, keys: operatorKeys)
            let body = try await request.decodeJSON(DiagnosisBody.self, limit: context.bodyLimit)
            let diagnosis = try await diagnostics.diagnose(identifier: body.identifier, origin: context.origin)
            return JSONAnswer(SignInDiagnosisJSON(diagnosis))
        }
        // Cases, for a platform whose own helpdesk reads them; documents stay with the staff console.
        group.get("admin/cases") { request, _ in
            try authorizeOperator(request, keys: operatorKeys)
            let status = request.uri.queryParameters.get("status")
            return JSONAnswer(QueueJSON(status == nil ? try await desk.all() : try await desk.queue(status: status), desk: desk))
        }
        group.get("admin/cases/{caseId}") { request, context in
            try authorizeOperator(request, keys: operatorKeys)
            let detail = try await desk.detail(caseId: try context.parameters.require("caseId"), origin: context.origin)
            return JSONAnswer(StaffCaseJSON(detail, desk: desk))
        }
    }
}

/// Accepts the request only with `Authorization: Bearer <operator key>`, compared in constant time.
func authorizeOperator(_ request: Request, keys: [String]) throws {
    guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
        throw KeywardError.operatorUnauthorized
    }
    let presented = Array(header.dropFirst("Bearer ".count).utf8)
    var matched = false
    for key in keys where ConstantTime.equals(presented, Array(key.utf8)) { matched = true }
    guard matched else { throw KeywardError.operatorUnauthorized }
}

struct SignInDiagnosisJSON: Encodable {
    let identifier: String
    let account: String
    let accountId: String?
    let identifiers: [IdentifierJSON]
    let authenticatorBound: Bool
    let counters: [CounterJSON]
    let holds: [HoldJSON]
    let messages: [MessageJSON]
    let events: [ActivityEventJSON]
    let openFlows: [FlowJSON]
    let riskEvaluations: [RiskEvaluationJSON]
    let findings: [FindingJSON]

    /// A flow under way: its kind and state, never its context.
    struct FlowJSON: Encodable {
        let flowId: String
        let kind: String
        let state: String
        let createdAt: Date
        let expiresAt: Date
    }

    struct CounterJSON: Encodable {
        let scope: String
        let failedCount: Int
        let firstFailedAt: Date?
        let lockedUntil: Date?
    }

    struct MessageJSON: Encodable {
        let channel: String
        let destination: String
        let subject: String
        let state: String
        let attempts: Int
        let queuedAt: Date
        let sentAt: Date?
        let nextAttemptAt: Date?
        let lastError: String?
    }

    /// A decision of risk control with what it was made from; absent members were unknown.
    struct RiskEvaluationJSON: Encodable {
        let stage: String
        let decision: String
        let reason: String?
        let enforced: Bool
        let signals: RiskSignals
        let network: String?
        let country: String?
        let at: Date

        init(_ evaluation: RiskEvaluation) {
            stage = evaluation.stage.rawValue
            decision = evaluation.decision.rawValue
            reason = evaluation.reason?.rawValue
            enforced = evaluation.enforced
            signals = evaluation.signals
            network = evaluation.network
            country = evaluation.country
            at = evaluation.at
        }
    }

    struct FindingJSON: Encodable {
        let code: String
        let detail: String
        let at: Date?
    }

    init(_ diagnosis: SignInDiagnosis) {
        identifier = diagnosis.identifier.value
        switch diagnosis.account?.status {
        case .active?: account = "active"
        case .pending?: account = "registration_incomplete"
        case nil: account = "none"
        }
        accountId = diagnosis.account?.id
        identifiers = diagnosis.identifiers.map {
            IdentifierJSON(kind: $0.identifier.kind.rawValue, value: $0.identifier.value, verified: $0.verifiedAt != nil)
        }
        authenticatorBound = diagnosis.authenticatorBound
        // Device counters are named by kind only: the device's keyed hash means nothing to support.
        counters = diagnosis.counters.map {
            CounterJSON(scope: $0.scope.kind.rawValue, failedCount: $0.failedCount,
                        firstFailedAt: $0.firstFailedAt, lockedUntil: $0.lockedUntil)
        }
        holds = diagnosis.holds.map(HoldJSON.init)
        messages = diagnosis.messages.map {
            MessageJSON(channel: $0.channel.rawValue, destination: $0.destination, subject: $0.subject,
                        state: $0.delivery.state.rawValue, attempts: $0.delivery.attempts, queuedAt: $0.delivery.queuedAt,
                        sentAt: $0.delivery.sentAt, nextAttemptAt: $0.delivery.nextAttemptAt, lastError: $0.delivery.lastError)
        }
        events = diagnosis.events.map(ActivityEventJSON.init)
        openFlows = diagnosis.openFlows.map {
            FlowJSON(flowId: $0.id, kind: $0.kind.rawValue, state: $0.state, createdAt: $0.createdAt, expiresAt: $0.expiresAt)
        }
        riskEvaluations = diagnosis.riskEvaluations.map(RiskEvaluationJSON.init)
        findings = diagnosis.findings.map { FindingJSON(code: $0.code, detail: $0.detail, at: $0.at) }
    }
}
