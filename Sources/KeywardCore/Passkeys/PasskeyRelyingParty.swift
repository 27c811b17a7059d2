public import Foundation
public import KeywardCrypto

/// The server as a WebAuthn relying party: its RP ID, name and accepted origins, the challenge of
/// each ceremony, and the checks of what authenticators answer.
///
/// A ceremony's challenge is the keyed hash of its flow's id: 32 bytes no one can predict without
/// the server key, the same on every node and every time the options are shown again, and
/// useless once the flow has moved on, so the flow record alone makes it single-use.
public struct PasskeyRelyingParty: Sendable {
    /// The RP ID passkeys are scoped to (the public host by default).
    public let id: String
    /// The name authenticators show.
    public let name: String
    /// The origins ceremonies may come from.
    public let origins: [String]
    /// How long the browser waits for the person.
    public let timeout: TimeInterval
    /// The most passkeys one account may hold.
    public let maximumPerAccount: Int
    private let hasher: KeyedHasher

    /// A relying party with these settings, deriving challenges with `hasher`.
    public init(id: String, name: String, origins: [String], hasher: KeyedHasher, timeout: TimeInterval = 300,
                maximumPerAccount: Int = 10) {
        self.id = id
        self.name = name
        self.origins = origins
        self.hasher = hasher
        self.timeout = timeout
        self.maximumPerAccount = maximumPerAccount
    }

    /// The challenge of the ceremony run in flow `flowId`.
    public func challenge(flowId: String) -> [UInt8] {
        Hex.decode(hasher.hash(flowId, purpose: "webauthn-challenge")) ?? []
    }

    /// The WebAuthn user handle of an account: its id's bytes (a random UUID, nothing personal).
    public static func userHandle(accountId: String) -> [UInt8] {
        Array(accountId.utf8)
    }

    /// Options for `navigator.credentials.get()` in flow `flowId`, listing `passkeys` (or none, to
    /// let the person pick any passkey for this site), with user verification required.
    public func requestOptions(flowId: String, passkeys: [Passkey]) -> PasskeyRequestOptions {
        PasskeyRequestOptions(challenge: challenge(flowId: flowId), rpId: id, timeout: timeout,
                              allowCredentials: passkeys.map(PasskeyDescriptor.init))
    }

    /// Checks a registration answered in flow `flowId` and returns what to store.
    public func verifyRegistration(_ credential: PasskeyCredentialJSON, flowId: String) throws(KeywardError) -> WebAuthnRegistration {
        guard credential.type == "public-key", let rawId = Base64URL.decode(credential.rawId ?? credential.id),
              Base64URL.encode(rawId) == credential.id,
              let clientData = credential.response.clientDataJSON.flatMap(Base64URL.decode),
              let attestation = credential.response.attestationObject.flatMap(Base64URL.decode)
        else { throw .passkeyInvalid }
        let registration: WebAuthnRegistration
        do {
            registration = try WebAuthnCeremony.verifyRegistration(
                clientDataJSON: clientData, attestationObject: attestation, expecting: expectation(flowId: flowId))
        } catch {
            throw KeywardError(error)
        }
        guard ConstantTime.equals(registration.credentialId, rawId) else { throw .passkeyInvalid }
        return registration
    }

    /// Checks an assertion by `passkey` answered in flow `flowId`. A counter that did not move
    /// forward (when either side keeps one) is refused as a possible copy.
    public func verifyAssertion(_ assertion: PasskeyAssertionInput, by passkey: Passkey,
                                flowId: String) throws(KeywardError) -> WebAuthnAssertion {
        let key: COSEKey
        do {
            key = try COSEKey(bytes: passkey.publicKey)
        } catch {
            throw .passkeyInvalid
        }
        let result: WebAuthnAssertion
        do {
            result = try WebAuthnCeremony.verifyAssertion(
                clientDataJSON: assertion.clientDataJSON, authenticatorData: assertion.authenticatorData,
                signature: assertion.signature, userHandle: assertion.userHandle, publicKey: key,
                backupEligible: passkey.backupEligible, expectedUserHandle: Self.userHandle(accountId: passkey.accountId),
                expecting: expectation(flowId: flowId))
        } catch {
            throw KeywardError(error)
        }
        if result.signCount != 0 || passkey.signCount != 0, result.signCount <= passkey.signCount {
            throw .passkeySignCountRegressed
        }
        return result
    }

    private func expectation(flowId: String) -> WebAuthnExpectation {
        WebAuthnExpectation(rpID: id, origins: origins, challenge: challenge(flowId: flowId), requireUserVerification: true)
    }
}

/// An assertion's parts, decoded from the JSON form.
public struct PasskeyAssertionInput: Sendable {
    /// The credential id.
    public let credentialId: [UInt8]
    /// The client data as signed.
    public let clientDataJSON: [UInt8]
    /// The authenticator data as signed.
    public let authenticatorData: [UInt8]
    /// The signature.
    public let signature: [UInt8]
    /// The user handle, sent by discoverable credentials.
    public let userHandle: [UInt8]?

    /// Decodes an `AuthenticationResponseJSON`; throws `passkey.invalid` when a part is missing or not base64url.
    public init(_ credential: PasskeyCredentialJSON) throws(KeywardError) {
        let response = credential.response
        guard credential.type == "public-key", let rawId = Base64URL.decode(credential.rawId ?? credential.id),
              Base64URL.encode(rawId) == credential.id, !rawId.isEmpty,
              let clientData = response.clientDataJSON.flatMap(Base64URL.decode),
              let authenticatorData = response.authenticatorData.flatMap(Base64URL.decode),
              let signature = response.signature.flatMap(Base64URL.decode)
        else { throw .passkeyInvalid }
        var userHandle: [UInt8]?
        if let handle = response.userHandle {
            guard let decoded = Base64URL.decode(handle) else { throw .passkeyInvalid }
            userHandle = decoded
        }
        self.credentialId = rawId
        self.clientDataJSON = clientData
        self.authenticatorData = authenticatorData
        self.signature = signature
        self.userHandle = userHandle
    }

    /// Decodes the JSON text of an `AuthenticationResponseJSON`, as a second step receives it.
    public init(json text: String) throws(KeywardError) {
        try self.init(PasskeyCredentialJSON.parse(text))
    }
}

/// A `RegistrationResponseJSON` or `AuthenticationResponseJSON` (WebAuthn Level 3, Section 5.1),
/// every binary member in base64url.
public struct PasskeyCredentialJSON: Codable, Sendable {
    /// The credential id in base64url.
    public let id: String
    /// The same id again (browsers send both).
    public let rawId: String?
    /// Always `public-key`.
    public let type: String
    /// The authenticator's answer.
    public let response: Response
    /// `platform` or `cross-platform`, when the browser says.
    public let authenticatorAttachment: String?

    /// The members of both responses; each ceremony reads its own.
    public struct Response: Codable, Sendable {
        public let clientDataJSON: String?
        public let attestationObject: String?
        public let transports: [String]?
        public let authenticatorData: String?
        public let signature: String?
        public let userHandle: String?
    }

    /// Parses JSON text; throws `passkey.invalid` when it is not a credential.
    public static func parse(_ text: String) throws(KeywardError) -> PasskeyCredentialJSON {
        do {
            return try JSONDecoder().decode(PasskeyCredentialJSON.self, from: Data(text.utf8))
        } catch {
            throw .passkeyInvalid
        }
    }
}

/// A credential the browser may use, in the options' JSON form.
public struct PasskeyDescriptor: Sendable, Equatable {
    /// The credential id.
    public let id: [UInt8]
    /// How to reach its authenticator.
    public let transports: [String]

    /// The descriptor of a stored passkey.
    public init(_ passkey: Passkey) {
        id = passkey.credentialId
        transports = passkey.transports
    }
}

/// `PublicKeyCredentialRequestOptionsJSON`'s content: what `navigator.credentials.get()` needs.
public struct PasskeyRequestOptions: Sendable, Equatable {
    /// The ceremony's challenge.
    public let challenge: [UInt8]
    /// The RP ID.
    public let rpId: String
    /// How long the browser waits.
    public let timeout: TimeInterval
    /// The passkeys that may answer; empty lets the person choose any for this site.
    public let allowCredentials: [PasskeyDescriptor]
}

/// `PublicKeyCredentialCreationOptionsJSON`'s content: what `navigator.credentials.create()` needs.
public struct PasskeyCreationOptions: Sendable {
    /// The flow the answer goes back to.
    public let flowId: String
    /// The ceremony's challenge.
    public let challenge: [UInt8]
    /// The RP ID and name.
    public let rpId: String
    public let rpName: String
    /// The account's user handle.
    public let userId: [UInt8]
    /// The name the authenticator shows for the account (its email or phone).
    public let userName: String
    /// The algorithms accepted, in order of preference.
    public let algorithms: [Int]
    /// How long the browser waits.
    public let timeout: TimeInterval
    /// The account's passkeys, which must not be registered twice.
    public let excludeCredentials: [PasskeyDescriptor]
    /// When the flow stops accepting an answer.
    public let expiresAt: Date
}
