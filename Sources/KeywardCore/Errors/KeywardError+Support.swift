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
                     details: ["missing": .string(missing.map(\.rawValue).joined(separator: ","))])
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
