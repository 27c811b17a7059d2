import Crypto

/// Why a WebAuthn ceremony's data was refused; the raw values are stable and safe to log.
public struct WebAuthnError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reason.
    public enum Code: String, Sendable, Equatable {
        /// A field is missing, not base64url, not the JSON or CBOR it should be, or truncated.
        case malformed
        /// `clientDataJSON.type` is not the ceremony's (`webauthn.create` or `webauthn.get`).
        case wrongType
        /// The challenge is not the one the server issued for this ceremony.
        case challengeMismatch
        /// The origin is not one the server accepts, or the ceremony ran in a cross-origin frame.
        case originMismatch
        /// The authenticator data's RP ID hash is not the hash of the server's RP ID.
        case rpIDMismatch
        /// The user-present flag is not set.
        case userNotPresent
        /// User verification was required and the user-verified flag is not set.
        case userNotVerified
        /// The backed-up flag is set without the backup-eligible flag, or backup eligibility changed.
        case backupStateInvalid
        /// The registration carries no attested credential data.
        case missingCredential
        /// The credential public key is not ES256, EdDSA or RS256, or is not a valid key of its kind.
        case unsupportedAlgorithm
        /// The attestation statement format is neither `none` nor `packed`.
        case unsupportedAttestation
        /// The attestation statement does not verify.
        case attestationInvalid
        /// The assertion signature does not verify under the credential's public key.
        case signatureInvalid
        /// The assertion's user handle is not the credential's.
        case userHandleMismatch
    }

    /// The reason.
    public let code: Code

    /// An error with this code.
    public init(_ code: Code) {
        self.code = code
    }

    /// `webauthn.<code>`.
    public var description: String { "webauthn.\(code.rawValue)" }
}

/// The authenticator data an authenticator signs (WebAuthn Level 3, Section 6.1): the RP ID hash,
/// the flags, the signature counter and, at registration, the new credential.
public struct WebAuthnAuthenticatorData: Sendable, Equatable {
    /// The flag bits of byte 32.
    public struct Flags: OptionSet, Sendable, Equatable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// UP: a person was present (touched, clicked).
        public static let userPresent = Flags(rawValue: 0x01)
        /// UV: the person was verified (PIN, biometric).
        public static let userVerified = Flags(rawValue: 0x04)
        /// BE: the credential may be backed up or synced.
        public static let backupEligible = Flags(rawValue: 0x08)
        /// BS: the credential is backed up now.
        public static let backedUp = Flags(rawValue: 0x10)
        /// AT: attested credential data follows the counter.
        public static let attestedCredentialData = Flags(rawValue: 0x40)
        /// ED: extension data follows.
        public static let extensionData = Flags(rawValue: 0x80)
    }

    /// The credential created at registration (attested credential data).
    public struct AttestedCredential: Sendable, Equatable {
        /// The authenticator model's AAGUID (16 bytes; zeros when not disclosed).
        public let aaguid: [UInt8]
        /// The credential id, at most 1023 bytes.
        public let credentialId: [UInt8]
        /// The credential public key's COSE_Key encoding, exactly as sent.
        public let publicKey: [UInt8]
    }

    /// SHA-256 of the RP ID the credential is scoped to.
    public let rpIDHash: [UInt8]
    /// The flags.
    public let flags: Flags
    /// The signature counter; 0 when the authenticator keeps none.
    public let signCount: UInt32
    /// The new credential, present when ``Flags/attestedCredentialData`` is set.
    public let attestedCredential: AttestedCredential?
    /// The bytes as received, which signatures cover.
    public let bytes: [UInt8]

    /// The longest credential id WebAuthn allows.
    public static let maximumCredentialIdLength = 1023

    /// Parses authenticator data; refuses truncated data, an over-long credential id, a key that is
    /// not one CBOR item, and bytes left over after the extensions.
    public init(bytes: [UInt8]) throws(WebAuthnError) {
        guard bytes.count >= 37 else { throw WebAuthnError(.malformed) }
        self.bytes = bytes
        rpIDHash = Array(bytes[0..<32])
        flags = Flags(rawValue: bytes[32])
        signCount = bytes[33..<37].reduce(0) { $0 << 8 | UInt32($1) }
        var position = 37
        if flags.contains(.attestedCredentialData) {
            guard bytes.count >= position + 18 else { throw WebAuthnError(.malformed) }
            let aaguid = Array(bytes[position..<position + 16])
            let length = Int(bytes[position + 16]) << 8 | Int(bytes[position + 17])
            position += 18
            guard length > 0, length <= Self.maximumCredentialIdLength, bytes.count >= position + length else {
                throw WebAuthnError(.malformed)
            }
            let credentialId = Array(bytes[position..<position + length])
            position += length
            let consumed: Int
            do {
                consumed = try CBORDecoder.decodePrefix(bytes[position...]).consumed
            } catch {
                throw WebAuthnError(.malformed)
            }
            attestedCredential = AttestedCredential(aaguid: aaguid, credentialId: credentialId,
                                                    publicKey: Array(bytes[position..<position + consumed]))
            position += consumed
        } else {
            attestedCredential = nil
        }
        if flags.contains(.extensionData) {
            do {
                position += try CBORDecoder.decodePrefix(bytes[position...]).consumed
            } catch {
                throw WebAuthnError(.malformed)
            }
        }
        guard position == bytes.count else { throw WebAuthnError(.malformed) }
    }

    /// Checks the RP ID hash, user presence, user verification when `requireUserVerification`,
    /// and that the backed-up flag comes with backup eligibility.
    public func check(rpID: String, requireUserVerification: Bool) throws(WebAuthnError) {
        let expected = Array(SHA256.hash(data: Array(rpID.utf8)))
        guard ConstantTime.equals(rpIDHash, expected) else { throw WebAuthnError(.rpIDMismatch) }
        guard flags.contains(.userPresent) else { throw WebAuthnError(.userNotPresent) }
        if requireUserVerification, !flags.contains(.userVerified) { throw WebAuthnError(.userNotVerified) }
        if flags.contains(.backedUp), !flags.contains(.backupEligible) { throw WebAuthnError(.backupStateInvalid) }
    }
}
