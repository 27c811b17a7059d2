public import Foundation
public import KeywardCrypto

/// How a request shows it may see a case: the case's own token, or a signed-in session of the
/// account the case is about.
public enum CaseAccess: Sendable {
    /// The token handed out when the case opened.
    case token(String)
    /// A signed-in session of the account.
    case account(String)
    /// A signed-in session and a case token both came: either may open the case (someone signed in
    /// to one account who opened a case about another in this browser).
    case accountOrToken(String, String)
}

/// The person's side of the support desk: opening a case (from a sign-in's second step, from the
/// "Can't sign in?" page with a code, or signed in), adding documents and messages, and sending it
/// to support.
///
/// No way in reveals whether an account exists: the page without the password answers an
/// identifier no account has exactly as one an account has, and no code is delivered for it.
public struct SupportCaseService: Sendable {
    let database: any KeywardDatabase
    let codes: OneTimeCodes
    let credentials: CredentialMethods
    let guesses: GuessCounter
    let step: SecondFactorStep
    let hasher: KeyedHasher
    let sealer: Sealer
    let queue: MessageQueue
    let limits: RateLimitSettings
    let clock: any KeywardClock
    /// The limits in force.
    public let settings: SupportSettings
    /// The address of a case's page, for messages: never with the token in it.
    let caseLink: @Sendable (String) -> String
    /// How long an opening waits for its code (default 30 minutes).
    public let openingLifetime: TimeInterval

    static let tokenPurpose = "support-case-token"

    /// A service over the given parts.
    public init(database: any KeywardDatabase, codes: OneTimeCodes, credentials: CredentialMethods, guesses: GuessCounter,
                step: SecondFactorStep, hasher: KeyedHasher, sealer: Sealer, queue: MessageQueue,
                limits: RateLimitSettings, clock: any KeywardClock, settings: SupportSettings,
                caseLink: @escaping @Sendable (String) -> String, openingLifetime: TimeInterval = 1800) {
        self.database = database
        self.codes = codes
        self.credentials = credentials
        self.guesses = guesses
        self.step = step
        self.hasher = hasher
        self.sealer = sealer
        self.queue = queue
        self.limits = limits
        self.clock = clock
        self.settings = settings
        self.caseLink = caseLink
        self.openingLifetime = openingLifetime
    }

    // MARK: Opening signed in

    /// Opens a case for the signed-in account.
    public func open(session: Session, topic rawTopic: String, description: String,
                     origin: RequestOrigin) async throws -> OpenedCase {
        guard let topic = SupportCase.Topic(rawValue: rawTopic) else { throw KeywardError.caseTopicInvalid }
        let text = try Self.checkedText(description, error: .caseDescriptionInvalid)
        try await ensureUnderDailyLimit(accountId: session.accountId, origin: origin)
        return try await database.transaction { stores in
            try await open(accountId: session.accountId, topic: topic, description: text, proofs: [.session],
                           unavailable: [], origin: origin, in: stores)
        }
    }

    /// Refuses, and records the refusal, when the account has opened its cases for the day. Runs
    /// before anything the opening would change, so a refused opening leaves no trace but the audit.
    func ensureUnderDailyLimit(accountId: String, origin: RequestOrigin) async throws {
        let now = clock.now()
        guard try await database.stores.cases.count(accountId: accountId, since: now.addingTimeInterval(-86400))
            >= settings.casesPerAccountPerDay else { return }
        try await database.stores.audit.record(AuditEvent(
            kind: .rateLimited, outcome: .failure, accountId: accountId, origin: origin, at: now,
            details: ["action": "support_case.open", "retryAfter": "3600"]))
        throw KeywardError.rateLimited(retryAfter: 3600)
    }

    /// Stores a new case with a fresh token, within the account's daily limit, and tells the owner.
    func open(id: String = SecureRandom.uuid(), accountId: String, topic: SupportCase.Topic, description: String,
                      proofs: [SupportCase.Proof], unavailable: [String], origin: RequestOrigin,
                      in stores: any KeywardStores) async throws -> OpenedCase {
        let now = clock.now()
        // Checked again here for two openings racing past ``ensureUnderDailyLimit(accountId:origin:)``.
        if try await stores.cases.count(accountId: accountId, since: now.addingTimeInterval(-86400))
            >= settings.casesPerAccountPerDay {
            throw KeywardError.rateLimited(retryAfter: 3600)
        }
        let token = SecureRandom.token()
        let supportCase = SupportCase(
            id: id, accountId: accountId, topic: topic, status: .open,
            tokenHash: hasher.hash(token, purpose: Self.tokenPurpose), description: description, proofs: proofs,
            unavailable: unavailable, createdAt: now, updatedAt: now, respondBy: nil, closedAt: nil, decision: nil)
        try await stores.cases.insert(supportCase)
        try await stores.audit.record(AuditEvent(
            kind: .supportCaseOpened, outcome: .success, accountId: accountId, origin: origin, at: now,
            details: ["caseId": id, "topic": topic.rawValue, "proofs": proofs.map(\.rawValue).joined(separator: ",")]))
        try await notify(.opened, supportCase, in: stores)
        return OpenedCase(view: try await view(of: supportCase, in: stores), token: token)
    }

    // MARK: The case

    /// The case, when `access` opens it; `case.not_found` otherwise (also for a token of another case).
    public func authorize(caseId: String, access: CaseAccess) async throws -> SupportCase {
        guard let found = try await database.stores.cases.find(id: caseId) else { throw KeywardError.caseNotFound }
        let opens: Bool = switch access {
        case .token(let token): hasher.matches(token, purpose: Self.tokenPurpose, expected: found.tokenHash)
        case .account(let accountId): ConstantTime.equals(Array(accountId.utf8), Array(found.accountId.utf8))
        case .accountOrToken(let accountId, let token):
            ConstantTime.equals(Array(accountId.utf8), Array(found.accountId.utf8))
                || hasher.matches(token, purpose: Self.tokenPurpose, expected: found.tokenHash)
        }
        guard opens else { throw KeywardError.caseNotFound }
        return found
    }

    /// What the person sees of the case.
    public func view(caseId: String, access: CaseAccess) async throws -> CaseView {
        try await view(of: try await authorize(caseId: caseId, access: access), in: database.stores)
    }

    /// The account's cases, newest first.
    public func list(accountId: String) async throws -> [SupportCase] {
        try await database.stores.cases.list(accountId: accountId)
    }

    /// Adds the person's message to the thread.
    public func addMessage(caseId: String, access: CaseAccess, body: String, origin: RequestOrigin) async throws -> CaseView {
        let found = try await authorize(caseId: caseId, access: access)
        guard !found.status.isClosed else { throw KeywardError.caseClosed }
        let text = try Self.checkedText(body, error: .caseMessageInvalid)
        return try await database.transaction { stores in
            let now = clock.now()
            try await stores.cases.addMessage(CaseMessage(id: SecureRandom.uuid(), caseId: found.id, author: .person,
                                                          staffId: nil, body: text, at: now))
            try await stores.audit.record(AuditEvent(
                kind: .supportCaseMessage, outcome: .success, accountId: found.accountId, origin: origin, at: now,
                details: ["caseId": found.id, "from": "person"]))
            return try await view(of: found, in: stores)
        }
    }

    /// Sends the case to support: it waits for review until `support.responseHours` from now.
    /// Throws `case.requirements_missing` naming the documents still needed.
    public func submit(caseId: String, access: CaseAccess, origin: RequestOrigin) async throws -> CaseView {
        let found = try await authorize(caseId: caseId, access: access)
        if found.status.isClosed { throw KeywardError.caseClosed }
        if found.status == .inReview { throw KeywardError.caseAlreadySubmitted }
        let stores = database.stores
        let missing = Self.requirements(of: found, documents: try await stores.cases.documents(caseId: found.id))
            .filter { !$0.satisfied }.map(\.kind)
        guard missing.isEmpty else { throw KeywardError.caseRequirementsMissing(missing) }
        return try await database.transaction { stores in
            let now = clock.now()
            let respondBy = now.addingTimeInterval(TimeInterval(settings.responseHours) * 3600)
            guard try await stores.cases.transition(id: found.id, from: [.open, .waitingForPerson], to: .inReview, at: now,
                                                    respondBy: respondBy, closedAt: nil, decision: nil)
            else { throw KeywardError.caseAlreadySubmitted }
            try await stores.audit.record(AuditEvent(
                kind: .supportCaseSubmitted, outcome: .success, accountId: found.accountId, origin: origin, at: now,
                details: ["caseId": found.id]))
            var submitted = found
            submitted.status = .inReview
            submitted.respondBy = respondBy
            return try await view(of: submitted, in: stores)
        }
    }

    /// Seals and stores a document the person uploaded. `content` was already held to
    /// `support.maxDocumentBytes`; its type is judged by its bytes alone.
    public func addDocument(caseId: String, access: CaseAccess, kind rawKind: String, content: [UInt8],
                            origin: RequestOrigin) async throws -> CaseDocument {
        let found = try await authorize(caseId: caseId, access: access)
        guard !found.status.isClosed else { throw KeywardError.caseClosed }
        guard let kind = CaseDocument.Kind(rawValue: rawKind) else { throw KeywardError.documentKindInvalid }
        guard content.count <= settings.maxDocumentBytes else {
            throw KeywardError.documentTooLarge(limit: settings.maxDocumentBytes)
        }
        guard let type = DocumentContentType(sniffing: content) else { throw KeywardError.documentTypeUnsupported }
        let now = clock.now()
        let document = CaseDocument(id: SecureRandom.uuid(), caseId: found.id, kind: kind, contentType: type,
                                    bytes: content.count, uploadedAt: now)
        let sealed = try sealer.sealEnvelope(content, context: Self.documentContext(document))
        return try await database.transaction { stores in
            guard try await stores.cases.addDocument(document, sealed: sealed, limit: settings.maxDocuments) else {
                throw KeywardError.documentLimitReached(settings.maxDocuments)
            }
            try await stores.audit.record(AuditEvent(
                kind: .supportDocumentUploaded, outcome: .success, accountId: found.accountId, origin: origin, at: now,
                details: ["caseId": found.id, "documentId": document.id, "type": kind.rawValue,
                          "contentType": type.rawValue, "bytes": String(content.count)]))
            return document
        }
    }

    // MARK: Helpers

    /// What a document's sealing is bound to: its case and its own id, so that a sealed document
    /// moved to another row does not open.
    static func documentContext(_ document: CaseDocument) -> String {
        "case-document:\(document.caseId):\(document.id)"
    }

    /// The documents a case needs and whether each was uploaded.
    static func requirements(of supportCase: SupportCase, documents: [CaseDocument]) -> [CaseRequirement] {
        supportCase.topic.requiredDocuments.map { kind in
            CaseRequirement(kind: kind, satisfied: documents.contains { $0.kind == kind })
        }
    }

    func view(of supportCase: SupportCase, in stores: any KeywardStores) async throws -> CaseView {
        let documents = try await stores.cases.documents(caseId: supportCase.id)
        return CaseView(supportCase: supportCase, requirements: Self.requirements(of: supportCase, documents: documents),
                        documents: documents, messages: try await stores.cases.messages(caseId: supportCase.id))
    }

    /// Tells the owner on every verified channel what happened to the case, in its transaction.
    func notify(_ event: CaseNoticeEvent, _ supportCase: SupportCase, in stores: any KeywardStores) async throws {
        let now = clock.now(), link = caseLink(supportCase.id)
        // Someone opening a case in the owner's name is what the owner's freeze link is for.
        try await queue.notifyAll(accountId: supportCase.accountId, offeringFreeze: event == .opened, in: stores) { identifier in
            queue.composer.supportCaseNotice(event, caseId: supportCase.id, link: link, at: now, to: identifier)
        }
    }

    /// `text` trimmed, when it holds 1 to 4,000 characters and no control characters but line breaks and tabs.
    static func checkedText(_ text: String, error: KeywardError) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...4000).contains(trimmed.count),
              !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !"\n\r\t".unicodeScalars.contains($0) })
        else { throw error }
        return trimmed
    }

    static func scope(of flow: LoadedFlow<SignInFlow>) -> GuessScope {
        GuessScope(accountId: flow.accountId ?? "", storedName: flow.context.scope)
    }
}
