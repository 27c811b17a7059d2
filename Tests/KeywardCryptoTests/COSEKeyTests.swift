import Crypto
import Foundation
import KeywardCrypto
import Testing
import _CryptoExtras

/// The P-256 key "meriadoc.brandybuck@buckland.example" of RFC 9052, Appendix C.7.1 (public)
/// and C.7.2 (private `d`).
private enum Meriadoc {
    static let keyIdentifier = Array("meriadoc.brandybuck@buckland.example".utf8)
    static let x = bytes(hex: "65eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de108de439c08551d")
    static let y = bytes(hex: "1e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0ca7ca7e9eecd0084d19c")
    static let d = bytes(hex: "aff907c99f9ad3aae6c4cdf21122bce2bd68b5283e6907154ad911840fa208cf")

    /// The key exactly as the appendix gives it: no `alg`.
    static let publicKey: CBORValue = [
        1: 2,
        2: .byteString(keyIdentifier),
        -1: 1,
        -2: .byteString(x),
        -3: .byteString(y),
    ]
}

private func ec2Key(algorithm: Int64 = -7, curve: Int64 = 1, x: [UInt8], y: [UInt8]) -> CBORValue {
    [1: 2, 3: .integer(algorithm), -1: .integer(curve), -2: .byteString(x), -3: .byteString(y)]
}

private func coseKey(_ key: P256.Signing.PublicKey) -> CBORValue {
    let point = Array(key.x963Representation)
    return ec2Key(x: Array(point[1..<33]), y: Array(point[33..<65]))
}

private func coseKey(_ key: Curve25519.Signing.PublicKey) -> CBORValue {
    [1: 1, 3: -8, -1: 6, -2: .byteString(Array(key.rawRepresentation))]
}

private func coseKey(_ key: _RSA.Signing.PublicKey) throws -> CBORValue {
    let primitives = try key.getKeyPrimitives()
    return [1: 3, 3: -257, -1: .byteString(Array(primitives.modulus)), -2: .byteString(Array(primitives.publicExponent))]
}

private func replacing(_ label: CBORValue, with value: CBORValue?, in key: CBORValue) -> CBORValue {
    var entries = (key.map?.entries ?? []).filter { $0.key != label }
    if let value { entries.append((key: label, value: value)) }
    return .map(CBORMap(entries))
}

private func expectRefusal(
    _ code: COSEKeyError.Code,
    _ key: CBORValue,
    expectedAlgorithm: COSEAlgorithm? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(throws: COSEKeyError(code), sourceLocation: sourceLocation) {
        try COSEKey(cbor: key, expectedAlgorithm: expectedAlgorithm)
    }
}

/// Checks that `key` accepts `signature` over `data` and refuses every altered or unrelated signature.
private func expectSignatureChecks(
    _ key: COSEKey,
    signature: [UInt8],
    data: [UInt8],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(key.isValidSignature(signature, for: data), sourceLocation: sourceLocation)
    #expect(!key.isValidSignature(signature, for: data + [0]), sourceLocation: sourceLocation)
    #expect(!key.isValidSignature(signature, for: []), sourceLocation: sourceLocation)
    for index in [0, 1, signature.count / 2, signature.count - 1] {
        var flipped = signature
        flipped[index] ^= 0x01
        #expect(!key.isValidSignature(flipped, for: data), "bit flipped at \(index)", sourceLocation: sourceLocation)
    }
    var generator = SplitMix64(seed: 42)
    let garbage: [[UInt8]] = [
        [], [0x30, 0x00], [0x30], [UInt8](repeating: 0, count: 64), [UInt8](repeating: 0xFF, count: 256),
        Array(signature.dropLast()), signature + [0], (0..<1000).map { _ in UInt8.random(in: 0...255, using: &generator) },
    ]
    for candidate in garbage {
        #expect(!key.isValidSignature(candidate, for: data), sourceLocation: sourceLocation)
    }
}

@Suite struct COSEKeyParsingTests {
    @Test func algorithmIdentifiersMatchTheIANARegistry() {
        #expect(COSEAlgorithm.es256.rawValue == -7)
        #expect(COSEAlgorithm.edDSA.rawValue == -8)
        #expect(COSEAlgorithm.rs256.rawValue == -257)
    }

    @Test func rfc9052ExampleKeyNeedsAnAlgorithm() {
        expectRefusal(.missingAlgorithm, Meriadoc.publicKey)
    }

    @Test func rfc9052ExampleKeyParsesWhenES256IsExpected() throws {
        let key = try COSEKey(cbor: Meriadoc.publicKey, expectedAlgorithm: .es256)
        #expect(key.algorithm == .es256)
        #expect(key.keyIdentifier == Meriadoc.keyIdentifier)
    }

    @Test func rfc9052ExampleKeyParsesWithAlgorithmAddedAndVerifiesItsPrivateKeysSignatures() throws {
        let withAlgorithm = replacing(3, with: -7, in: Meriadoc.publicKey)
        let key = try COSEKey(bytes: withAlgorithm.encoded())
        #expect(key.algorithm == .es256)
        let privateKey = try P256.Signing.PrivateKey(rawRepresentation: Meriadoc.d)
        #expect(Array(privateKey.publicKey.x963Representation) == [0x04] + Meriadoc.x + Meriadoc.y)
        let data = Array("authenticatorData || clientDataHash".utf8)
        let signature = Array(try privateKey.signature(for: data).derRepresentation)
        expectSignatureChecks(key, signature: signature, data: data)
    }

    @Test func expectedAlgorithmMustMatchTheKeys() {
        expectRefusal(.algorithmMismatch, replacing(3, with: -7, in: Meriadoc.publicKey), expectedAlgorithm: .edDSA)
        expectRefusal(.keyTypeMismatch, Meriadoc.publicKey, expectedAlgorithm: .edDSA)
        expectRefusal(.keyTypeMismatch, Meriadoc.publicKey, expectedAlgorithm: .rs256)
    }

    @Test func malformedInputIsRefused() {
        #expect(throws: COSEKeyError(.invalidEncoding)) { try COSEKey(bytes: []) }
        #expect(throws: COSEKeyError(.invalidEncoding)) { try COSEKey(bytes: bytes(hex: "a10102ff")) }
        #expect(throws: COSEKeyError(.notAMap)) { try COSEKey(bytes: bytes(hex: "8101")) }
        expectRefusal(.notAMap, .byteString(Meriadoc.x))
    }
}

@Suite struct COSEKeyRefusalTests {
    private let validP256 = ec2Key(x: Meriadoc.x, y: Meriadoc.y)

    @Test func unknownAlgorithmsAreRefused() {
        for algorithm: CBORValue in [-35, -36, -37, -65535, -259, 1, 0, "ES256", .byteString([0xF9]), -7.0] {
            expectRefusal(.unsupportedAlgorithm, replacing(3, with: algorithm, in: validP256))
        }
    }

    @Test func keyTypeThatDoesNotMatchTheAlgorithmIsRefused() {
        expectRefusal(.keyTypeMismatch, replacing(1, with: 1, in: validP256))
        expectRefusal(.keyTypeMismatch, replacing(1, with: 3, in: validP256))
        expectRefusal(.keyTypeMismatch, replacing(1, with: "EC2", in: validP256))
        expectRefusal(.keyTypeMismatch, replacing(1, with: nil, in: validP256))
        expectRefusal(.keyTypeMismatch, replacing(3, with: -8, in: validP256))
        expectRefusal(.keyTypeMismatch, replacing(3, with: -257, in: validP256))
    }

    @Test func wrongCurvesAreRefused() {
        expectRefusal(.curveMismatch, replacing(-1, with: 2, in: validP256))
        expectRefusal(.curveMismatch, replacing(-1, with: 6, in: validP256))
        expectRefusal(.curveMismatch, replacing(-1, with: nil, in: validP256))
        let ed25519: CBORValue = [1: 1, 3: -8, -1: 6, -2: .byteString([UInt8](repeating: 1, count: 32))]
        expectRefusal(.curveMismatch, replacing(-1, with: 4, in: ed25519))
        expectRefusal(.curveMismatch, replacing(-1, with: 7, in: ed25519))
    }

    @Test func coordinatesOfTheWrongLengthAreRefused() {
        expectRefusal(.invalidCoordinateLength, ec2Key(x: Array(Meriadoc.x.dropFirst()), y: Meriadoc.y))
        expectRefusal(.invalidCoordinateLength, ec2Key(x: Meriadoc.x, y: Array(Meriadoc.y.dropLast())))
        expectRefusal(.invalidCoordinateLength, ec2Key(x: [0] + Meriadoc.x, y: Meriadoc.y))
        expectRefusal(.invalidCoordinateLength, ec2Key(x: [], y: []))
        let ed25519: CBORValue = [1: 1, 3: -8, -1: 6, -2: .byteString([UInt8](repeating: 1, count: 31))]
        expectRefusal(.invalidCoordinateLength, ed25519)
    }

    @Test func missingOrCompressedCoordinatesAreRefused() {
        expectRefusal(.missingKeyMaterial, replacing(-3, with: nil, in: validP256))
        expectRefusal(.missingKeyMaterial, replacing(-3, with: true, in: validP256))
        expectRefusal(.missingKeyMaterial, replacing(-2, with: .textString("x"), in: validP256))
        expectRefusal(.missingKeyMaterial, [1: 1, 3: -8, -1: 6])
        expectRefusal(.missingKeyMaterial, [1: 3, 3: -257, -2: .byteString([1, 0, 1])])
    }

    @Test func pointNotOnTheCurveIsRefused() {
        var y = Meriadoc.y
        y[31] ^= 0x01
        expectRefusal(.invalidPoint, ec2Key(x: Meriadoc.x, y: y))
        expectRefusal(.invalidPoint, ec2Key(x: [UInt8](repeating: 0, count: 32), y: [UInt8](repeating: 0, count: 32)))
        expectRefusal(.invalidPoint, ec2Key(x: [UInt8](repeating: 0xFF, count: 32), y: Meriadoc.y))
    }

    @Test func rsaModulusUnder2048BitsIsRefused() throws {
        let small = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        expectRefusal(.rsaModulusTooSmall, try coseKey(small.publicKey))
        let almost = [UInt8](repeating: 0xFF, count: 255) + [0x01]
        expectRefusal(.rsaModulusTooSmall, [1: 3, 3: -257, -1: .byteString([0] + Array(almost.dropFirst())), -2: .byteString([1, 0, 1])])
    }

    @Test func unusableRSAParametersAreRefused() {
        let modulus = [UInt8](repeating: 0xC3, count: 256)
        expectRefusal(.invalidRSAKey, [1: 3, 3: -257, -1: .byteString(modulus), -2: .byteString([0x02])])
        expectRefusal(.invalidRSAKey, [1: 3, 3: -257, -1: .byteString(modulus), -2: .byteString([])])
    }

    @Test func coseKeyErrorsDescribeThemselvesStably() {
        #expect(COSEKeyError(.invalidPoint).description == "cose.invalidPoint")
    }
}

@Suite struct COSEKeySignatureTests {
    private let data = Array("authenticator data followed by the client data hash".utf8)

    @Test func generatedP256KeyVerifiesItsDERSignatures() throws {
        let privateKey = P256.Signing.PrivateKey()
        let key = try COSEKey(bytes: coseKey(privateKey.publicKey).encoded())
        #expect(key.algorithm == .es256)
        let signature = try privateKey.signature(for: data)
        expectSignatureChecks(key, signature: Array(signature.derRepresentation), data: data)
        #expect(!key.isValidSignature(Array(signature.rawRepresentation), for: data))
        let otherSignature = try P256.Signing.PrivateKey().signature(for: data)
        #expect(!key.isValidSignature(Array(otherSignature.derRepresentation), for: data))
    }

    @Test func generatedEd25519KeyVerifiesItsSignatures() throws {
        let privateKey = Curve25519.Signing.PrivateKey()
        let key = try COSEKey(bytes: coseKey(privateKey.publicKey).encoded())
        #expect(key.algorithm == .edDSA)
        let signature = Array(try privateKey.signature(for: data))
        expectSignatureChecks(key, signature: signature, data: data)
        let otherSignature = Array(try Curve25519.Signing.PrivateKey().signature(for: data))
        #expect(!key.isValidSignature(otherSignature, for: data))
    }

    @Test func generatedRSAKeyVerifiesPKCS1Signatures() throws {
        let privateKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let key = try COSEKey(bytes: try coseKey(privateKey.publicKey).encoded())
        #expect(key.algorithm == .rs256)
        let signature = try privateKey.signature(for: data, padding: .insecurePKCS1v1_5)
        expectSignatureChecks(key, signature: Array(signature.rawRepresentation), data: data)
        let pssSignature = try privateKey.signature(for: data, padding: .PSS)
        #expect(!key.isValidSignature(Array(pssSignature.rawRepresentation), for: data))
    }
}
