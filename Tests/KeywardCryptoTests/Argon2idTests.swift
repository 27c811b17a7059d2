import Foundation
@testable import KeywardCrypto
import Testing

/// Known-answer tests for Argon2 (RFC 9106, version 0x13) and its input validation.
@Suite struct Argon2idTests {
    /// The inputs shared by the three test vectors of RFC 9106, section 5: password 32 × 0x01,
    /// salt 16 × 0x02, secret 8 × 0x03, associated data 12 × 0x04, m = 32, t = 3, p = 4, T = 32.
    static func rfc9106Tag(_ variant: Argon2id.Variant) throws -> [UInt8] {
        try Argon2id.computeTag(
            variant: variant,
            password: [UInt8](repeating: 0x01, count: 32),
            salt: [UInt8](repeating: 0x02, count: 16),
            parameters: Argon2id.Parameters(memoryKiB: 32, iterations: 3, parallelism: 4, tagLength: 32),
            secret: [UInt8](repeating: 0x03, count: 8),
            associatedData: [UInt8](repeating: 0x04, count: 12)
        )
    }

    // RFC 9106, section 5.1 (Argon2d test vector).
    @Test func argon2dMatchesRFC9106Section5Point1() throws {
        #expect(
            try Self.rfc9106Tag(.argon2d)
                == bytes(hex: "512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb"))
    }

    // RFC 9106, section 5.2 (Argon2i test vector).
    @Test func argon2iMatchesRFC9106Section5Point2() throws {
        #expect(
            try Self.rfc9106Tag(.argon2i)
                == bytes(hex: "c814d9d1dc7f37aa13f0d77f2494bda1c8de6b016dd388d29952a4c4672b6ce8"))
    }

    // RFC 9106, section 5.3 (Argon2id test vector), through the public API.
    @Test func argon2idMatchesRFC9106Section5Point3() throws {
        let tag = try Argon2id.hash(
            password: [UInt8](repeating: 0x01, count: 32),
            salt: [UInt8](repeating: 0x02, count: 16),
            parameters: Argon2id.Parameters(memoryKiB: 32, iterations: 3, parallelism: 4, tagLength: 32),
            secret: [UInt8](repeating: 0x03, count: 8),
            associatedData: [UInt8](repeating: 0x04, count: 12)
        )
        #expect(tag == bytes(hex: "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"))
    }

    /// Vectors of the reference implementation's `src/test.c` (phc-winner-argon2, Argon2id,
    /// version 0x13), reproduced with argon2-cffi 25.1 `hash_secret_raw`.
    @Test(arguments: [
        ("password", "somesalt", 2, 256, 1, "9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe"),
        ("password", "somesalt", 2, 256, 2, "6d093c501fd5999645e0ea3bf620d7b8be7fd2db59c20d9fff9539da2bf57037"),
        ("differentpassword", "somesalt", 2, 256, 1, "809ee7bc1705c508752152854bf322129a0a003e7f0edcfb774e1bf6a11d49e5"),
        ("password", "diffsalt", 2, 256, 1, "de75aca7cddda0104a7040c6c6c8fdbf2a88c378b0f1592081f0d3a52e13a5e6"),
    ])
    func argon2idMatchesTheReferenceImplementationVectors(
        password: String, salt: String, iterations: Int, memoryKiB: Int, parallelism: Int, expected: String
    ) throws {
        let parameters = Argon2id.Parameters(
            memoryKiB: memoryKiB, iterations: iterations, parallelism: parallelism, tagLength: 32)
        let tag = try Argon2id.hash(password: Array(password.utf8), salt: Array(salt.utf8), parameters: parameters)
        #expect(hex(tag) == expected)
    }

    /// Tag lengths on both sides of H′'s 64-byte switch, from argon2-cffi 25.1
    /// `hash_secret_raw(b"password", b"somesalt", 2, 64, 1, length, Type.ID)`.
    @Test(arguments: [
        (4, "0261c8db"),
        (64, "3af1343719195f0aec85c38a855a9b7737bd6037bef7af654a0457ccecec1ed5"
            + "3f5f7a043e2a705432c959819f6ac62d88b570d9f767603c9c0aa39ce339ec1f"),
        (65, "59128b0a371abe556663c18010f357609184488d5d37c45b9f6e107e326c46b1"
            + "c8180dc57002e6eb56b576cb6defae622457b45efcafb78b56b2d814a3baecb80d"),
        (128, "2838c903b4bcfc1720c50837fdcb55b25efbc8df39c05aa08342f92134cea3e3"
            + "d435b656d73043a826c43c7c04ab2d089268c74b1788074ea5ca8cee5ec4c8af"
            + "b6ae5caf476a3912c9db316b7f82caa413092548b9f9d14e868115c6b455d2a3"
            + "586305cc2d56c9612152c9966c13f777d9e6d411eb1c7a125891e9fd7b1ad8dc"),
    ])
    func tagsOfEveryLengthMatchArgon2Cffi(tagLength: Int, expected: String) throws {
        let parameters = Argon2id.Parameters(memoryKiB: 64, iterations: 2, parallelism: 1, tagLength: tagLength)
        let tag = try Argon2id.hash(password: Array("password".utf8), salt: Array("somesalt".utf8), parameters: parameters)
        #expect(hex(tag) == expected)
    }

    @Test func memoryThatIsNotAMultipleOfFourLanesIsRoundedDownLikeLibargon2() throws {
        // argon2-cffi 25.1: hash_secret_raw(b"password", b"somesalt", 1, 37, 2, 32, Type.ID).
        let parameters = Argon2id.Parameters(memoryKiB: 37, iterations: 1, parallelism: 2, tagLength: 32)
        let tag = try Argon2id.hash(password: Array("password".utf8), salt: Array("somesalt".utf8), parameters: parameters)
        #expect(hex(tag) == "d2d0091b6fd7f570b56c097caa1afb848e320ef41f385f7b3b5b4bdc4bf1526a")
    }

    @Test func anEmptyPasswordAtTheMinimumMemoryHashesLikeLibargon2() throws {
        // argon2-cffi 25.1: hash_secret_raw(b"", b"somesalt", 1, 8, 1, 32, Type.ID).
        let parameters = Argon2id.Parameters(memoryKiB: 8, iterations: 1, parallelism: 1, tagLength: 32)
        let tag = try Argon2id.hash(password: [UInt8](), salt: Array("somesalt".utf8), parameters: parameters)
        #expect(hex(tag) == "65eeedf51f4006be43eb26d1214182a97d5087767e3487bfbc849dd328145651")
    }

    @Test func owaspParametersAreNineteenMebibytesTwoPassesOneLane() {
        #expect(Argon2id.Parameters.owasp == Argon2id.Parameters(memoryKiB: 19_456, iterations: 2, parallelism: 1, tagLength: 32))
    }

    @Test func parametersRoundTripThroughJSON() throws {
        let data = try JSONEncoder().encode(Argon2id.Parameters.owasp)
        #expect(try JSONDecoder().decode(Argon2id.Parameters.self, from: data) == .owasp)
    }

    @Test(arguments: [
        (Argon2id.Parameters(memoryKiB: 64, iterations: 1, parallelism: 0), Argon2idError.parallelismOutOfRange),
        (Argon2id.Parameters(memoryKiB: 64, iterations: 1, parallelism: 1 << 24), .parallelismOutOfRange),
        (Argon2id.Parameters(memoryKiB: 7, iterations: 1, parallelism: 1), .memoryTooSmall),
        (Argon2id.Parameters(memoryKiB: 31, iterations: 1, parallelism: 4), .memoryTooSmall),
        (Argon2id.Parameters(memoryKiB: 1 << 32, iterations: 1, parallelism: 1), .memoryTooLarge),
        (Argon2id.Parameters(memoryKiB: 64, iterations: 0, parallelism: 1), .iterationsOutOfRange),
        (Argon2id.Parameters(memoryKiB: 64, iterations: -1, parallelism: 1), .iterationsOutOfRange),
        (Argon2id.Parameters(memoryKiB: 64, iterations: 1, parallelism: 1, tagLength: 3), .tagLengthOutOfRange),
        (Argon2id.Parameters(memoryKiB: 64, iterations: 1 << 32, parallelism: 1), .iterationsOutOfRange),
    ])
    func outOfRangeParametersThrowTheirStableCode(parameters: Argon2id.Parameters, expected: Argon2idError) {
        #expect(throws: expected) {
            try Argon2id.hash(password: Array("password".utf8), salt: Array("somesalt".utf8), parameters: parameters)
        }
    }

    @Test func aSaltShorterThanEightBytesIsRefused() {
        let error = #expect(throws: Argon2idError.self) {
            try Argon2id.hash(password: Array("password".utf8), salt: Array("salt".utf8), parameters: .owasp)
        }
        #expect(error?.code == "argon2id.saltTooShort")
    }

    @Test func errorsCompareByCodeAndDescribeThemselves() {
        #expect(Argon2idError.memoryTooSmall.code == "argon2id.memoryTooSmall")
        #expect(Argon2idError.memoryTooSmall != Argon2idError.memoryTooLarge)
        #expect(Argon2idError.saltTooShort.description.hasPrefix("argon2id.saltTooShort: "))
    }
}
