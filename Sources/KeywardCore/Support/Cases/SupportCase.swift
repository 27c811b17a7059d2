public import Foundation

/// A request for help a person opened with support: what it is about, where it stands, what the
/// person still has to provide, and the decision.
///
/// A case always belongs to an account: the person proved, before it opened, that they hold the
/// account's password, one of its addresses, or a signed-in session. Its token, the person's key
/// to this one case, is stored only as a keyed hash.
public struct SupportCase: Sendable, Equatable {
    /// What the person needs help with.
    public enum Topic: String, Sendable, CaseIterable, Codable {
        /// The authenticator app and its backup key are lost.
        case authenticatorLost = "authenticator_lost"
        /// The phone number no longer receives codes.
        case phoneLost = "phone_lost"
        /// The email address no longer receives codes.
        case emailLost = "email_lost"
        /// Risk control restricted the account.
        case accountRestricted = "account_restricted"
        /// The owner froze the account.
        case accountFrozen = "account_frozen"
        /// Anything else.
        case other

        /// The documents support needs before it can act on a case of this topic.
        public var requiredDocuments: [CaseDocument.Kind] {
            switch self {
            case .authenticatorLost, .phoneLost, .emailLost, .accountFrozen: return [.idFront, .selfie]
            case .accountRestricted, .other: return []
            }
        }
    }

    /// Where a case stands.
    public enum Status: String, Sendable, CaseIterable, Codable {
        /// Opened; the person is still adding what support needs.
        case open
        /// Sent to support, waiting for a decision.
        case inReview = "in_review"
        /// Support asked the person for something more.
        case waitingForPerson = "waiting_for_person"
        /// Support acted on it.
        case resolved
        /// Support declined it.
        case rejected

        /// Whether the case is closed: nothing more can be added to it.
        public var isClosed: Bool { self == .resolved || self == .rejected }
    }

    /// How the person proved they may open a case for the account.
    public enum Proof: String, Sendable, CaseIterable, Codable {
        /// The account's password, at a sign-in's first step.
        case password
        /// A code sent to the account's email address.
        case emailCode = "email_code"
        /// A code sent to the account's phone number.
        case smsCode = "sms_code"
        /// A signed-in session.
        case session
    }

    /// A random id, also the case number people quote.
    public let id: String
    /// The account the case is about.
    public let accountId: String
    /// What it is about.
    public let topic: Topic
    /// Where it stands.
    public var status: Status
    /// The keyed hash of the person's case token.
    public let tokenHash: String
    /// The person's own words.
    public let description: String
    /// What the person proved before the case opened.
    public let proofs: [Proof]
    /// The second factors the person said they can no longer use (`totp`, `sms`, `email`).
    public let unavailable: [String]
    /// When it opened.
    public let createdAt: Date
    /// When it last changed.
    public var updatedAt: Date
    /// When support should have answered: set each time the case is sent for review.
    public var respondBy: Date?
    /// When it was resolved or rejected.
    public var closedAt: Date?
    /// What support decided, in words the person sees.
    public var decision: String?

    /// A case record.
    public init(id: String, accountId: String, topic: Topic, status: Status, tokenHash: String, description: String,
                proofs: [Proof], unavailable: [String], createdAt: Date, updatedAt: Date, respondBy: Date?,
                closedAt: Date?, decision: String?) {
        self.id = id
        self.accountId = accountId
        self.topic = topic
        self.status = status
        self.tokenHash = tokenHash
        self.description = description
        self.proofs = proofs
        self.unavailable = unavailable
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.respondBy = respondBy
        self.closedAt = closedAt
        self.decision = decision
    }
}

/// An identity document the person uploaded to a case. Its content is sealed under a key of its own
/// and never shown to the person again.
public struct CaseDocument: Sendable, Equatable {
    /// What the document shows.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// The front of an identity document.
        case idFront = "id_front"
        /// Its back.
        case idBack = "id_back"
        /// The person holding the document and a note with the date and the platform's name.
        case selfie
        /// Anything else support asked for.
        case other

        /// What the document is, in words.
        public var description: String {
            switch self {
            case .idFront: "the front of your ID"
            case .idBack: "the back of your ID"
            case .selfie: "a selfie holding your ID"
            case .other: "another document"
            }
        }
    }

    /// A random id.
    public let id: String
    /// The case it belongs to.
    public let caseId: String
    /// What it shows.
    public let kind: Kind
    /// What its bytes are.
    public let contentType: DocumentContentType
    /// Its size in bytes.
    public let bytes: Int
    /// When it was uploaded.
    public let uploadedAt: Date
    /// When its content was erased, after the retention period.
    public let erasedAt: Date?

    /// A document record.
    public init(id: String, caseId: String, kind: Kind, contentType: DocumentContentType, bytes: Int, uploadedAt: Date,
                erasedAt: Date? = nil) {
        self.id = id
        self.caseId = caseId
        self.kind = kind
        self.contentType = contentType
        self.bytes = bytes
        self.uploadedAt = uploadedAt
        self.erasedAt = erasedAt
    }
}

/// One message in a case's thread.
public struct CaseMessage: Sendable, Equatable {
    /// Who wrote it.
    public enum Author: String, Sendable, Codable {
        /// The person the case is about.
        case person
        /// A member of staff.
        case support
    }

    /// A random id.
    public let id: String
    /// The case it belongs to.
    public let caseId: String
    /// Who wrote it.
    public let author: Author
    /// The staff member who wrote it, for support's messages.
    public let staffId: String?
    /// The text.
    public let body: String
    /// When it was written.
    public let at: Date

    /// A message record.
    public init(id: String, caseId: String, author: Author, staffId: String?, body: String, at: Date) {
        self.id = id
        self.caseId = caseId
        self.author = author
        self.staffId = staffId
        self.body = body
        self.at = at
    }
}

/// One thing a case still needs before it can be sent for review.
public struct CaseRequirement: Sendable, Equatable {
    /// The document it needs.
    public let kind: CaseDocument.Kind
    /// Whether one was uploaded.
    public let satisfied: Bool

    /// A requirement.
    public init(kind: CaseDocument.Kind, satisfied: Bool) {
        self.kind = kind
        self.satisfied = satisfied
    }
}

/// A case with everything the person may see of it.
public struct CaseView: Sendable {
    /// The case.
    public let supportCase: SupportCase
    /// What it still needs.
    public let requirements: [CaseRequirement]
    /// Its documents (their particulars, never their content).
    public let documents: [CaseDocument]
    /// Its thread, oldest first.
    public let messages: [CaseMessage]
}

/// A case just opened, with the token that opens it (shown once, never stored in clear).
public struct OpenedCase: Sendable {
    /// The case.
    public let view: CaseView
    /// The person's key to the case.
    public let token: String
}

/// A case opening that waits for the code sent to the identifier the person gave.
public struct CaseOpeningStarted: Sendable {
    /// The case's id, which the code confirms.
    public let caseId: String
    /// Where the code went.
    public let channel: DeliveryChannel
    /// When another code may be asked for.
    public let resendAvailableAt: Date
}

/// What a sign-in's person may say they can no longer use, for the page that asks: the account's
/// second factors by name, and where a code to each channel it has would go.
public struct CaseUnavailableOptions: Sendable {
    /// The factors the account has, by the names ``SupportCaseService/openFromSignIn(flowId:unavailable:description:method:code:origin:)``
    /// takes: `totp`, `passkey`, `sms`, `email`, in that order.
    public let factors: [String]
    /// The channels the account has that the person did not name, each with its address masked
    /// (`l•••t@example.com`): a code to one of them proves it.
    public let channels: [(channel: DeliveryChannel, destination: String)]
}

/// Where a case opening without the password stands, for the page that asks for its code.
public struct CaseOpeningStatus: Sendable {
    /// The case's id, which the code confirms.
    public let caseId: String
    /// The email address or phone number the person gave (a code went to it if an account has it).
    public let identifier: Identifier
    /// When another code may be asked for.
    public let resendAvailableAt: Date
}
