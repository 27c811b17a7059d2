import KeywardCrypto
import Testing

struct EncodingExample: Sendable, CustomTestStringConvertible {
    let hex: String
    let value: CBORValue
    /// The deterministic re-encoding when it differs from `hex`.
    let reencodedHex: String?

    init(_ hex: String, _ value: CBORValue, reencoded reencodedHex: String? = nil) {
        self.hex = hex
        self.value = value
        self.reencodedHex = reencodedHex
    }

    var testDescription: String { hex }
}

private let oneToTwentyFive = CBORValue.array((1...25).map { .integer($0) })

/// Every example of RFC 8949, Appendix A ("Examples of Encoded CBOR Data Items").
/// RFC 7049's `simple(24)` as 0xf818 is absent: RFC 8949, Section 3.3 makes it not well-formed,
/// and `twoByteSimpleValuesBelow32AreRefused` checks that it is refused.
let appendixAExamples: [EncodingExample] = [
    .init("00", 0),
    .init("01", 1),
    .init("0a", 10),
    .init("17", 23),
    .init("1818", 24),
    .init("1819", 25),
    .init("1864", 100),
    .init("1903e8", 1000),
    .init("1a000f4240", 1_000_000),
    .init("1b000000e8d4a51000", 1_000_000_000_000),
    .init("1bffffffffffffffff", .unsignedInteger(18_446_744_073_709_551_615)),
    .init("c249010000000000000000", .tagged(2, .byteString([1, 0, 0, 0, 0, 0, 0, 0, 0]))),
    .init("3bffffffffffffffff", .negativeInteger(argument: 18_446_744_073_709_551_615)),
    .init("c349010000000000000000", .tagged(3, .byteString([1, 0, 0, 0, 0, 0, 0, 0, 0]))),
    .init("20", -1),
    .init("29", -10),
    .init("3863", -100),
    .init("3903e7", -1000),
    .init("f90000", .float(0.0)),
    .init("f98000", .float(-0.0)),
    .init("f93c00", .float(1.0)),
    .init("fb3ff199999999999a", .float(1.1)),
    .init("f93e00", .float(1.5)),
    .init("f97bff", .float(65504.0)),
    .init("fa47c35000", .float(100_000.0)),
    .init("fa7f7fffff", .float(3.4028234663852886e+38)),
    .init("fb7e37e43c8800759c", .float(1.0e+300)),
    .init("f90001", .float(5.960464477539063e-8)),
    .init("f90400", .float(0.00006103515625)),
    .init("f9c400", .float(-4.0)),
    .init("fbc010666666666666", .float(-4.1)),
    .init("f97c00", .float(.infinity)),
    .init("f97e00", .float(.nan)),
    .init("f9fc00", .float(-.infinity)),
    .init("fa7f800000", .float(.infinity), reencoded: "f97c00"),
    .init("fa7fc00000", .float(.nan), reencoded: "f97e00"),
    .init("faff800000", .float(-.infinity), reencoded: "f9fc00"),
    .init("fb7ff0000000000000", .float(.infinity), reencoded: "f97c00"),
    .init("fb7ff8000000000000", .float(.nan), reencoded: "f97e00"),
    .init("fbfff0000000000000", .float(-.infinity), reencoded: "f9fc00"),
    .init("f4", false),
    .init("f5", true),
    .init("f6", .null),
    .init("f7", .undefined),
    .init("f0", .simple(16)),
    .init("f8ff", .simple(255)),
    .init("c074323031332d30332d32315432303a30343a30305a", .tagged(0, "2013-03-21T20:04:00Z")),
    .init("c11a514b67b0", .tagged(1, 1_363_896_240)),
    .init("c1fb41d452d9ec200000", .tagged(1, .float(1_363_896_240.5))),
    .init("d74401020304", .tagged(23, .byteString([1, 2, 3, 4]))),
    .init("d818456449455446", .tagged(24, .byteString([0x64, 0x49, 0x45, 0x54, 0x46]))),
    .init("d82076687474703a2f2f7777772e6578616d706c652e636f6d", .tagged(32, "http://www.example.com")),
    .init("40", .byteString([])),
    .init("4401020304", .byteString([1, 2, 3, 4])),
    .init("60", ""),
    .init("6161", "a"),
    .init("6449455446", "IETF"),
    .init("62225c", "\"\\"),
    .init("62c3bc", "\u{00FC}"),
    .init("63e6b0b4", "\u{6C34}"),
    .init("64f0908591", "\u{10151}"),
    .init("80", []),
    .init("83010203", [1, 2, 3]),
    .init("8301820203820405", [1, [2, 3], [4, 5]]),
    .init("98190102030405060708090a0b0c0d0e0f101112131415161718181819", oneToTwentyFive),
    .init("a0", [:]),
    .init("a201020304", [1: 2, 3: 4]),
    .init("a26161016162820203", ["a": 1, "b": [2, 3]]),
    .init("826161a161626163", ["a", ["b": "c"]]),
    .init("a56161614161626142616361436164614461656145", ["a": "A", "b": "B", "c": "C", "d": "D", "e": "E"]),
    .init("5f42010243030405ff", .byteString([1, 2, 3, 4, 5]), reencoded: "450102030405"),
    .init("7f657374726561646d696e67ff", "streaming", reencoded: "6973747265616d696e67"),
    .init("9fff", [], reencoded: "80"),
    .init("9f018202039f0405ffff", [1, [2, 3], [4, 5]], reencoded: "8301820203820405"),
    .init("9f01820203820405ff", [1, [2, 3], [4, 5]], reencoded: "8301820203820405"),
    .init("83018202039f0405ff", [1, [2, 3], [4, 5]], reencoded: "8301820203820405"),
    .init("83019f0203ff820405", [1, [2, 3], [4, 5]], reencoded: "8301820203820405"),
    .init(
        "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", oneToTwentyFive,
        reencoded: "98190102030405060708090a0b0c0d0e0f101112131415161718181819"),
    .init("bf61610161629f0203ffff", ["a": 1, "b": [2, 3]], reencoded: "a26161016162820203"),
    .init("826161bf61626163ff", ["a", ["b": "c"]], reencoded: "826161a161626163"),
    .init("bf6346756ef563416d7421ff", ["Fun": true, "Amt": -2], reencoded: "a26346756ef563416d7421"),
]

@Suite struct CBORDecodingTests {
    @Test(arguments: appendixAExamples)
    func appendixAExampleDecodesToItsValue(example: EncodingExample) throws {
        #expect(try CBORDecoder.decode(bytes(hex: example.hex)) == example.value)
    }

    @Test(arguments: appendixAExamples)
    func appendixAExampleEncodesDeterministically(example: EncodingExample) {
        #expect(example.value.encoded() == bytes(hex: example.reencodedHex ?? example.hex))
    }

    @Test func halfPrecisionNaNAndSignedZeroKeepTheirBits() throws {
        guard case .float(let nan) = try CBORDecoder.decode(bytes(hex: "f97e00")) else {
            Issue.record("not a float")
            return
        }
        #expect(nan.isNaN)
        guard case .float(let negativeZero) = try CBORDecoder.decode(bytes(hex: "f98000")) else {
            Issue.record("not a float")
            return
        }
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
        #expect(CBORValue.float(0.0) != CBORValue.float(-0.0))
    }

    @Test func prefixDecodingReportsTheBytesUsed() throws {
        let coseKeyThenExtensions = bytes(hex: "a201020304") + bytes(hex: "a1646372656400")
        let first = try CBORDecoder.decodePrefix(coseKeyThenExtensions)
        #expect(first.value == [1: 2, 3: 4])
        #expect(first.consumed == 5)
        let second = try CBORDecoder.decodePrefix(coseKeyThenExtensions[first.consumed...])
        #expect(second.value == ["cred": 0])
        #expect(second.consumed == 7)
    }

    @Test func accessorsReadMapsAndScalars() throws {
        let value = try CBORDecoder.decode(bytes(hex: "a3016161626b6b8220f542686900"))
        #expect(value[1]?.text == "a")
        #expect(value["kk"]?.array == [-1, true])
        #expect(value["kk"]?.array?.first?.int == -1)
        #expect(value[2] == nil)
        #expect(value.map?.count == 3)
        #expect(CBORValue.integer(7)[1] == nil)
        #expect(CBORValue.byteString([1]).bytes == [1])
        #expect(CBORValue.textString("x").bytes == nil)
        #expect(CBORValue.unsignedInteger(.max).int == nil)
        #expect(CBORValue.negativeInteger(argument: .max).int == nil)
        #expect(CBORValue.negativeInteger(argument: UInt64(Int64.max)).int == .min)
        #expect(CBORValue.unsignedInteger(UInt64(Int64.max)).int == .max)
    }

    @Test func textIsComparedByItsBytes() throws {
        let precomposed = CBORValue.textString("\u{E9}")
        let decomposed = CBORValue.textString("e\u{301}")
        #expect(precomposed != decomposed)
        let map = try CBORDecoder.decode(bytes(hex: "a2 62c3a9 01 6365cc81 02"))
        #expect(map["\u{E9}"] == 1)
        #expect(map["e\u{301}"] == 2)
    }

    @Test func depthUpToTheLimitIsAccepted() throws {
        let sixteenDeep = [UInt8](repeating: 0x81, count: 16) + [0x00]
        _ = try CBORDecoder.decode(sixteenDeep)
    }

    @Test func decodedValuesSurviveReencoding() throws {
        for example in appendixAExamples {
            let value = try CBORDecoder.decode(bytes(hex: example.hex))
            #expect(try CBORDecoder.decode(value.encoded()) == value)
        }
    }
}

@Suite struct CBOREncodingTests {
    @Test func integerArgumentsTakeTheirShortestForm() {
        let cases: [(CBORValue, String)] = [
            (23, "17"), (24, "1818"), (255, "18ff"), (256, "190100"), (65535, "19ffff"),
            (65536, "1a00010000"), (.unsignedInteger(0xFFFF_FFFF), "1affffffff"),
            (.unsignedInteger(0x1_0000_0000), "1b0000000100000000"),
            (-24, "37"), (-25, "3818"), (.integer(.min), "3b7fffffffffffffff"),
        ]
        for (value, hex) in cases {
            #expect(value.encoded() == bytes(hex: hex), "\(hex)")
        }
    }

    @Test func floatsTakeTheShortestExactPrecision() {
        let cases: [(Double, String)] = [
            (0.5, "f93800"), (65505, "fa477fe100"), (0.1, "fb3fb999999999999a"),
            (Double(Float(0.1)), "fa3dcccccd"), (1.0 / 16_777_216 * 3, "f90003"),
            (-5.960464477539063e-8, "f98001"), (1.0e-8, "fb3e45798ee2308c3a"),
            (65536, "fa47800000"), (Double(Float.leastNonzeroMagnitude), "fa00000001"),
        ]
        for (number, hex) in cases {
            #expect(CBORValue.float(number).encoded() == bytes(hex: hex), "\(number)")
        }
    }

    @Test func nanPayloadsAreKept() throws {
        for hex in ["f97e01", "fa7fc00001", "fa7f800001", "fb7ff8000000000001", "fb7ff0000000000001", "f9fe00"] {
            let value = try CBORDecoder.decode(bytes(hex: hex))
            #expect(value.encoded() == bytes(hex: hex), "\(hex)")
        }
    }

    @Test func simpleValuesUseTheirOwnForms() {
        #expect(CBORValue.simple(0).encoded() == [0xE0])
        #expect(CBORValue.simple(20).encoded() == [0xF4])
        #expect(CBORValue.simple(32).encoded() == [0xF8, 0x20])
    }

    @Test func mapsKeepTheirOrder() {
        let map: CBORValue = ["fmt": "none", "attStmt": [:], "authData": .byteString([0xAA])]
        #expect(map.encoded() == bytes(hex: "a3 63666d74 646e6f6e65 6761747453746d74 a0 686175746844617461 41aa"))
    }
}

@Suite struct CBORMalformedInputTests {
    private func expectError(_ kind: CBORError.Kind, _ input: [UInt8], limits: CBORLimits = .init(),
                             sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let value = try CBORDecoder.decode(input, limits: limits)
            Issue.record("decoded \(value) instead of failing", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == kind, sourceLocation: sourceLocation)
        }
    }

    @Test func emptyInputIsTruncated() {
        expectError(.truncated, [])
    }

    @Test func everyTruncationOfAValidItemIsRefused() {
        for example in appendixAExamples {
            let whole = bytes(hex: example.hex)
            for length in 0..<whole.count {
                expectError(.truncated, Array(whole[..<length]))
            }
        }
    }

    @Test func hugeDeclaredLengthsOnShortInputAreRefusedWithoutAllocating() {
        let twoToThe63 = [0x80, 0, 0, 0, 0, 0, 0, 0] as [UInt8]
        let twoToThe32 = [0, 0, 0, 1, 0, 0, 0, 0] as [UInt8]
        for majorType: UInt8 in [2, 3, 4, 5] {
            let head = majorType << 5 | 27
            expectError(.truncated, [head] + twoToThe63 + [0x00])
            expectError(.truncated, [head] + twoToThe32 + [0x00])
            expectError(.truncated, [head] + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
            expectError(.truncated, [majorType << 5 | 26, 0xFF, 0xFF, 0xFF, 0xFF, 0x00])
        }
        expectError(.truncated, [0x5F, 0x5B] + twoToThe63 + [0x00, 0xFF])
    }

    @Test func deepNestingIsRefused() {
        expectError(.depthLimitExceeded, [UInt8](repeating: 0x81, count: 10_000) + [0x00])
        expectError(.depthLimitExceeded, [UInt8](repeating: 0x9F, count: 10_000))
        expectError(.depthLimitExceeded, [UInt8](repeating: 0xC6, count: 10_000) + [0x00])
        expectError(.depthLimitExceeded, [UInt8](repeating: 0xA1, count: 10_000))
        expectError(.depthLimitExceeded, [UInt8](repeating: 0x81, count: 17) + [0x00])
    }

    @Test func tooManyItemsAreRefused() {
        let twentyItems = bytes(hex: "94") + [UInt8](repeating: 0x00, count: 20)
        expectError(.itemLimitExceeded, twentyItems, limits: CBORLimits(maximumItems: 10))
        let manyChunks = [0x5F] + [UInt8](repeating: 0x40, count: 20) + [0xFF]
        expectError(.itemLimitExceeded, manyChunks, limits: CBORLimits(maximumItems: 10))
        expectError(.itemLimitExceeded, [0x9F] + [UInt8](repeating: 0x00, count: 10_001) + [0xFF])
    }

    @Test func trailingBytesAreRefused() throws {
        expectError(.trailingBytes, [0x00, 0x00])
        expectError(.trailingBytes, bytes(hex: "8301020304"))
        let prefix = try CBORDecoder.decodePrefix([0x01, 0x02])
        #expect(prefix.value == 1 && prefix.consumed == 1)
    }

    @Test func reservedAdditionalInformationIsRefused() {
        for majorType: UInt8 in 0...7 {
            for additionalInformation: UInt8 in 28...30 {
                expectError(.reservedAdditionalInformation, [majorType << 5 | additionalInformation, 0, 0, 0, 0, 0, 0, 0, 0])
            }
        }
    }

    @Test func indefiniteLengthIntegersAndTagsAreRefused() {
        expectError(.indefiniteLengthNotAllowed, [0x1F])
        expectError(.indefiniteLengthNotAllowed, [0x3F])
        expectError(.indefiniteLengthNotAllowed, [0xDF, 0x00])
    }

    @Test func misplacedBreaksAreRefused() {
        expectError(.unexpectedBreak, [0xFF])
        expectError(.unexpectedBreak, bytes(hex: "8201ff"))
        expectError(.unexpectedBreak, bytes(hex: "bf01ff"))
        expectError(.unexpectedBreak, bytes(hex: "a1ff00"))
        expectError(.unexpectedBreak, bytes(hex: "c6ff"))
    }

    @Test func indefiniteStringsWithForeignChunksAreRefused() {
        expectError(.invalidChunk, bytes(hex: "7f4161ff"))
        expectError(.invalidChunk, bytes(hex: "5f6161ff"))
        expectError(.invalidChunk, bytes(hex: "5f5fffff"))
        expectError(.invalidChunk, bytes(hex: "7f00ff"))
    }

    @Test func invalidUTF8IsRefused() {
        expectError(.invalidUTF8, bytes(hex: "62c328"))
        expectError(.invalidUTF8, bytes(hex: "61ff"))
        expectError(.invalidUTF8, bytes(hex: "62c080"))
        expectError(.invalidUTF8, bytes(hex: "63eda080"))
        expectError(.invalidUTF8, bytes(hex: "64f4908080"))
        expectError(.invalidUTF8, bytes(hex: "7f61c361bcff"))
    }

    @Test func duplicateMapKeysAreRefused() {
        expectError(.duplicateMapKey, bytes(hex: "a201020103"))
        expectError(.duplicateMapKey, bytes(hex: "a2616101616102"))
        expectError(.duplicateMapKey, bytes(hex: "a20100180100"))
        expectError(.duplicateMapKey, bytes(hex: "bf20012002ff"))
        expectError(.duplicateMapKey, bytes(hex: "a2820102008201020a"))
    }

    @Test func twoByteSimpleValuesBelow32AreRefused() {
        expectError(.invalidSimpleValue, [0xF8, 0x00])
        expectError(.invalidSimpleValue, [0xF8, 0x14])
        expectError(.invalidSimpleValue, [0xF8, 0x18])
        expectError(.invalidSimpleValue, [0xF8, 0x1F])
    }

    @Test func cborErrorsDescribeThemselvesStably() {
        #expect(CBORError(.truncated, offset: 3).description == "cbor.truncated at byte 3")
    }

    @Test func randomAndMutatedInputsOnlyReturnOrThrow() {
        var generator = SplitMix64(seed: 0x5EED_CB0F)
        var decodedCount = 0
        func attempt(_ input: [UInt8]) {
            if let value = try? CBORDecoder.decode(input) {
                decodedCount += 1
                #expect((try? CBORDecoder.decode(value.encoded())) == value)
            }
            _ = try? CBORDecoder.decodePrefix(input)
        }
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...48, using: &generator)
            attempt((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
        let seeds = appendixAExamples.map { bytes(hex: $0.hex) }
        for _ in 0..<20_000 {
            var input = seeds[Int.random(in: 0..<seeds.count, using: &generator)]
            for _ in 0...Int.random(in: 0...3, using: &generator) {
                let index = Int.random(in: 0...input.count, using: &generator)
                let byte = UInt8.random(in: 0...255, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0 where index < input.count: input[index] = byte
                case 1 where index < input.count: input[index] ^= 1 << UInt8.random(in: 0...7, using: &generator)
                case 2 where index < input.count: input.remove(at: index)
                default: input.insert(byte, at: index)
                }
            }
            attempt(input)
        }
        #expect(decodedCount > 0)
    }
}
