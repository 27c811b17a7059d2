import Foundation
import KeywardCore

/// A member of staff.
struct StaffMemberJSON: Encodable {
    let staffId: String
    let email: String
    let role: String
    let status: String

    init(_ member: StaffMember) {
        staffId = member.id
        email = member.email
        role = member.role.rawValue
        status = member.status.rawValue
    }
}

/// A staff session just begun: its bearer token, shown once.
struct StaffSessionJSON: Encodable {
    let token: String
    let staffId: String
    let role: String
    let expiresAt: Date
}

/// One case in the queue.
struct QueueEntryJSON: Encodable {
    let caseId: String
    let topic: String
    let status: String
    let createdAt: Date
    let respondBy: Date?
    let overdue: Bool

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(caseId, forKey: .caseId)
        try container.encode(topic, forKey: .topic)
        try container.encode(status, forKey: .status)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(respondBy, forKey: .respondBy)
        try container.encode(overdue, forKey: .overdue)
    }

    enum CodingKeys: String, CodingKey { case caseId, topic, status, createdAt, respondBy, overdue }
}

/// The queue.
struct QueueJSON: Encodable {
    let cases: [QueueEntryJSON]

    init(_ cases: [SupportCase], desk: SupportDeskService) {
        self.cases = cases.map {
            QueueEntryJSON(caseId: $0.id, topic: $0.topic.rawValue, status: $0.status.rawValue, createdAt: $0.createdAt,
                           respondBy: $0.respondBy, overdue: desk.isOverdue($0))
        }
    }
}

/// An action on a case.
struct CaseActionJSON: Encodable {
    let actionId: String
    let caseId: String
    let action: String
    let reason: String
    let value: String?
    let status: String
    let proposedBy: String
    let approvedBy: String?
    let createdAt: Date
    let appliedAt: Date?

    init(_ action: CaseAction) {
        actionId = action.id
        caseId = action.caseId
        self.action = action.kind.rawValue
        reason = action.reason
        value = action.value
        status = action.status.rawValue
        proposedBy = action.proposedBy
        approvedBy = action.approvedBy
        createdAt = action.createdAt
        appliedAt = action.appliedAt
    }
}

/// Actions, for the list waiting for approval.
struct CaseActionListJSON: Encodable {
    let actions: [CaseActionJSON]
}

/// A case with everything staff need to decide it.
struct StaffCaseJSON: Encodable {
    let `case`: CaseJSON
    let accountId: String
    let description: String
    let proofs: [String]
    let unavailable: [String]
    let overdue: Bool
    let diagnosis: SignInDiagnosisJSON?
    let events: [ActivityEventJSON]
    let actions: [CaseActionJSON]
    let otherCases: [QueueEntryJSON]

    init(_ detail: StaffCaseDetail, desk: SupportDeskService) {
        let supportCase = detail.view.supportCase
        self.case = CaseJSON(detail.view)
        accountId = supportCase.accountId
        description = supportCase.description
        proofs = supportCase.proofs.map(\.rawValue)
        unavailable = supportCase.unavailable
        overdue = desk.isOverdue(supportCase)
        diagnosis = detail.diagnosis.map(SignInDiagnosisJSON.init)
        events = detail.events.map(ActivityEventJSON.init)
        actions = detail.actions.map(CaseActionJSON.init)
        otherCases = QueueJSON(detail.otherCases, desk: desk).cases
    }
}
