import Foundation
import KeywardCore

/// A case as the person sees it.
struct CaseJSON: Encodable {
    struct RequirementJSON: Encodable {
        let type: String
        let satisfied: Bool
    }

    struct DocumentJSON: Encodable {
        let documentId: String
        let type: String
        let contentType: String
        let bytes: Int
        let uploadedAt: Date
    }

    struct MessageJSON: Encodable {
        let from: String
        let body: String
        let at: Date
    }

    let caseId: String
    let topic: String
    let status: String
    let createdAt: Date
    let respondBy: Date?
    let requirements: [RequirementJSON]
    let documents: [DocumentJSON]
    let messages: [MessageJSON]
    let decision: String?

    init(_ view: CaseView) {
        let supportCase = view.supportCase
        caseId = supportCase.id
        topic = supportCase.topic.rawValue
        status = supportCase.status.rawValue
        createdAt = supportCase.createdAt
        respondBy = supportCase.respondBy
        requirements = view.requirements.map { RequirementJSON(type: $0.kind.rawValue, satisfied: $0.satisfied) }
        documents = view.documents.map(DocumentJSON.init)
        messages = view.messages.map { MessageJSON(from: $0.author.rawValue, body: $0.body, at: $0.at) }
        decision = supportCase.decision
    }

    /// `null` fields are written out, so that every answer has the same keys.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(caseId, forKey: .caseId)
        try container.encode(topic, forKey: .topic)
        try container.encode(status, forKey: .status)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(respondBy, forKey: .respondBy)
        try container.encode(requirements, forKey: .requirements)
        try container.encode(documents, forKey: .documents)
        try container.encode(messages, forKey: .messages)
        try container.encode(decision, forKey: .decision)
    }

    enum CodingKeys: String, CodingKey {
        case caseId, topic, status, createdAt, respondBy, requirements, documents, messages, decision
    }
}

extension CaseJSON.DocumentJSON {
    init(_ document: CaseDocument) {
        self.init(documentId: document.id, type: document.kind.rawValue, contentType: document.contentType.rawValue,
                  bytes: document.bytes, uploadedAt: document.uploadedAt)
    }
}

/// A case just opened: the case and, once only, the token that opens it.
struct OpenedCaseJSON: Encodable {
    let opened: CaseJSON
    let caseToken: String

    init(_ opened: OpenedCase) {
        self.opened = CaseJSON(opened.view)
        caseToken = opened.token
    }

    func encode(to encoder: any Encoder) throws {
        try opened.encode(to: encoder)
        var container = encoder.container(keyedBy: TokenKey.self)
        try container.encode(caseToken, forKey: .caseToken)
    }

    enum TokenKey: String, CodingKey { case caseToken }
}

/// A case opening waiting for its code.
struct CaseOpeningJSON: Encodable {
    let caseId: String
    let channel: String
    let resendAvailableAt: Date
}

/// A code sent to a channel that still works, to prove it when a case opens from a sign-in.
struct ProofCodeSentJSON: Encodable {
    let channel: String
    let destination: String
    let resendAvailableAt: Date
}

/// The account's cases, for a signed-in person.
struct CaseListJSON: Encodable {
    struct Entry: Encodable {
        let caseId: String
        let topic: String
        let status: String
        let createdAt: Date
    }

    let cases: [Entry]
}
