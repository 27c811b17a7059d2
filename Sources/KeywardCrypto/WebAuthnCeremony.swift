import Crypto
import Foundation

/// What the relying party expects of a ceremony: its RP ID, the origins its pages and apps run
/// on, the challenge it issued, and whether the person must have been verified.
public struct WebAuthnExpectation: Sendable {
    /// The RP ID (a registrable domain suffix of the origins' hosts).
    public let rpID: String
    /// Every origin a ceremony may come from, such as `https://exchange.example`.
    public let origins: [String]
    /// The challenge issued for this ceremony.
    public let challenge: [UInt8]
    /// Whether the UV flag must be set.
    public let requireUserVerification: Bool

    /// An expectation for one ceremony.
    public init(rpID: String, origins: [String], challenge: [UInt8], requireUserVerification: Bool) {
        self.rpID = rpID
        self.origins = origins
        self.challenge = challenge
        self.requireUserVerification = requireUserVerification
    }
}

/// A registration ceremony's result, checked: the new credential and what to store of it.
public struct WebAuthnRegistration: Sendable {
    /// The credential id.
    public let credentialId: [UInt8]
    /// The COSE_Key encoding of its public key.
    public let publicKey: [UInt8]
    /// The key's algorithm.
    public let algorithm: COSEAlgorithm
    /// The counter the authenticator started at.
    public let signCount: UInt32
    /// Whether the credential may be synced (BE).
    public let backupEligible: Bool
    /// Whether it is backed up now (BS).
    public let backedUp: Bool
    /// The attestation statement format that was checked (`none` or `packed`).
    public let attestationFormat: String
}

/// An assertion ceremony's result, checked: what to update on the stored credential.
public struct WebAuthnAssertion: Sendable {
    /// The counter the authenticator reported.
    public let signCount: UInt32
    /// Whether the credential is backed up now (BS).
    public let backedUp: Bool
}

/// The relying party's checks of WebAuthn Level 3, Sections 7.1 (registering a new credential)
/// and 7.2 (verifying an authentication assertion), for the inputs of the JSON forms decoded from
/// base64url. Attestation is accepted in the `none` format and the `packed` format; a packed
/// statement without a certificate (self attestation) is verified with the credential's own key,
/// and one with a certificate chain is taken without checking the chain, since nothing trusts it.
public enum WebAuthnCeremony {
    /// Checks a registration: client data of type `webauthn.create` with the issued challenge and
    /// an accepted origin, attestation object `{fmt, attStmt, authData}`, RP ID hash, flags, the
    /// credential key's algorithm (one of `allowedAlgorithms`) and the attestation statement.
    public static func verifyRegistration(
        clientDataJSON: [UInt8], attestationObject: [UInt8], expecting expected: WebAuthnExpectation,
        allowedAlgorithms: [COSEAlgorithm] = COSEAlgorithm.allCases
    ) throws(WebAuthnError) -> WebAuthnRegistration {
        try checkClientData(clientDataJSON, type: "webauthn.create", expecting: expected)
        let object: CBORValue
        do {
            object = try CBORDecoder.decode(attestationObject)
        } catch {
            throw WebAuthnError(.malformed)
        }
        guard let format = object["fmt"]?.text, let statement = object["attStmt"]?.map,
              let authDataBytes = object["authData"]?.bytes
        else { throw WebAuthnError(.malformed) }
        let authData = try WebAuthnAuthenticatorData(bytes: authDataBytes)
        try authData.check(rpID: expected.rpID, requireUserVerification: expected.requireUserVerification)
        guard let credential = authData.attestedCredential else { throw WebAuthnError(.missingCredential) }
        let key: COSEKey
        do {
            key = try COSEKey(bytes: credential.publicKey)
        } catch {
            throw WebAuthnError(.unsupportedAlgorithm)
        }
        guard allowedAlgorithms.contains(key.algorithm) else { throw WebAuthnError(.unsupportedAlgorithm) }
        switch format {
        case "none":
            guard statement.count == 0 else { throw WebAuthnError(.attestationInvalid) }
        case "packed":
            try checkPacked(statement, key: key, authData: authDataBytes, clientDataJSON: clientDataJSON)
        default:
            throw WebAuthnError(.unsupportedAttestation)
        }
        return WebAuthnRegistration(
            credentialId: credential.credentialId, publicKey: credential.publicKey, algorithm: key.algorithm,
            signCount: authData.signCount, backupEligible: authData.flags.contains(.backupEligible),
            backedUp: authData.flags.contains(.backedUp), attestationFormat: format)
    }

    /// Checks an assertion by a stored credential: client data of type `webauthn.get` with the
    /// issued challenge and an accepted origin, RP ID hash, flags (backup eligibility must not have
    /// changed since registration), the user handle when one is sent, and the signature over
    /// `authenticatorData || SHA-256(clientDataJSON)`. The signature counter is returned, not
    /// judged: whether it went backwards depends on the stored value the caller holds.
    public static func verifyAssertion(
        clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8], userHandle: [UInt8]?,
        publicKey: COSEKey, backupEligible: Bool, expectedUserHandle: [UInt8], expecting expected: WebAuthnExpectation
    ) throws(WebAuthnError) -> WebAuthnAssertion {
        try checkClientData(clientDataJSON, type: "webauthn.get", expecting: expected)
        let authData = try WebAuthnAuthenticatorData(bytes: authenticatorData)
        try authData.check(rpID: expected.rpID, requireUserVerification: expected.requireUserVerification)
        guard authData.flags.contains(.backupEligible) == backupEligible else { throw WebAuthnError(.backupStateInvalid) }
        if let userHandle, !userHandle.isEmpty, !ConstantTime.equals(userHandle, expectedUserHandle) {
            throw WebAuthnError(.userHandleMismatch)
        }
        let signed = authenticatorData + Array(SHA256.hash(data: clientDataJSON))
        guard publicKey.isValidSignature(signature, for: signed) else { throw WebAuthnError(.signatureInvalid) }
        return WebAuthnAssertion(signCount: authData.signCount, backedUp: authData.flags.contains(.backedUp))
    }

    private struct ClientData: Decodable {
        let type: String
        let challenge: String
        let origin: String
        let crossOrigin: Bool?
    }

    private static func checkClientData(_ bytes: [UInt8], type: String,
                                        expecting expected: WebAuthnExpectation) throws(WebAuthnError) {
        let clientData: ClientData
        do {
            clientData = try JSONDecoder().decode(ClientData.self, from: Data(bytes))
        } catch {
            throw WebAuthnError(.malformed)
        }
        guard clientData.type == type else { throw WebAuthnError(.wrongType) }
        guard let challenge = Base64URL.decode(clientData.challenge),
              ConstantTime.equals(challenge, expected.challenge)
        else { throw WebAuthnError(.challengeMismatch) }
        guard expected.origins.contains(clientData.origin), clientData.crossOrigin != true else {
            throw WebAuthnError(.originMismatch)
        }
    }

    private static func checkPacked(_ statement: CBORMap, key: COSEKey, authData: [UInt8],
                                    clientDataJSON: [UInt8]) throws(WebAuthnError) {
        guard let algorithm = statement["alg"]?.int, let signature = statement["sig"]?.bytes else {
            throw WebAuthnError(.attestationInvalid)
        }
        if let chain = statement["x5c"] {
            // Full attestation: the chain is not checked against any root, so it proves nothing
            // and is not relied on; only its shape is.
            guard let certificates = chain.array, !certificates.isEmpty,
                  certificates.allSatisfy({ $0.bytes != nil })
            else { throw WebAuthnError(.attestationInvalid) }
            return
        }
        guard algorithm == key.algorithm.rawValue,
              key.isValidSignature(signature, for: authData + Array(SHA256.hash(data: clientDataJSON)))
        else { throw WebAuthnError(.attestationInvalid) }
    }
}
