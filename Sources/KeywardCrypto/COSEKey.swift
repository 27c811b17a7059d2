import Crypto
import _CryptoExtras

/// The COSE signature algorithms accepted for credential public keys, by their IANA COSE identifiers.
public enum COSEAlgorithm: Int64, Sendable, Hashable, CaseIterable {
    /// ECDSA with SHA-256 on P-256 (RFC 9053, Section 2.1); signatures are ASN.1 DER.
    case es256 = -7
    /// EdDSA on Ed25519 (RFC 9053, Section 2.2); signatures are 64 raw bytes.
    case edDSA = -8
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8812, Section 2), moduli of 2048 bits or more.
    case rs256 = -257
}

/// Why a COSE_Key was refused.
public struct COSEKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reason; the raw value is stable and safe to log or match on.
    public enum Code: String, Sendable, Equatable {
        /// The bytes are not one well-formed CBOR item.
        case invalidEncoding
        /// The item is not a map.
        case notAMap
        /// The map has no `alg` (3) and no algorithm was expected.
        case missingAlgorithm
        /// `alg` is not ES256, EdDSA or RS256.
        case unsupportedAlgorithm
        /// `alg` differs from the algorithm the caller expected.
        case algorithmMismatch
        /// `kty` (1) is absent or is not the key type of the algorithm.
        case keyTypeMismatch
        /// `crv` (-1) is absent or is not the curve of the algorithm.
        case curveMismatch
        /// A coordinate or RSA member is absent or not a byte string.
        case missingKeyMaterial
        /// A coordinate has the wrong length for its curve.
        case invalidCoordinateLength
        /// The coordinates do not name a point on the curve.
        case invalidPoint
        /// The RSA modulus has fewer than 2048 bits.
        case rsaModulusTooSmall
        /// The RSA modulus and exponent do not form a usable public key.
        case invalidRSAKey
    }

    /// The reason.
    public let code: Code

    /// An error with this code.
    public init(_ code: Code) {
        self.code = code
    }

    /// `cose.<code>`.
    public var description: String { "cose.\(code.rawValue)" }
}

/// A credential public key in COSE_Key form (RFC 9052, Section 7), checked and ready to verify signatures.
///
/// Only ES256 (EC2, P-256), EdDSA (OKP, Ed25519) and RS256 (RSA, at least 2048 bits) are accepted,
/// and the key type and curve must be the ones the algorithm requires.
public struct COSEKey: Sendable {
    /// The algorithm the key is for; signatures are checked with it and nothing else.
    public let algorithm: COSEAlgorithm
    /// The `kid` (2) member when it is a byte string.
    public let keyIdentifier: [UInt8]?

    private enum Material: Sendable {
        case p256(P256.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
        case rsa(_RSA.Signing.PublicKey)
    }

    private let material: Material

    private enum Label {
        static let keyType: CBORValue = 1
        static let keyIdentifier: CBORValue = 2
        static let algorithm: CBORValue = 3
        static let curve: CBORValue = -1
        static let x: CBORValue = -2
        static let y: CBORValue = -3
        static let modulus: CBORValue = -1
        static let exponent: CBORValue = -2
    }

    private enum KeyType {
        static let octetKeyPair: Int64 = 1
        static let ellipticCurve2: Int64 = 2
        static let rsa: Int64 = 3
    }

    private enum Curve {
        static let p256: Int64 = 1
        static let ed25519: Int64 = 6
    }

    /// Parses a COSE_Key from its CBOR encoding; the bytes must be exactly one item.
    ///
    /// - Parameter expectedAlgorithm: When given, the key's `alg` must equal it, and a key
    ///   without `alg` is taken to be for it. When nil, `alg` is required.
    public init(bytes: [UInt8], expectedAlgorithm: COSEAlgorithm? = nil) throws(COSEKeyError) {
        let value: CBORValue
        do {
            value = try CBORDecoder.decode(bytes)
        } catch {
            throw COSEKeyError(.invalidEncoding)
        }
        try self.init(cbor: value, expectedAlgorithm: expectedAlgorithm)
    }

    /// Parses a COSE_Key from a decoded CBOR map.
    ///
    /// - Parameter expectedAlgorithm: When given, the key's `alg` must equal it, and a key
    ///   without `alg` is taken to be for it. When nil, `alg` is required.
    public init(cbor: CBORValue, expectedAlgorithm: COSEAlgorithm? = nil) throws(COSEKeyError) {
        guard let map = cbor.map else { throw COSEKeyError(.notAMap) }
        let algorithm: COSEAlgorithm
        if let algorithmValue = map[Label.algorithm] {
            guard let identifier = algorithmValue.int, let named = COSEAlgorithm(rawValue: identifier) else {
                throw COSEKeyError(.unsupportedAlgorithm)
            }
            if let expectedAlgorithm, expectedAlgorithm != named { throw COSEKeyError(.algorithmMismatch) }
            algorithm = named
        } else if let expectedAlgorithm {
            algorithm = expectedAlgorithm
        } else {
            throw COSEKeyError(.missingAlgorithm)
        }
        self.algorithm = algorithm
        self.keyIdentifier = map[Label.keyIdentifier]?.bytes
        switch algorithm {
        case .es256: self.material = try Self.p256Key(from: map)
        case .edDSA: self.material = try Self.ed25519Key(from: map)
        case .rs256: self.material = try Self.rsaKey(from: map)
        }
    }

    private static func require(_ map: CBORMap, keyType: Int64, curve: Int64?) throws(COSEKeyError) {
        guard map[Label.keyType]?.int == keyType else { throw COSEKeyError(.keyTypeMismatch) }
        if let curve, map[Label.curve]?.int != curve { throw COSEKeyError(.curveMismatch) }
    }

    private static func byteString(_ map: CBORMap, _ label: CBORValue, count: Int?) throws(COSEKeyError) -> [UInt8] {
        guard let bytes = map[label]?.bytes else { throw COSEKeyError(.missingKeyMaterial) }
        if let count, bytes.count != count { throw COSEKeyError(.invalidCoordinateLength) }
        return bytes
    }

    private static func p256Key(from map: CBORMap) throws(COSEKeyError) -> Material {
        try require(map, keyType: KeyType.ellipticCurve2, curve: Curve.p256)
        let x = try byteString(map, Label.x, count: 32)
        let y = try byteString(map, Label.y, count: 32)
        do {
            return .p256(try P256.Signing.PublicKey(x963Representation: [0x04] + x + y))
        } catch {
            throw COSEKeyError(.invalidPoint)
        }
    }

    private static func ed25519Key(from map: CBORMap) throws(COSEKeyError) -> Material {
        try require(map, keyType: KeyType.octetKeyPair, curve: Curve.ed25519)
        let x = try byteString(map, Label.x, count: 32)
        do {
            return .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: x))
        } catch {
            throw COSEKeyError(.invalidPoint)
        }
    }

    private static func rsaKey(from map: CBORMap) throws(COSEKeyError) -> Material {
        try require(map, keyType: KeyType.rsa, curve: nil)
        let modulus = try byteString(map, Label.modulus, count: nil)
        let exponent = try byteString(map, Label.exponent, count: nil)
        guard bitLength(of: modulus) >= 2048 else { throw COSEKeyError(.rsaModulusTooSmall) }
        do {
            return .rsa(try _RSA.Signing.PublicKey(n: modulus, e: exponent))
        } catch {
            throw COSEKeyError(.invalidRSAKey)
        }
    }

    private static func bitLength(of bigEndian: [UInt8]) -> Int {
        guard let first = bigEndian.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (bigEndian.count - first - 1) * 8 + (8 - bigEndian[first].leadingZeroBitCount)
    }

    /// Whether `signature` is this key's signature over `data` under `algorithm`.
    ///
    /// ES256 expects an ASN.1 DER ECDSA signature, EdDSA 64 raw bytes, and RS256 a PKCS #1 v1.5
    /// signature as long as the modulus, as WebAuthn assertions carry them. Any malformed
    /// signature gives false.
    public func isValidSignature(_ signature: [UInt8], for data: [UInt8]) -> Bool {
        switch material {
        case .p256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: data)
        case .ed25519(let key):
            guard signature.count == 64 else { return false }
            return key.isValidSignature(signature, for: data)
        case .rsa(let key):
            let parsed = _RSA.Signing.RSASignature(rawRepresentation: signature)
            return key.isValidSignature(parsed, for: data, padding: .insecurePKCS1v1_5)
        }
    }
}
