import KeywardCrypto
import Testing

/// Known-answer tests for BLAKE2b. Expected values come from RFC 7693 Appendix A, the BLAKE2
/// reference known-answer file (`blake2b-kat.txt`), and Python's `hashlib.blake2b`
/// (CPython 3.11, which wraps the reference implementation), written here as literals.
@Suite struct Blake2bTests {
    @Test func blake2b512OfAbcMatchesRFC7693AppendixA() {
        #expect(
            Blake2b.hash(Array("abc".utf8)) == bytes(
                hex: "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
                    + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"))
    }

    @Test func blake2b512OfEmptyInputMatchesHashlib() {
        #expect(
            Blake2b.hash([UInt8]()) == bytes(
                hex: "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
                    + "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce"))
    }

    @Test func shorterDigestsAreNotTruncationsOfTheLongOne() {
        let fox = Array("The quick brown fox jumps over the lazy dog".utf8)
        // hashlib.blake2b(fox, digest_size=64 / 32).hexdigest(); digest_size=1 of "abc".
        #expect(
            Blake2b.hash(fox) == bytes(
                hex: "a8add4bdddfd93e4877d2746e62817b116364a1fa7bc148d95090bc7333b3673"
                    + "f82401cf7aa2e4cb1ecd90296e3f14cb5413f8ed77be73045b13914cdcd6a918"))
        #expect(
            Blake2b.hash(fox, digestLength: 32)
                == bytes(hex: "01718cec35cd3d796dd00020e0bfecb473ad23457d063b75eff29c0ffa2e58a9"))
        #expect(Blake2b.hash(Array("abc".utf8), digestLength: 1) == [0x6b])
    }

    @Test func inputsAroundTheBlockBoundaryMatchHashlib() {
        // hashlib.blake2b(bytes(range(n))) for n = 128 (exactly one block) and 129.
        #expect(
            Blake2b.hash((0..<128).map { UInt8($0) }) == bytes(
                hex: "2319e3789c47e2daa5fe807f61bec2a1a6537fa03f19ff32e87eecbfd64b7e0e"
                    + "8ccff439ac333b040f19b0c4ddd11a61e24ac1fe0f10a039806c5dcc0da3d115"))
        #expect(
            Blake2b.hash((0..<129).map { UInt8($0) }) == bytes(
                hex: "f59711d44a031d5f97a9413c065d1e614c417ede998590325f49bad2fd444d3e"
                    + "4418be19aec4e11449ac1a57207898bc57d76a1bcf3566292c20c683a5c4648f"))
    }

    @Test func incrementalUpdatesInAnyChunkingEqualTheOneShotHash() {
        // hashlib.blake2b(bytes(i % 251 for i in range(1000))), 64- and 20-byte digests.
        let message = (0..<1000).map { UInt8($0 % 251) }
        let expected64 = bytes(
            hex: "c11e1c0340bd7e5a1b275f1230c962fad215ecb1391486e74e31b960a2f29963"
                + "81a5fad092da06841d5f26e38f6ecfeaf441acbcd1c2de61aef121e7927175f5")
        #expect(Blake2b.hash(message) == expected64)
        #expect(Blake2b.hash(message, digestLength: 20) == bytes(hex: "fc9a2426db78846a07219bc181a52bae9a62eacc"))
        for chunkSize in [1, 7, 64, 127, 128, 129, 300, 999] {
            var hasher = Blake2b()
            var start = 0
            while start < message.count {
                let end = min(start + chunkSize, message.count)
                hasher.update(message[start..<end])
                start = end
            }
            #expect(hasher.finalize() == expected64, "chunk size \(chunkSize)")
        }
    }

    @Test func finalizeLeavesTheHasherUsableForMoreInput() {
        var hasher = Blake2b()
        hasher.update(Array("ab".utf8))
        _ = hasher.finalize()
        hasher.update(Array("c".utf8))
        #expect(hasher.finalize() == Blake2b.hash(Array("abc".utf8)))
    }

    @Test func keyedHashesMatchTheReferenceKnownAnswers() {
        let key = (0..<64).map { UInt8($0) }
        // blake2b-kat.txt: in = (empty), key = 00…3f.
        #expect(
            Blake2b.hash([UInt8](), key: key) == bytes(
                hex: "10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786"
                    + "b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568"))
        // blake2b-kat.txt: in = 00…ff (256 bytes), key = 00…3f.
        #expect(
            Blake2b.hash((0..<256).map { UInt8($0) }, key: key) == bytes(
                hex: "b72071e096277edebb8ee5134dd3714996307ba3a55aa4733d412abbe28e909e"
                    + "10e57e6fbfb4ef53b3b960518294ff889a90829254412e2a60b85add07a3674f"))
        // hashlib.blake2b(b"abc", key=b"key", digest_size=32).
        #expect(
            Blake2b.hash(Array("abc".utf8), digestLength: 32, key: Array("key".utf8))
                == bytes(hex: "0330531d097355a3f72e80d55c1245ccf79f1704431c6e3887938320442c23c0"))
    }
}

/// Decodes a hexadecimal literal, ignoring spaces and line breaks (shared by the KeywardCrypto test files).
func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") })
    precondition(digits.count % 2 == 0, "odd-length hex literal")
    func value(_ digit: UInt8) -> UInt8 {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: preconditionFailure("not a hex digit")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
}

/// Lowercase hexadecimal of `bytes` (shared by the KeywardCrypto test files).
func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var output: [UInt8] = []
    for byte in bytes {
        output.append(digits[Int(byte >> 4)])
        output.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: output, as: UTF8.self)
}
