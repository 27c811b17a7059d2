import Foundation
import KeywardCrypto
import KeywardTestSupport
import Testing

@Suite struct OneTimePasswordTests {
    // RFC 4226 Appendix D: the secret is the ASCII string "12345678901234567890".
    static let rfc4226Secret = Array("12345678901234567890".utf8)

    @Test func hotpMatchesRFC4226AppendixD() {
        let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
        let generator = OneTimePassword(secret: Self.rfc4226Secret)
        #expect((0..<10).map { generator.code(counter: UInt64($0)) } == expected)
    }

    // RFC 6238 Appendix B: 8-digit codes, with a 20-, 32- and 64-byte ASCII seed for SHA-1, SHA-256, SHA-512.
    static let rfc6238: [(time: TimeInterval, sha1: String, sha256: String, sha512: String)] = [
        (59, "94287082", "46119246", "90693936"),
        (1_111_111_109, "07081804", "68084774", "25091201"),
        (1_111_111_111, "14050471", "67062674", "99943326"),
        (1_234_567_890, "89005924", "91819424", "93441116"),
        (2_000_000_000, "69279037", "90698825", "38618901"),
        (20_000_000_000, "65353130", "77737706", "47863826"),
    ]

    @Test func totpMatchesRFC6238AppendixB() {
        let sha1 = OneTimePassword(secret: Array("12345678901234567890".utf8), digits: 8, algorithm: .sha1)
        let sha256 = OneTimePassword(secret: Array("12345678901234567890123456789012".utf8), digits: 8, algorithm: .sha256)
        let sha512 = OneTimePassword(
            secret: Array("1234567890123456789012345678901234567890123456789012345678901234".utf8), digits: 8, algorithm: .sha512)
        for vector in Self.rfc6238 {
            let date = Date(timeIntervalSince1970: vector.time)
            #expect(sha1.code(at: date) == vector.sha1, "SHA-1 at \(vector.time)")
            #expect(sha256.code(at: date) == vector.sha256, "SHA-256 at \(vector.time)")
            #expect(sha512.code(at: date) == vector.sha512, "SHA-512 at \(vector.time)")
        }
    }

    @Test func theDriftWindowAcceptsAdjacentStepsOnly() {
        let generator = OneTimePassword(secret: Self.rfc4226Secret)
        let now = Date(timeIntervalSince1970: 1_790_000_015)
        let step = generator.step(at: now)
        #expect(generator.matchingStep(generator.code(counter: step - 1), at: now) == step - 1)
        #expect(generator.matchingStep(generator.code(counter: step + 1), at: now) == step + 1)
        #expect(generator.matchingStep(generator.code(counter: step + 2), at: now) == nil)
        #expect(generator.matchingStep(generator.code(counter: step), at: now, window: 0) == step)
        #expect(generator.matchingStep("12345", at: now) == nil)
    }

    // RFC 4648 section 10 test vectors, written here without padding.
    @Test func base32MatchesRFC4648AndReadsWhatPeopleType() throws {
        let vectors = ["": "", "f": "MY", "fo": "MZXQ", "foo": "MZXW6", "foob": "MZXW6YQ", "fooba": "MZXW6YTB", "foobar": "MZXW6YTBOI"]
        for (plain, encoded) in vectors {
            #expect(Base32.encode(Array(plain.utf8)) == encoded)
            #expect(Base32.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base32.decode("mzxw 6ytb-oi======") == Array("foobar".utf8))
        #expect(Base32.decode("MZXW1") == nil)
        #expect(Base32.decode("M") == nil)
        let random = SecureRandom.bytes(20)
        #expect(Base32.decode(Base32.encode(random)) == random)
    }

    @Test(arguments: [10, 16, 20, 32])
    func aSavedKeyGivesTheSameCodesInOathtoolAndPyotp(secretBytes: Int) throws {
        for _ in 0..<3 {
            let secret = SecureRandom.bytes(secretBytes)
            let key = Base32.encode(secret)
            let seconds = Int.random(in: 1_000_000_000...4_000_000_000)
            let ours = OneTimePassword(secret: secret).code(at: Date(timeIntervalSince1970: TimeInterval(seconds)))
            let oathtool = try ExternalCommand.run(["oathtool", "--totp", "--base32", key, "-N", "@\(seconds)"])
            #expect(ours == oathtool, "oathtool disagrees for a \(secretBytes)-byte key")
            // pyotp refuses keys shorter than 112 bits, such as the 80-bit (16-character) ones.
            guard secretBytes >= 14 else { continue }
            let pyotp = try ExternalCommand.run(["python3", "-c", "import pyotp, sys; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))",
                                 key, String(seconds)])
            #expect(ours == pyotp, "pyotp disagrees for a \(secretBytes)-byte key")
        }
    }
}
