public import Foundation
public import KeywardCrypto

/// Stored support cases, their threads and their documents. Status changes are conditional single
/// statements, so two requests (or two staff members) cannot both move one case.
public protocol SupportCaseStore: Sendable {
    /// Stores a new case.
    func insert(_ supportCase: SupportCase) async throws

    /// The case with `id`.
    func find(id: String) async throws -> SupportCase?

    /// Moves the case from one of `expected` to `status` at `now`, setting `respondBy`, `closedAt`
    /// and `decision` when given; `false` when it was in none of `expected`.
    func transition(id: String, from expected: [SupportCase.Status], to status: SupportCase.Status, at now: Date,
                    respondBy: Date?, closedAt: Date?, decision: String?) async throws -> Bool

    /// The account's cases, newest first.
    func list(accountId: String) async throws -> [SupportCase]

    /// How many cases the account opened at or after `since`.
    func count(accountId: String, since: Date) async throws -> Int

    /// Appends a message to a case's thread and marks the case changed.
    func addMessage(_ message: CaseMessage) async throws

    /// The case's thread, oldest first.
    func messages(caseId: String) async throws -> [CaseMessage]

    /// Stores a document with its sealed content, only while the case has fewer than `limit`;
    /// `false` when it has that many already.
    func addDocument(_ document: CaseDocument, sealed: EnvelopeSealed, limit: Int) async throws -> Bool

    /// The case's documents, oldest first (their particulars only).
    func documents(caseId: String) async throws -> [CaseDocument]

    /// One document's particulars and sealed content; `nil` when there is none, or its content
    /// was erased.
    func documentContent(caseId: String, documentId: String) async throws -> (CaseDocument, EnvelopeSealed)?

    /// Erases the content of every document of cases closed before `cutoff` (the particulars stay,
    /// marked erased); returns how many were erased.
    func eraseDocuments(closedBefore cutoff: Date, at now: Date) async throws -> Int

    /// Cases in one of `statuses`, those due soonest first (cases without a due time last, oldest
    /// first), at most `limit`.
    func queue(statuses: [SupportCase.Status], limit: Int) async throws -> [SupportCase]

    /// Every case, newest first, at most `limit`: for operators whose own helpdesk reads them.
    func all(limit: Int) async throws -> [SupportCase]

    /// Stores an action.
    func insertAction(_ action: CaseAction) async throws

    /// The action with `id`.
    func action(id: String) async throws -> CaseAction?

    /// The case's actions, oldest first.
    func actions(caseId: String) async throws -> [CaseAction]

    /// Actions waiting for approval, oldest first.
    func awaitingApproval() async throws -> [CaseAction]

    /// Marks an action waiting for approval applied, approved by `approvedBy`; `false` when it was
    /// not waiting (another approver was first).
    func markApplied(actionId: String, approvedBy: String?, at: Date) async throws -> Bool
}
