import Foundation
import KeywardCore
import KeywardCrypto
import SQLKit

/// Support cases, threads and documents. Lists of names are kept comma-separated; a document's
/// sealed key and content as binary columns, erased (set to NULL) after the retention period.
struct SQLSupportCaseStore: SupportCaseStore {
    let sql: any SQLDatabase

    private static let columns = """
        id, account_id, topic, status, token_hash, description, proofs, unavailable, created_at, updated_at,
        respond_by, closed_at, decision
        """
    private static let documentColumns = "id, case_id, kind, content_type, bytes, uploaded_at, erased_at"

    func insert(_ supportCase: SupportCase) async throws {
        try await sql.raw("""
            INSERT INTO support_cases (\(unsafeRaw: Self.columns))
            VALUES (\(bind: supportCase.id), \(bind: supportCase.accountId), \(bind: supportCase.topic.rawValue),
                    \(bind: supportCase.status.rawValue), \(bind: supportCase.tokenHash), \(bind: supportCase.description),
                    \(bind: supportCase.proofs.map(\.rawValue).joined(separator: ",")),
                    \(bind: supportCase.unavailable.joined(separator: ",")), \(bind: supportCase.createdAt.unixMilliseconds),
                    \(bind: supportCase.updatedAt.unixMilliseconds), \(bind: supportCase.respondBy?.unixMilliseconds),
                    \(bind: supportCase.closedAt?.unixMilliseconds), \(bind: supportCase.decision))
            """).run()
    }

    func find(id: String) async throws -> SupportCase? {
        try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM support_cases WHERE id = \(bind: id)")
            .first().map(Self.supportCase)
    }

    func transition(id: String, from expected: [SupportCase.Status], to status: SupportCase.Status, at now: Date,
                    respondBy: Date?, closedAt: Date?, decision: String?) async throws -> Bool {
        let states = SQLList(expected.map { SQLBind($0.rawValue) })
        return !(try await sql.raw("""
            UPDATE support_cases SET status = \(bind: status.rawValue), updated_at = \(bind: now.unixMilliseconds),
                respond_by = COALESCE(\(bind: respondBy?.unixMilliseconds), respond_by),
                closed_at = COALESCE(\(bind: closedAt?.unixMilliseconds), closed_at),
                decision = COALESCE(\(bind: decision), decision)
            WHERE id = \(bind: id) AND status IN (\(states))
            RETURNING id
            """).all()).isEmpty
    }

    func list(accountId: String) async throws -> [SupportCase] {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM support_cases WHERE account_id = \(bind: accountId)
            ORDER BY created_at DESC, id
            """).all().map(Self.supportCase)
    }

    func count(accountId: String, since: Date) async throws -> Int {
        try await sql.raw("""
            SELECT COUNT(*) AS count FROM support_cases
            WHERE account_id = \(bind: accountId) AND created_at >= \(bind: since.unixMilliseconds)
            """).first().map { try $0.int("count") } ?? 0
    }

    func addMessage(_ message: CaseMessage) async throws {
        try await sql.raw("""
            INSERT INTO support_case_messages (id, case_id, author, staff_id, body, created_at)
            VALUES (\(bind: message.id), \(bind: message.caseId), \(bind: message.author.rawValue), \(bind: message.staffId),
                    \(bind: message.body), \(bind: message.at.unixMilliseconds))
            """).run()
        try await touch(message.caseId, at: message.at)
    }

    func messages(caseId: String) async throws -> [CaseMessage] {
        try await sql.raw("""
            SELECT id, case_id, author, staff_id, body, created_at FROM support_case_messages
            WHERE case_id = \(bind: caseId) ORDER BY created_at, id
            """).all().map { row in
            guard let author = CaseMessage.Author(rawValue: try row.string("author")) else { throw KeywardError.internalError }
            return CaseMessage(id: try row.string("id"), caseId: try row.string("case_id"), author: author,
                               staffId: try row.optionalString("staff_id"), body: try row.string("body"),
                               at: try row.date("created_at"))
        }
    }

    func addDocument(_ document: CaseDocument, sealed: EnvelopeSealed, limit: Int) async throws -> Bool {
        // Touching the case first takes its row lock on PostgreSQL (SQLite writes one at a time), so
        // two uploads cannot both see room for one more.
        try await touch(document.caseId, at: document.uploadedAt)
        return !(try await sql.raw("""
            INSERT INTO support_case_documents (id, case_id, kind, content_type, bytes, uploaded_at, wrapped_key, content)
            SELECT \(bind: document.id), \(bind: document.caseId), \(bind: document.kind.rawValue),
                   \(bind: document.contentType.rawValue), \(bind: Int64(document.bytes)),
                   \(bind: document.uploadedAt.unixMilliseconds), \(bind: Data(sealed.wrappedKey)), \(bind: Data(sealed.content))
            WHERE (SELECT COUNT(*) FROM support_case_documents WHERE case_id = \(bind: document.caseId)) < \(bind: Int64(limit))
            RETURNING id
            """).all()).isEmpty
    }

    func documents(caseId: String) async throws -> [CaseDocument] {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.documentColumns) FROM support_case_documents
            WHERE case_id = \(bind: caseId) ORDER BY uploaded_at, id
            """).all().map(Self.document)
    }

    func documentContent(caseId: String, documentId: String) async throws -> (CaseDocument, EnvelopeSealed)? {
        guard let row = try await sql.raw("""
            SELECT \(unsafeRaw: Self.documentColumns), wrapped_key, content FROM support_case_documents
            WHERE case_id = \(bind: caseId) AND id = \(bind: documentId) AND erased_at IS NULL
            """).first(),
            let key = try row.decode(column: "wrapped_key", as: Data?.self),
            let content = try row.decode(column: "content", as: Data?.self)
        else { return nil }
        return (try Self.document(row), EnvelopeSealed(wrappedKey: Array(key), content: Array(content)))
    }

    func eraseDocuments(closedBefore cutoff: Date, at now: Date) async throws -> Int {
        try await sql.raw("""
            UPDATE support_case_documents SET wrapped_key = NULL, content = NULL, erased_at = \(bind: now.unixMilliseconds)
            WHERE erased_at IS NULL AND case_id IN (
                SELECT id FROM support_cases WHERE closed_at IS NOT NULL AND closed_at < \(bind: cutoff.unixMilliseconds))
            RETURNING id
            """).all().count
    }

    func queue(statuses: [SupportCase.Status], limit: Int) async throws -> [SupportCase] {
        let states = SQLList(statuses.map { SQLBind($0.rawValue) })
        return try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM support_cases WHERE status IN (\(states))
            ORDER BY CASE WHEN respond_by IS NULL THEN 1 ELSE 0 END, respond_by, created_at, id
            LIMIT \(bind: Int64(limit))
            """).all().map(Self.supportCase)
    }

    func all(limit: Int) async throws -> [SupportCase] {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM support_cases ORDER BY created_at DESC, id LIMIT \(bind: Int64(limit))
            """).all().map(Self.supportCase)
    }

    private static let actionColumns = "id, case_id, kind, reason, value, proposed_by, status, approved_by, created_at, applied_at"

    func insertAction(_ action: CaseAction) async throws {
        try await sql.raw("""
            INSERT INTO support_case_actions (\(unsafeRaw: Self.actionColumns))
            VALUES (\(bind: action.id), \(bind: action.caseId), \(bind: action.kind.rawValue), \(bind: action.reason),
                    \(bind: action.value), \(bind: action.proposedBy), \(bind: action.status.rawValue), \(bind: action.approvedBy),
                    \(bind: action.createdAt.unixMilliseconds), \(bind: action.appliedAt?.unixMilliseconds))
            """).run()
        try await touch(action.caseId, at: action.createdAt)
    }

    func action(id: String) async throws -> CaseAction? {
        try await sql.raw("SELECT \(unsafeRaw: Self.actionColumns) FROM support_case_actions WHERE id = \(bind: id)")
            .first().map(Self.action)
    }

    func actions(caseId: String) async throws -> [CaseAction] {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.actionColumns) FROM support_case_actions WHERE case_id = \(bind: caseId)
            ORDER BY created_at, id
            """).all().map(Self.action)
    }

    func awaitingApproval() async throws -> [CaseAction] {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.actionColumns) FROM support_case_actions
            WHERE status = \(bind: CaseAction.Status.awaitingApproval.rawValue) ORDER BY created_at, id
            """).all().map(Self.action)
    }

    func markApplied(actionId: String, approvedBy: String?, at: Date) async throws -> Bool {
        !(try await sql.raw("""
            UPDATE support_case_actions SET status = \(bind: CaseAction.Status.applied.rawValue),
                approved_by = \(bind: approvedBy), applied_at = \(bind: at.unixMilliseconds)
            WHERE id = \(bind: actionId) AND status = \(bind: CaseAction.Status.awaitingApproval.rawValue)
            RETURNING id
            """).all()).isEmpty
    }

    private static func action(_ row: any SQLRow) throws -> CaseAction {
        guard let kind = CaseAction.Kind(rawValue: try row.string("kind")),
              let status = CaseAction.Status(rawValue: try row.string("status"))
        else { throw KeywardError.internalError }
        return CaseAction(id: try row.string("id"), caseId: try row.string("case_id"), kind: kind,
                          reason: try row.string("reason"), value: try row.optionalString("value"),
                          proposedBy: try row.string("proposed_by"), status: status,
                          approvedBy: try row.optionalString("approved_by"), createdAt: try row.date("created_at"),
                          appliedAt: try row.optionalDate("applied_at"))
    }

    private func touch(_ caseId: String, at now: Date) async throws {
        try await sql.raw("""
            UPDATE support_cases SET updated_at = \(bind: now.unixMilliseconds) WHERE id = \(bind: caseId)
            """).run()
    }

    private static func supportCase(_ row: any SQLRow) throws -> SupportCase {
        guard let topic = SupportCase.Topic(rawValue: try row.string("topic")),
              let status = SupportCase.Status(rawValue: try row.string("status"))
        else { throw KeywardError.internalError }
        let proofs = try row.string("proofs"), unavailable = try row.string("unavailable")
        return SupportCase(
            id: try row.string("id"), accountId: try row.string("account_id"), topic: topic, status: status,
            tokenHash: try row.string("token_hash"), description: try row.string("description"),
            proofs: proofs.split(separator: ",").compactMap { SupportCase.Proof(rawValue: String($0)) },
            unavailable: unavailable.split(separator: ",").map(String.init),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"),
            respondBy: try row.optionalDate("respond_by"), closedAt: try row.optionalDate("closed_at"),
            decision: try row.optionalString("decision"))
    }

    private static func document(_ row: any SQLRow) throws -> CaseDocument {
        guard let kind = CaseDocument.Kind(rawValue: try row.string("kind")),
              let type = DocumentContentType(rawValue: try row.string("content_type"))
        else { throw KeywardError.internalError }
        return CaseDocument(id: try row.string("id"), caseId: try row.string("case_id"), kind: kind, contentType: type,
                            bytes: try row.int("bytes"), uploadedAt: try row.date("uploaded_at"),
                            erasedAt: try row.optionalDate("erased_at"))
    }
}
