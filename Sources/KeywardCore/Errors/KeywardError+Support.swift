extension KeywardError {
    /// No case with that id opens with the token given (or the token is for another case).
    public static let caseNotFound = KeywardError(code: "case.not_found", status: 404)
    /// The request carries no case token.
    public static let caseTokenRequired = KeywardError(code: "case.token_required", status: 401)
    /// The case opening waited too long for its code.
    public static let caseOpeningExpired = KeywardError(code: "case.opening_expired", status: 410)
    /// The code of this case opening was accepted already.
    public static let caseOpeningCompleted = KeywardError(code: "case.opening_completed", status: 409)
    /// The case was resolved or rejected; nothing more can be added.
    public static let caseClosed = KeywardError(code: "case.closed", status: 409)
    /// The case is with support already.
    public static let caseAlreadySubmitted = KeywardError(code: "case.already_submitted", status: 409)
    /// The topic is not one a case can have here.
    public static let caseTopicInvalid = KeywardError(code: "case.topic_invalid", status: 422)
    /// The description is empty or too long.
    public static let caseDescriptionInvalid = KeywardError(code: "case.description_invalid", status: 422)
    /// A message is empty or too long.
    public static let caseMessageInvalid = KeywardError(code: "case.message_invalid", status: 422)
    /// The factors said to be unavailable are unknown, or not ones the account has.
    public static let caseUnavailableInvalid = KeywardError(code: "case.unavailable_invalid", status: 422)
    /// What still works must be proven with a code sent to it first.
    public static func caseProofRequired(channels: [DeliveryChannel]) -> KeywardError {
        KeywardError(code: "case.proof_required", status: 422,
                     details: ["channels": .string(channels.map(\.rawValue).joined(separator: ","))])
    }
    /// The case cannot go to support before the documents it needs are uploaded.
    public static func caseRequirementsMissing(_ missing: [CaseDocument.Kind]) -> KeywardError {
        KeywardError(code: "case.requirements_missing", status: 422,
                     details: ["missing": .string(missing.map(\.rawValue).joined(separator: ",")),
                               "missingText": .string(missing.map(\.description).joined(separator: ", "))])
    }
    /// The upload is neither JPEG, PNG nor PDF, judged by its bytes.
    public static let documentTypeUnsupported = KeywardError(code: "document.type_unsupported", status: 415)
    /// The upload is larger than a document may be.
    public static func documentTooLarge(limit: Int) -> KeywardError {
        KeywardError(code: "document.too_large", status: 413, details: ["limit": .int(limit)])
    }
    /// The case holds as many documents as it may.
    public static func documentLimitReached(_ limit: Int) -> KeywardError {
        KeywardError(code: "document.limit_reached", status: 409, details: ["limit": .int(limit)])
    }
    /// The document's `type` is not `id_front`, `id_back`, `selfie` or `other`.
    public static let documentKindInvalid = KeywardError(code: "document.kind_invalid", status: 422)
    /// The upload is not a `multipart/form-data` body with one `type` and one `file` part.
    public static let documentUploadInvalid = KeywardError(code: "document.upload_invalid", status: 400)
}

extension KeywardError {
    /// A member of staff with that email address exists already.
    public static let staffExists = KeywardError(code: "staff.exists", status: 409)
    /// No member of staff has that email address.
    public static let staffNotFound = KeywardError(code: "staff.not_found", status: 404)
    /// The enrolment link is unknown, used, or out of date.
    public static let staffEnrolmentInvalid = KeywardError(code: "staff.enrolment_invalid", status: 410)
    /// The password must be set (the first step) before the authenticator is confirmed.
    public static let staffEnrolmentIncomplete = KeywardError(code: "staff.enrolment_incomplete", status: 409)
    /// The email address, password or authenticator code is wrong (or the member may not sign in).
    public static let staffCredentialsInvalid = KeywardError(code: "staff.credentials_invalid", status: 401)
    /// The route is for signed-in staff; no staff session came with the request.
    public static let staffSessionRequired = KeywardError(code: "staff.session_required", status: 401)
    /// The member's role may not do this.
    public static let staffRoleInsufficient = KeywardError(code: "staff.role_insufficient", status: 403)
    /// A dangerous action needs a second person: its proposer may not approve it.
    public static let staffSelfApproval = KeywardError(code: "staff.self_approval", status: 403)
    /// The action is not one staff can take, or lacks what it needs (a phone number, a message).
    public static let staffActionInvalid = KeywardError(code: "staff.action_invalid", status: 422)
    /// No action with that id.
    public static let staffActionNotFound = KeywardError(code: "staff.action_not_found", status: 404)
    /// The action was applied or withdrawn already.
    public static let staffActionNotPending = KeywardError(code: "staff.action_not_pending", status: 409)
    /// The account is not in the state the action undoes (not restricted, not frozen).
    public static let staffActionNotApplicable = KeywardError(code: "staff.action_not_applicable", status: 409)
    /// No new phone number or email address waits for this case's confirmation.
    public static let caseNoContactPending = KeywardError(code: "case.no_contact_pending", status: 409)
    /// The document's content was erased after the retention period, or there is no such document.
    public static let documentNotFound = KeywardError(code: "document.not_found", status: 404)
}
