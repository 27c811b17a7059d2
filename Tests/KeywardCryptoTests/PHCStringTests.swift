import Foundation
@testable import KeywardCrypto
import Testing

/// The PHC string format, the verify / rehash helpers built on it, and constant-time comparison.
@Suite struct PHCStringTests {
    /// `$argon2id$…` for password "password", salt "somesalt", m=256, t=2, p=1, as libargon2's
    /// `src/test.c` and argon2-cffi 25.1 `hash_secret` write it.
    static let referenceEncoded = "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
    static let small = Argon2id.Parameters(memoryKiB: 64, iterations: 1, parallelism: 1)

    @Test func encodingAGivenSaltReproducesTheReferenceString() throws {
        let parameters = Argon2id.Parameters(memoryKiB: 256, iterations: 2, parallelism: 1)
        let encoded = try Argon2id.hashEncoded(password: "password", salt: Array("somesalt".utf8), parameters: parameters)
        #expect(encoded == Self.referenceEncoded)
    }

    @Test func theReferenceStringVerifiesOnlyWithItsPassword() throws {
        #expect(try Argon2id.verify(password: "password", encoded: Self.referenceEncoded))
        #expect(try !Argon2id.verify(password: "Password", encoded: Self.referenceEncoded))
        #expect(try !Argon2id.verify(password: "", encoded: Self.referenceEncoded))
    }

    @Test func parsingAndEncodingRoundTrip() throws {
        let parsed = try PHCString(parsing: Self.referenceEncoded)
        #expect(parsed.parameters == Argon2id.Parameters(memoryKiB: 256, iterations: 2, parallelism: 1, tagLength: 32))
        #expect(parsed.salt == Array("somesalt".utf8))
        #expect(parsed.hash == bytes(hex: "9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe"))
        #expect(parsed.encoded == Self.referenceEncoded)
    }

    @Test func hashEncodedUsesAFreshSixteenByteSaltAndVerifies() throws {
        let first = try Argon2id.hashEncoded(password: "correct horse ☃", parameters: Self.small)
        let second = try Argon2id.hashEncoded(password: "correct horse ☃", parameters: Self.small)
        #expect(first != second)
        #expect(try PHCString(parsing: first).salt.count == 16)
        #expect(first.hasPrefix("$argon2id$v=19$m=64,t=1,p=1$"))
        #expect(try Argon2id.verify(password: "correct horse ☃", encoded: first))
        #expect(try Argon2id.verify(password: "correct horse ☃", encoded: second))
        #expect(try !Argon2id.verify(password: "correct horse ☂", encoded: first))
    }

    @Test func parametersCanBeReadBackToDecideOnRehashing() throws {
        let encoded = try Argon2id.hashEncoded(password: "pw", parameters: Self.small)
        #expect(try Argon2id.parameters(ofEncoded: encoded) == Self.small)
        #expect(!Argon2id.needsRehash(encoded: encoded, parameters: Self.small))
        #expect(Argon2id.needsRehash(encoded: encoded, parameters: .owasp))
        #expect(Argon2id.needsRehash(encoded: Self.referenceEncoded, parameters: Self.small))
        #expect(Argon2id.needsRehash(encoded: "$2b$12$abcdefghijklmnopqrstuv", parameters: Self.small))
    }

    /// Each malformed or out-of-range string throws its code and never traps.
    @Test(arguments: [
        ("", Argon2idError.malformedEncoding),
        ("argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .malformedEncoding),
        ("$$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .malformedEncoding),
        ("$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .unsupportedVariant),
        ("$argon2d$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .unsupportedVariant),
        ("$ARGON2ID$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .unsupportedVariant),
        ("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", .unsupportedVariant),
        ("$argon2id$v=16$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .unsupportedVersion),
        ("$argon2id$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .unsupportedVersion),
        ("$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ", .malformedEncoding),
        ("$argon2id$v=19$m=256,t=2,p=1", .malformedEncoding),
        ("$argon2id", .malformedEncoding),
        ("$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4$", .malformedEncoding),
        ("$argon2id$v=19$t=2,m=256,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .malformedEncoding),
        ("$argon2id$v=19$m=256,t=2$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .malformedEncoding),
        ("$argon2id$v=19$m=256,t=2,p=1,keyid=Zm9v$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .malformedEncoding),
        ("$argon2id$v=19$m=2x6,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .malformedEncoding),
        ("$argon2id$v=19$m=-256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .malformedEncoding),
        ("$argon2id$v=19$m=0256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .malformedEncoding),
        ("$argon2id$v=19$m=,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .malformedEncoding),
        ("$argon2id$v=19$m=4294967296,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .malformedEncoding),
        ("$argon2id$v=19$m=99999999999999999999999,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .malformedEncoding),
        ("$argon2id$v=19$m=256,t=0,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .iterationsOutOfRange),
        ("$argon2id$v=19$m=256,t=2,p=0$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .parallelismOutOfRange),
        ("$argon2id$v=19$m=7,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .memoryTooSmall),
        ("$argon2id$v=19$m=256,t=2,p=4294967295$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .parallelismOutOfRange),
        ("$argon2id$v=19$m=256,t=2,p=1$c29tZQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .saltTooShort),
        ("$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65", .tagLengthOutOfRange),
        ("$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$", .invalidBase64),
        ("$argon2id$v=19$m=256,t=2,p=1$$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .invalidBase64),
        ("$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ=$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .invalidBase64),
        ("$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHR$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .invalidBase64),
        ("$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR_uIPnA4rEsF5h7TKyQwu9U1bMCHGi-4", .invalidBase64),
        ("$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR!uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", .invalidBase64),
        ("$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4AB", .invalidBase64),
        ("$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4\n", .invalidBase64),
        ("$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGé/4", .invalidBase64),
    ])
    func malformedStringsAreRefusedWithTheirCode(encoded: String, expected: Argon2idError) {
        #expect(throws: expected) { try PHCString(parsing: encoded) }
        #expect(throws: expected) { try Argon2id.verify(password: "password", encoded: encoded) }
        #expect(Argon2id.needsRehash(encoded: encoded, parameters: .owasp))
    }

    @Test func absurdButWellFormedCostsExceedTheLimitsInsteadOfAllocating() throws {
        let absurd = "$argon2id$v=19$m=4294967295,t=4294967295,p=16777215$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
        #expect(try Argon2id.parameters(ofEncoded: absurd).memoryKiB == 4_294_967_295)
        #expect(throws: Argon2idError.exceedsLimits) { try Argon2id.verify(password: "password", encoded: absurd) }
        let tight = Argon2id.Limits(maximumMemoryKiB: 128, maximumIterations: 64, maximumParallelism: 64)
        #expect(throws: Argon2idError.exceedsLimits) {
            try Argon2id.verify(password: "password", encoded: Self.referenceEncoded, limits: tight)
        }
    }

    @Test func base64MatchesFoundationWithoutPadding() {
        for length in 0..<40 {
            let data = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let expected = Data(data).base64EncodedString().replacingOccurrences(of: "=", with: "")
            #expect(PHCString.encodeBase64(data) == expected)
            if length > 0 {
                #expect(PHCString.decodeBase64(Array(expected.utf8)) == data)
            }
        }
    }

    @Test func constantTimeEqualsComparesLengthAndEveryByte() {
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
        #expect(ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 4] as [UInt8]))
        #expect(!ConstantTime.equals([0, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2] as [UInt8]))
        #expect(ConstantTime.equals(Array("abc".utf8), "abc".utf8))
    }
}
