import KeywardCrypto

extension KeywardError {
    /// The credential sent is not a well-formed WebAuthn response of the ceremony asked for.
    public static let passkeyInvalid = KeywardError(code: "passkey.invalid", status: 422)
    /// The response answers another challenge than the one issued for this flow.
    public static let passkeyChallengeMismatch = KeywardError(code: "passkey.challenge_mismatch", status: 422)
    /// The response comes from a page or app origin the server does not accept.
    public static let passkeyOriginMismatch = KeywardError(code: "passkey.origin_mismatch", status: 422)
    /// The authenticator made the response for another relying party (RP ID).
    public static let passkeyRPIDMismatch = KeywardError(code: "passkey.rp_id_mismatch", status: 422)
    /// The authenticator did not verify the person (PIN or biometric), which is required.
    public static let passkeyUserVerificationRequired = KeywardError(code: "passkey.user_verification_required", status: 422)
    /// The passkey is not one registered to this account (or to any account, when signing in with it).
    public static let passkeyUnknown = KeywardError(code: "passkey.unknown", status: 422)
    /// The assertion's signature does not verify under the registered public key.
    public static let passkeySignatureInvalid = KeywardError(code: "passkey.signature_invalid", status: 422)
    /// The authenticator's counter went backwards: the passkey may have been copied.
    public static let passkeySignCountRegressed = KeywardError(code: "passkey.sign_count_regressed", status: 422)
    /// The new passkey's key is not ES256, EdDSA or RS256.
    public static let passkeyAlgorithmUnsupported = KeywardError(code: "passkey.algorithm_unsupported", status: 422)
    /// The attestation format is neither `none` nor `packed`.
    public static let passkeyAttestationUnsupported = KeywardError(code: "passkey.attestation_unsupported", status: 422)
    /// The attestation statement does not verify.
    public static let passkeyAttestationInvalid = KeywardError(code: "passkey.attestation_invalid", status: 422)
    /// This passkey is registered already.
    public static let passkeyAlreadyRegistered = KeywardError(code: "passkey.already_registered", status: 409)
    /// The account has as many passkeys as it may.
    public static func passkeyLimitReached(_ limit: Int) -> KeywardError {
        KeywardError(code: "passkey.limit_reached", status: 409, details: ["limit": .int(limit)])
    }
    /// The account has no passkey with that id.
    public static let passkeyNotFound = KeywardError(code: "passkey.not_found", status: 404)
    /// The passkey's name is empty, too long, or holds control characters.
    public static let passkeyNameInvalid = KeywardError(code: "passkey.name_invalid", status: 422)

    /// The error a refused ceremony is answered with.
    init(_ failure: WebAuthnError) {
        switch failure.code {
        case .malformed, .wrongType, .missingCredential, .backupStateInvalid: self = .passkeyInvalid
        case .challengeMismatch: self = .passkeyChallengeMismatch
        case .originMismatch: self = .passkeyOriginMismatch
        case .rpIDMismatch: self = .passkeyRPIDMismatch
        case .userNotPresent, .userNotVerified: self = .passkeyUserVerificationRequired
        case .unsupportedAlgorithm: self = .passkeyAlgorithmUnsupported
        case .unsupportedAttestation: self = .passkeyAttestationUnsupported
        case .attestationInvalid: self = .passkeyAttestationInvalid
        case .signatureInvalid: self = .passkeySignatureInvalid
        case .userHandleMismatch: self = .passkeyUnknown
        }
    }
}
