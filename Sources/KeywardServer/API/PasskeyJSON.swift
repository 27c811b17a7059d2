import Foundation
import KeywardCore
import KeywardCrypto

/// `PublicKeyCredentialDescriptorJSON`.
struct PasskeyDescriptorJSON: Encodable {
    let type = "public-key"
    let id: String
    let transports: [String]?

    init(_ descriptor: PasskeyDescriptor) {
        id = Base64URL.encode(descriptor.id)
        transports = descriptor.transports.isEmpty ? nil : descriptor.transports
    }
}

/// `PublicKeyCredentialRequestOptionsJSON`, ready for `PublicKeyCredential.parseRequestOptionsFromJSON`.
struct PasskeyRequestOptionsJSON: Encodable {
    let challenge: String
    let rpId: String
    let timeout: Int
    let userVerification = "required"
    let allowCredentials: [PasskeyDescriptorJSON]

    init(_ options: PasskeyRequestOptions) {
        challenge = Base64URL.encode(options.challenge)
        rpId = options.rpId
        timeout = Int(options.timeout * 1000)
        allowCredentials = options.allowCredentials.map(PasskeyDescriptorJSON.init)
    }

    /// The passkey options among a step's prompts, if one is there.
    init?(prompts: [CredentialPrompt]) {
        for case .passkey(let options) in prompts {
            self.init(options)
            return
        }
        return nil
    }
}

/// `{flowId, expiresAt, publicKey}` where `publicKey` is `PublicKeyCredentialCreationOptionsJSON`.
struct PasskeyCreationOptionsJSON: Encodable {
    struct RelyingParty: Encodable {
        let id: String
        let name: String
    }

    struct User: Encodable {
        let id: String
        let name: String
        let displayName: String
    }

    struct Parameter: Encodable {
        let type = "public-key"
        let alg: Int
    }

    struct Selection: Encodable {
        let residentKey = "required"
        let requireResidentKey = true
        let userVerification = "required"
    }

    struct PublicKey: Encodable {
        let rp: RelyingParty
        let user: User
        let challenge: String
        let pubKeyCredParams: [Parameter]
        let timeout: Int
        let excludeCredentials: [PasskeyDescriptorJSON]
        let authenticatorSelection = Selection()
        let attestation = "none"
    }

    let flowId: String
    let expiresAt: Date
    let publicKey: PublicKey

    init(_ options: PasskeyCreationOptions) {
        flowId = options.flowId
        expiresAt = options.expiresAt
        publicKey = PublicKey(
            rp: RelyingParty(id: options.rpId, name: options.rpName),
            user: User(id: Base64URL.encode(options.userId), name: options.userName, displayName: options.userName),
            challenge: Base64URL.encode(options.challenge), pubKeyCredParams: options.algorithms.map { Parameter(alg: $0) },
            timeout: Int(options.timeout * 1000), excludeCredentials: options.excludeCredentials.map(PasskeyDescriptorJSON.init))
    }
}

/// A registered passkey as the account's owner sees it.
struct PasskeyJSON: Encodable {
    let id: String
    let name: String
    let algorithm: Int
    let transports: [String]
    let backupEligible: Bool
    let backedUp: Bool
    let createdAt: Date
    let lastUsedAt: Date?

    init(_ passkey: Passkey) {
        id = passkey.id
        name = passkey.name
        algorithm = passkey.algorithm
        transports = passkey.transports
        backupEligible = passkey.backupEligible
        backedUp = passkey.backedUp
        createdAt = passkey.createdAt
        lastUsedAt = passkey.lastUsedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(algorithm, forKey: .algorithm)
        try container.encode(transports, forKey: .transports)
        try container.encode(backupEligible, forKey: .backupEligible)
        try container.encode(backedUp, forKey: .backedUp)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(lastUsedAt, forKey: .lastUsedAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, algorithm, transports, backupEligible, backedUp, createdAt, lastUsedAt
    }
}

/// `{flowId, expiresAt, publicKey}` opening a passkey sign-in.
struct PasskeySignInOptionsJSON: Encodable {
    let flowId: String
    let expiresAt: Date
    let publicKey: PasskeyRequestOptionsJSON

    init(_ started: PasskeySignInStarted) {
        flowId = started.flowId
        expiresAt = started.expiresAt
        publicKey = PasskeyRequestOptionsJSON(started.options)
    }
}
