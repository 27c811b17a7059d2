public import Foundation
import KeywardCrypto
import Synchronization

/// One security-relevant event: who, what, when, from where, and how it ended. Never holds a secret.
public struct AuditEvent: Sendable, Equatable {
    /// What happened.
    public struct Kind: RawRepresentable, Sendable, Hashable, Codable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let registrationStarted = Kind(rawValue: "registration.started")
        public static let registrationCompleted = Kind(rawValue: "registration.completed")
        public static let codeSent = Kind(rawValue: "code.sent")
        public static let codeFailed = Kind(rawValue: "code.failed")
        public static let loginSucceeded = Kind(rawValue: "login.succeeded")
        public static let loginFailed = Kind(rawValue: "login.failed")
        public static let passwordRehashed = Kind(rawValue: "password.rehashed")
        public static let sessionCreated = Kind(rawValue: "session.created")
        public static let sessionEnded = Kind(rawValue: "session.ended")
        public static let sessionRevoked = Kind(rawValue: "session.revoked")
        public static let lockPlaced = Kind(rawValue: "lock.placed")
        public static let lockExtended = Kind(rawValue: "lock.extended")
        public static let lockLifted = Kind(rawValue: "lock.lifted")
        public static let rateLimited = Kind(rawValue: "rate_limited")
        public static let recoveryStarted = Kind(rawValue: "recovery.started")
        public static let recoveryVerified = Kind(rawValue: "recovery.verified")
        public static let recoveryFinished = Kind(rawValue: "recovery.finished")
        public static let holdPlaced = Kind(rawValue: "hold.placed")
        public static let secondFactorRequired = Kind(rawValue: "second_factor.required")
        /// A sign-in's second factor was right and its new device waits for approval.
        public static let deviceApprovalRequired = Kind(rawValue: "device_approval.required")
        public static let secondFactorFailed = Kind(rawValue: "second_factor.failed")
        public static let reauthenticated = Kind(rawValue: "reauthenticated")
        public static let passwordChanged = Kind(rawValue: "password.changed")
        public static let authenticatorEnrolmentStarted = Kind(rawValue: "authenticator.enrolment_started")
        public static let authenticatorBound = Kind(rawValue: "authenticator.bound")
        public static let authenticatorRemoved = Kind(rawValue: "authenticator.removed")
        public static let contactChangeStarted = Kind(rawValue: "contact_change.started")
        public static let phoneChanged = Kind(rawValue: "phone.changed")
        public static let emailChanged = Kind(rawValue: "email.changed")
        public static let antiPhishingCodeSet = Kind(rawValue: "anti_phishing_code.set")
        /// A new set of recovery codes replaced any earlier one.
        public static let recoveryCodesGenerated = Kind(rawValue: "recovery_codes.generated")
        /// A recovery code was used in place of another factor.
        public static let recoveryCodeUsed = Kind(rawValue: "recovery_code.used")
        /// A passkey was registered to the account.
        public static let passkeyAdded = Kind(rawValue: "passkey.added")
        /// A passkey was renamed.
        public static let passkeyRenamed = Kind(rawValue: "passkey.renamed")
        /// A passkey was removed.
        public static let passkeyRemoved = Kind(rawValue: "passkey.removed")
        /// A passkey answered with a counter that went backwards: it may have been copied.
        public static let passkeyCloneSuspected = Kind(rawValue: "passkey.clone_suspected")
        /// Risk control or an operator restricted the account.
        public static let accountRestricted = Kind(rawValue: "account.restricted")
        /// A restriction of the account was lifted.
        public static let accountUnrestricted = Kind(rawValue: "account.unrestricted")
        /// The owner froze the account.
        public static let accountFrozen = Kind(rawValue: "account.frozen")
        /// Support unfroze the account.
        public static let accountUnfrozen = Kind(rawValue: "account.unfrozen")
        /// Support looked up why the account's owner cannot sign in.
        public static let supportDiagnosed = Kind(rawValue: "support.diagnosed")
        /// The person proved the identifier on "Can't sign in?" and was shown what stands in the way.
        public static let signInHelpViewed = Kind(rawValue: "sign_in_help.viewed")
        /// A support case was opened for the account.
        public static let supportCaseOpened = Kind(rawValue: "support_case.opened")
        /// A message was added to a support case.
        public static let supportCaseMessage = Kind(rawValue: "support_case.message")
        /// The person sent a support case for review.
        public static let supportCaseSubmitted = Kind(rawValue: "support_case.submitted")
        /// The person uploaded a document to a support case.
        public static let supportDocumentUploaded = Kind(rawValue: "support_case.document_uploaded")
        /// A member of staff opened one of the person's documents.
        public static let supportDocumentViewed = Kind(rawValue: "support_case.document_viewed")
        /// A member of staff proposed or took an action on a case.
        public static let supportActionProposed = Kind(rawValue: "support_case.action_proposed")
        /// A second member of staff approved a dangerous action.
        public static let supportActionApproved = Kind(rawValue: "support_case.action_approved")
        /// Support wrote to the person in a case.
        public static let supportCaseAnswered = Kind(rawValue: "support_case.answered")
        /// Support decided a case.
        public static let supportCaseDecided = Kind(rawValue: "support_case.decided")
        /// Support reset the account's authenticator app (and passkeys and recovery codes).
        public static let supportAuthenticatorReset = Kind(rawValue: "support.authenticator_reset")
        /// Support set a new phone number or email address, waiting for the person's code.
        public static let supportContactProposed = Kind(rawValue: "support.contact_proposed")
        /// Support lifted the account's sign-in locks.
        public static let supportUnlocked = Kind(rawValue: "support.unlocked")
        /// Support signed the account out everywhere.
        public static let supportSessionsRevoked = Kind(rawValue: "support.sessions_revoked")
        /// A member of staff was added.
        public static let staffAdded = Kind(rawValue: "staff.added")
        /// A member of staff set their password and authenticator.
        public static let staffEnrolled = Kind(rawValue: "staff.enrolled")
        /// A member of staff was disabled.
        public static let staffDisabled = Kind(rawValue: "staff.disabled")
        /// A member of staff signed in.
        public static let staffSignedIn = Kind(rawValue: "staff.signed_in")
        /// A staff sign-in was refused.
        public static let staffSignInFailed = Kind(rawValue: "staff.sign_in_failed")
    }

    /// Whether the action succeeded.
    public enum Outcome: String, Sendable, Codable {
        case success
        case failure
    }

    /// A random id.
    public let id: String
    /// What happened.
    public let kind: Kind
    /// How it ended.
    public let outcome: Outcome
    /// The account concerned, when one is known.
    public let accountId: String?
    /// The client address.
    public let ip: String?
    /// The client's user agent.
    public let userAgent: String?
    /// When it happened.
    public let at: Date
    /// Non-secret particulars (a reason code, a session id).
    public let details: [String: String]

    /// An event with a fresh id.
    public init(kind: Kind, outcome: Outcome, accountId: String?, origin: RequestOrigin, at: Date,
                details: [String: String] = [:]) {
        self.init(id: AuditEvent.sortableId(at: at), kind: kind, outcome: outcome, accountId: accountId,
                  ip: origin.ip, userAgent: origin.userAgent, at: at, details: details)
    }

    private static let sequence = Atomic<UInt32>(0)

    /// An id that sorts by time, then by the order events were made in this process, then randomly:
    /// events recorded in the same millisecond still list in the order they happened.
    static func sortableId(at: Date) -> String {
        let count = sequence.wrappingAdd(1, ordering: .relaxed).newValue
        let milliseconds = String(UInt64(max(0, at.unixMilliseconds)), radix: 16)
        let counter = String(count, radix: 16)
        return String(repeating: "0", count: 12 - min(12, milliseconds.count)) + milliseconds
            + String(repeating: "0", count: 8 - counter.count) + counter + "-" + Hex.encode(SecureRandom.bytes(6))
    }

    /// An event as stored.
    public init(id: String, kind: Kind, outcome: Outcome, accountId: String?, ip: String?, userAgent: String?,
                at: Date, details: [String: String]) {
        self.id = id
        self.kind = kind
        self.outcome = outcome
        self.accountId = accountId
        self.ip = ip
        self.userAgent = userAgent
        self.at = at
        self.details = details
    }
}

/// The audit trail.
public protocol AuditStore: Sendable {
    /// Appends an event.
    func record(_ event: AuditEvent) async throws
    /// The account's most recent events, newest first.
    func recent(accountId: String, limit: Int) async throws -> [AuditEvent]
}
