import Crypto
import Foundation
public import KeywardCrypto

/// A software passkey authenticator and browser client for tests: it makes ES256 or EdDSA
/// credentials and answers ceremonies in WebAuthn's JSON forms (base64url members), with knobs to
/// make the answers a relying party must refuse.
public final class TestPasskeyAuthenticator: @unchecked Sendable {
    /// The key kinds it can make.
    public enum Algorithm: Sendable {
        case es256
        case edDSA
    }

    private enum PrivateKey {
        case p256(P256.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    /// The origin its client data names.
    public var origin: String
    /// The counter it reports next time, then adds one to.
    public var signCount: UInt32 = 1
    /// The credential id, once one is made.
    public private(set) var credentialId: [UInt8] = []
    private let algorithm: Algorithm
    private let key: PrivateKey
    private var userHandle: [UInt8] = []

    /// An authenticator making `algorithm` keys, answering from `origin`.
    public init(_ algorithm: Algorithm = .es256, origin: String) {
        self.algorithm = algorithm
        self.origin = origin
        key = algorithm == .es256 ? .p256(P256.Signing.PrivateKey()) : .ed25519(Curve25519.Signing.PrivateKey())
    }

    /// What can be changed in an answer to make it wrong.
    public struct Tampering: Sendable {
        public var origin: String?
        public var rpID: String?
        public var challenge: String?
        public var userVerified = true
        public var signatureFlipped = false
        public var type: String?
        public init() {}
    }

    /// A `RegistrationResponseJSON` for creation `options` (the `publicKey` member of the server's answer).
    public func create(_ options: [String: Any], format: String = "none", tampering: Tampering = Tampering()) throws -> [String: Any] {
        let rp = options["rp"] as? [String: Any], user = options["user"] as? [String: Any]
        let rpID = tampering.rpID ?? (rp?["id"] as? String ?? "")
        userHandle = Base64URL.decode(user?["id"] as? String ?? "") ?? []
        credentialId = SecureRandom.bytes(16)
        let clientData = clientDataJSON(type: tampering.type ?? "webauthn.create",
                                        challenge: tampering.challenge ?? (options["challenge"] as? String ?? ""),
                                        origin: tampering.origin ?? origin)
        var authData = authenticatorData(rpID: rpID, userVerified: tampering.userVerified, counter: 0, attested: true)
        authData += [UInt8](repeating: 0, count: 16) + [UInt8(credentialId.count >> 8), UInt8(credentialId.count & 0xFF)]
        authData += credentialId + CBOREncoder.encode(publicKey)
        var statement = CBORMap()
        if format == "packed" {
            var signature = try sign(authData + Array(SHA256.hash(data: clientData)))
            if tampering.signatureFlipped { signature[signature.count / 2] ^= 0x01 }
            statement = [.textString("alg"): .integer(algorithm == .es256 ? -7 : -8), .textString("sig"): .byteString(signature)]
        }
        let attestation: CBORValue = ["fmt": .textString(format), "attStmt": .map(statement), "authData": .byteString(authData)]
        return ["id": Base64URL.encode(credentialId), "rawId": Base64URL.encode(credentialId), "type": "public-key",
                "response": ["clientDataJSON": Base64URL.encode(clientData),
                             "attestationObject": Base64URL.encode(CBOREncoder.encode(attestation)),
                             "transports": ["internal"]] as [String: Any],
                "clientExtensionResults": [String: Any]()]
    }

    /// An `AuthenticationResponseJSON` for request `options`, reporting ``signCount`` and then
    /// adding one to it.
    public func get(_ options: [String: Any], tampering: Tampering = Tampering()) throws -> [String: Any] {
        let rpID = tampering.rpID ?? (options["rpId"] as? String ?? "")
        let clientData = clientDataJSON(type: tampering.type ?? "webauthn.get",
                                        challenge: tampering.challenge ?? (options["challenge"] as? String ?? ""),
                                        origin: tampering.origin ?? origin)
        let authData = authenticatorData(rpID: rpID, userVerified: tampering.userVerified, counter: signCount, attested: false)
        signCount += 1
        var signature = try sign(authData + Array(SHA256.hash(data: clientData)))
        if tampering.signatureFlipped { signature[signature.count / 2] ^= 0x01 }
        return ["id": Base64URL.encode(credentialId), "rawId": Base64URL.encode(credentialId), "type": "public-key",
                "response": ["clientDataJSON": Base64URL.encode(clientData), "authenticatorData": Base64URL.encode(authData),
                             "signature": Base64URL.encode(signature), "userHandle": Base64URL.encode(userHandle)],
                "clientExtensionResults": [String: Any]()]
    }

    /// The COSE_Key of the credential's public key.
    public var publicKey: CBORValue {
        switch key {
        case .p256(let key):
            let point = Array(key.publicKey.x963Representation)
            return [1: 2, 3: -7, -1: 1, -2: .byteString(Array(point[1..<33])), -3: .byteString(Array(point[33..<65]))]
        case .ed25519(let key):
            return [1: 1, 3: -8, -1: 6, -2: .byteString(Array(key.publicKey.rawRepresentation))]
        }
    }

    private func sign(_ data: [UInt8]) throws -> [UInt8] {
        switch key {
        case .p256(let key): return Array(try key.signature(for: data).derRepresentation)
        case .ed25519(let key): return Array(try key.signature(for: data))
        }
    }

    private func clientDataJSON(type: String, challenge: String, origin: String) -> [UInt8] {
        Array(#"{"type":"\#(type)","challenge":"\#(challenge)","origin":"\#(origin)","crossOrigin":false}"#.utf8)
    }

    private func authenticatorData(rpID: String, userVerified: Bool, counter: UInt32, attested: Bool) -> [UInt8] {
        let flags: UInt8 = 0x01 | (userVerified ? 0x04 : 0) | (attested ? 0x40 : 0)
        return Array(SHA256.hash(data: Array(rpID.utf8))) + [flags]
            + [UInt8(counter >> 24), UInt8(counter >> 16 & 0xFF), UInt8(counter >> 8 & 0xFF), UInt8(counter & 0xFF)]
    }
}
