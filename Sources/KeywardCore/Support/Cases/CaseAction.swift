public import Foundation

/// Something a member of staff does to a case or its account. The dangerous ones change how the
/// account is signed in to and need a second person while `support.fourEyes` is on.
public struct CaseAction: Sendable, Equatable {
    /// Which action.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// Remove the authenticator app, passkeys and recovery codes, so that the person signs in
        /// with a code to their email or phone and sets up a new one.
        case resetAuthenticator = "reset_authenticator"
        /// Set a new phone number, which takes effect when the person enters the code sent to it.
        case replacePhone = "replace_phone"
        /// Set a new email address, likewise.
        case replaceEmail = "replace_email"
        /// Lift a restriction placed by risk control.
        case liftRestriction = "lift_restriction"
        /// Unfreeze an account its owner froze.
        case unfreeze
        /// Lift the account's sign-in locks.
        case unlock
        /// Sign the account out everywhere.
        case revokeSessions = "revoke_sessions"
        /// Decline the case.
        case reject
        /// Ask the person for something more.
        case requestInfo = "request_info"

        /// Whether the action needs a second person's approval under four eyes.
        public var isDangerous: Bool {
            switch self {
            case .resetAuthenticator, .replacePhone, .replaceEmail, .unfreeze: return true
            case .liftRestriction, .unlock, .revokeSessions, .reject, .requestInfo: return false
            }
        }
    }

    /// Where the action stands.
    public enum Status: String, Sendable, Codable {
        /// Proposed; waiting for a second person.
        case awaitingApproval = "awaiting_approval"
        /// Done.
        case applied
    }

    /// A random id.
    public let id: String
    /// The case it belongs to.
    public let caseId: String
    /// Which action.
    public let kind: Kind
    /// Why, in the proposer's words (shown to the person in the decision).
    public let reason: String
    /// The new phone number or email address, or the message to the person, where the action has one.
    public let value: String?
    /// Who proposed it.
    public let proposedBy: String
    /// Where it stands.
    public var status: Status
    /// Who approved it, for a dangerous action under four eyes.
    public var approvedBy: String?
    /// When it was proposed.
    public let createdAt: Date
    /// When it was applied.
    public var appliedAt: Date?

    /// An action record.
    public init(id: String, caseId: String, kind: Kind, reason: String, value: String?, proposedBy: String,
                status: Status, approvedBy: String?, createdAt: Date, appliedAt: Date?) {
        self.id = id
        self.caseId = caseId
        self.kind = kind
        self.reason = reason
        self.value = value
        self.proposedBy = proposedBy
        self.status = status
        self.approvedBy = approvedBy
        self.createdAt = createdAt
        self.appliedAt = appliedAt
    }
}
