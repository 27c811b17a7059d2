import Foundation
@testable import KeywardCrypto
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct QRCodeTests {
    typealias Level = QRCode.ErrorCorrectionLevel

    // MARK: Structure

    @Test func shortTextTakesVersionOneAndTheSizeGrowsByFourModulesPerVersion() throws {
        let hello = try QRCode(text: "HELLO WORLD")
        #expect(hello.version == 1)
        #expect(hello.size == 21)
        #expect(hello.errorCorrectionLevel == .medium)
        #expect(try QRCode(text: "").version == 1)
        for length in [20, 100, 150, 500, 1000] {
            let code = try QRCode(bytes: [UInt8](repeating: 0x41, count: length), errorCorrectionLevel: .quartile)
            #expect(code.size == 17 + 4 * code.version)
        }
    }

    // ISO/IEC 18004:2015 Table 7, byte mode capacities. Versions 9 and 10 straddle the change
    // of the character count field from 8 to 16 bits.
    static let byteCapacities: [(version: Int, level: Level, bytes: Int)] = [
        (1, .low, 17), (1, .medium, 14), (1, .quartile, 11), (1, .high, 7),
        (2, .low, 32), (2, .medium, 26), (2, .quartile, 20), (2, .high, 14),
        (9, .low, 230), (9, .medium, 180), (9, .quartile, 130), (9, .high, 98),
        (10, .low, 271), (10, .medium, 213), (10, .quartile, 151), (10, .high, 119),
        (40, .low, 2953), (40, .medium, 2331), (40, .quartile, 1663), (40, .high, 1273),
    ]

    @Test func theSmallestVersionIsChosenUpToTheStandardsByteCapacity() throws {
        for entry in Self.byteCapacities {
            let full = try QRCode(bytes: [UInt8](repeating: 0x61, count: entry.bytes), errorCorrectionLevel: entry.level)
            #expect(full.version == entry.version, "\(entry.bytes) bytes at \(entry.level)")
            guard entry.version < 40 else { continue }
            let over = try QRCode(bytes: [UInt8](repeating: 0x61, count: entry.bytes + 1), errorCorrectionLevel: entry.level)
            #expect(over.version == entry.version + 1, "\(entry.bytes + 1) bytes at \(entry.level)")
        }
    }

    @Test(arguments: Level.allCases)
    func inputBeyondVersionFortyThrowsTooLong(level: Level) {
        let capacity = Self.byteCapacities.first { $0.version == 40 && $0.level == level }!.bytes
        #expect(throws: QRCodeError.tooLong) {
            try QRCode(bytes: [UInt8](repeating: 0x61, count: capacity + 1), errorCorrectionLevel: level)
        }
        #expect(throws: QRCodeError.tooLong) {
            try QRCode(text: String(repeating: "é", count: 100_000), errorCorrectionLevel: level)
        }
        #expect(QRCodeError.tooLong.code == "qr.too_long")
    }

    /// Expects the 7 × 7 finder pattern at `top`, `left` and its light separator.
    private func expectFinderPattern(_ code: QRCode, top: Int, left: Int) {
        for row in (top - 1)...(top + 7) {
            for column in (left - 1)...(left + 7) where (0..<code.size).contains(row) && (0..<code.size).contains(column) {
                let distanceFromCentre = max(abs(row - top - 3), abs(column - left - 3))
                let expected = distanceFromCentre <= 1 || distanceFromCentre == 3
                #expect(code.isDark(row: row, column: column) == expected, "v\(code.version) finder module \(row),\(column)")
            }
        }
    }

    @Test(arguments: [1, 2, 7, 14, 40])
    func finderTimingAlignmentAndDarkModulesSitWhereTheStandardPutsThem(version: Int) throws {
        let capacity = QRCode.BlockStructure(version: version, level: .low).dataCodewords - 3
        let code = try QRCode(bytes: [UInt8](repeating: 0x5A, count: capacity), errorCorrectionLevel: .low)
        #expect(code.version == version)
        let last = code.size - 1
        expectFinderPattern(code, top: 0, left: 0)
        expectFinderPattern(code, top: 0, left: last - 6)
        expectFinderPattern(code, top: last - 6, left: 0)
        for index in 8...(last - 8) {
            #expect(code.isDark(row: 6, column: index) == index.isMultiple(of: 2))
            #expect(code.isDark(row: index, column: 6) == index.isMultiple(of: 2))
        }
        #expect(code.isDark(row: 4 * version + 9, column: 8))
        if version >= 2 {
            // The bottom-right alignment pattern is centred 6 modules in from the far corner.
            let centre = last - 6
            for row in (centre - 2)...(centre + 2) {
                for column in (centre - 2)...(centre + 2) {
                    let ring = max(abs(row - centre), abs(column - centre))
                    #expect(code.isDark(row: row, column: column) == (ring != 1))
                }
            }
        }
    }

    // MARK: Format and version information

    /// A BCH remainder computed independently of the encoder, by long division over GF(2).
    private func remainder(_ value: Int, dividedBy generator: Int) -> Int {
        let degree = Int.bitWidth - 1 - generator.leadingZeroBitCount
        var value = value
        while value != 0, Int.bitWidth - 1 - value.leadingZeroBitCount >= degree {
            value ^= generator << (Int.bitWidth - 1 - value.leadingZeroBitCount - degree)
        }
        return value
    }

    /// Both copies of the 15 format bits, most significant first, as a reader finds them.
    private func formatInformation(of code: QRCode) -> (nearTopLeft: Int, split: Int) {
        let n = code.size
        var topLeftPositions = (0...5).map { (8, $0) } + [(8, 7), (8, 8), (7, 8)]
        topLeftPositions += (0...5).reversed().map { ($0, 8) }
        let splitPositions = (0...6).map { (n - 1 - $0, 8) } + (0...7).map { (8, n - 8 + $0) }
        func read(_ positions: [(Int, Int)]) -> Int {
            positions.reduce(0) { $0 << 1 | (code.isDark(row: $1.0, column: $1.1) ? 1 : 0) }
        }
        return (read(topLeftPositions), read(splitPositions))
    }

    @Test(arguments: Level.allCases)
    func formatInformationReadBackFromTheSymbolDecodesToTheChosenLevelAndMask(level: Level) throws {
        var masksSeen = Set<Int>()
        for text in ["HELLO WORLD", "otpauth://totp/Keyward:bob?secret=ABCDEFGHIJKLMNOP", String(repeating: "Keyward ", count: 40)]
            + (0..<30).map({ "sample \($0)" })
        {
            let code = try QRCode(text: text, errorCorrectionLevel: level)
            let format = formatInformation(of: code)
            #expect(format.nearTopLeft == format.split)
            let unmasked = format.nearTopLeft ^ 0x5412
            #expect(remainder(unmasked, dividedBy: 0b101_0011_0111) == 0, "not a BCH(15,5) codeword")
            let indicator: [Int: Level] = [0b01: .low, 0b00: .medium, 0b11: .quartile, 0b10: .high]
            #expect(indicator[unmasked >> 13] == level)
            #expect(unmasked >> 10 & 0b111 == code.maskPattern)
            masksSeen.insert(code.maskPattern)
        }
        #expect(masksSeen.count > 1, "the mask never varies")
    }

    // ISO/IEC 18004:2015 Annex C Table C.1 and Annex D Table D.1; the first two are also
    // Thonky's tutorial's format-string examples.
    @Test func formatAndVersionBitsMatchTheStandardsTables() {
        #expect(QRCode.formatInformationBits(level: .medium, maskPattern: 0) == 0b101_0100_0001_0010)
        #expect(QRCode.formatInformationBits(level: .low, maskPattern: 4) == 0b110_0110_0010_1111)
        #expect(QRCode.formatInformationBits(level: .high, maskPattern: 7) == 0b000_1000_0011_1011)
        #expect(QRCode.versionInformationBits(version: 7) == 0x07C94)
        #expect(QRCode.versionInformationBits(version: 21) == 0x15683)
        #expect(QRCode.versionInformationBits(version: 40) == 0x28C69)
    }

    @Test(arguments: [7, 13, 27, 40])
    func versionInformationReadBackFromBothBlocksIsTheVersion(version: Int) throws {
        let capacity = QRCode.BlockStructure(version: version, level: .high).dataCodewords - 3
        let code = try QRCode(bytes: [UInt8](repeating: 0x33, count: capacity), errorCorrectionLevel: .high)
        #expect(code.version == version)
        var upperRight = 0
        var lowerLeft = 0
        for bit in (0..<18).reversed() {
            upperRight = upperRight << 1 | (code.isDark(row: bit / 3, column: code.size - 11 + bit % 3) ? 1 : 0)
            lowerLeft = lowerLeft << 1 | (code.isDark(row: code.size - 11 + bit % 3, column: bit / 3) ? 1 : 0)
        }
        #expect(upperRight == lowerLeft)
        #expect(upperRight >> 12 == version)
        #expect(remainder(upperRight, dividedBy: 0b1_1111_0010_0101) == 0, "not a BCH(18,6) codeword")
    }

    // MARK: Codewords

    // Thonky's QR code tutorial, "Error Correction Coding" (thonky.com/qr-code-tutorial/error-correction-coding):
    // the data codewords of its "HELLO WORLD" 1-M example and the error correction codewords it lists for them.
    @Test func reedSolomonGivesThePublishedHelloWorldErrorCorrectionCodewords() {
        let data: [UInt8] = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17]
        let generator = QRCode.ReedSolomon.generatorPolynomial(degree: 10)
        #expect(
            QRCode.ReedSolomon.errorCorrectionCodewords(for: data[...], generator: generator)
                == [196, 35, 39, 119, 235, 215, 231, 226, 93, 23])
    }

    // Worked by hand from ISO/IEC 18004's byte mode and padding rules: mode 0100, an 8-bit count,
    // the bytes, the 0000 terminator, then pad codewords 0xEC 0x11 alternating.
    @Test func byteModeDataCodewordsFollowTheSegmentLayout() {
        #expect(
            QRCode.dataCodewords(Array("Hello, world!".utf8), version: 1, capacity: 16)
                == [0x40, 0xD4, 0x86, 0x56, 0xC6, 0xC6, 0xF2, 0xC2, 0x07, 0x76, 0xF7, 0x26, 0xC6, 0x42, 0x10, 0xEC])
        #expect(
            QRCode.dataCodewords([], version: 1, capacity: 8) == [0x40, 0x00, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11])
        // From version 10 the count takes 16 bits.
        #expect(QRCode.dataCodewords([0xFF], version: 10, capacity: 5) == [0x40, 0x00, 0x1F, 0xF0, 0xEC])
    }

    // ISO/IEC 18004:2015 Table 1: remainder bits per version.
    static let remainderBits: [Int] = [0] + [Int](repeating: 7, count: 5) + [Int](repeating: 0, count: 7)
        + [Int](repeating: 3, count: 7) + [Int](repeating: 4, count: 7) + [Int](repeating: 3, count: 7)
        + [Int](repeating: 0, count: 6)

    @Test func theModulesLeftForDataHoldEveryCodewordPlusTheRemainderBits() {
        for version in 1...40 {
            let grid = QRCode.ModuleGrid(version: version)
            let dataModules = grid.reserved.count { !$0 }
            #expect(dataModules == QRCode.totalCodewords[version - 1] * 8 + Self.remainderBits[version - 1], "version \(version)")
        }
    }

    // MARK: Masks

    @Test func theChosenMaskScoresTheLowestPenalty() throws {
        let texts = [
            "HELLO WORLD", "otpauth://totp/Keyward:carol?secret=MFRGGZDFMZTWQ2LK&issuer=Keyward", String(repeating: "x", count: 300),
        ]
        for text in texts {
            let chosen = try QRCode(text: text)
            let penalties = try (0..<8).map { mask in
                let code = try QRCode(bytes: Array(text.utf8), errorCorrectionLevel: .medium, maskPattern: mask)
                return QRCode.penalty(code.modules, size: code.size)
            }
            #expect(chosen.maskPattern == penalties.firstIndex(of: penalties.min()!))
        }
    }

    @Test func penaltyRulesScoreHandWorkedExamples() {
        // All light, 21 × 21: 42 runs of 21 score 19 each, 400 2 × 2 blocks score 3 each, and
        // 0 % dark is ten 5 % steps from half.
        #expect(QRCode.penalty([Bool](repeating: false, count: 441), size: 21) == 42 * 19 + 400 * 3 + 10 * 10)

        func score(_ pattern: String) -> Int {
            let line = pattern.map { $0 == "1" }
            return line.withUnsafeBufferPointer { QRCode.linePenalty($0, start: 0, step: 1, count: line.count) }
        }
        // The 1:1:3:1:1 pattern with light on both sides counts once; the runs of seven score 5.
        #expect(score("000000010111010000000") == 40 + 5 + 5)
        // At the edge, the quiet zone is the light side.
        #expect(score("101110100110011001100") == 40)
        // Without four light modules on either side it does not count; the run of seven scores 5.
        #expect(score("101010111011010000000") == 5)
    }

    // MARK: SVG

    /// The modules a path of `M x y h n v1 h-n z` runs covers, in symbol coordinates.
    private func modules(drawnBy path: Substring, quietZone: Int) throws -> Set<[Int]> {
        var covered = Set<[Int]>()
        let run = /M(\d+) (\d+)h(\d+)v1h-(\d+)z/
        var rest = path
        while !rest.isEmpty {
            let match = try #require(try run.prefixMatch(in: rest), "unexpected path data at \(rest.prefix(20))")
            let (x, y, width, back) = (Int(match.1)!, Int(match.2)!, Int(match.3)!, Int(match.4)!)
            try #require(width == back && width > 0, "a run at \(x),\(y) does not close")
            for column in x..<(x + width) { covered.insert([y - quietZone, column - quietZone]) }
            rest = rest[match.range.upperBound...]
        }
        return covered
    }

    @Test(arguments: [(1, Level.medium), (7, .high), (40, .low)])
    func theSVGPathCoversExactlyTheDarkModules(version: Int, level: Level) throws {
        let capacity = QRCode.BlockStructure(version: version, level: level).dataCodewords - 3
        let code = try QRCode(bytes: (0..<capacity).map { UInt8(truncatingIfNeeded: $0 * 7) }, errorCorrectionLevel: level)
        #expect(code.version == version)
        let svg = code.svg(label: "QR code")
        let side = code.size + 8
        #expect(svg.hasPrefix(#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(side) \#(side)""#))
        #expect(svg.contains(##"<rect width="\##(side)" height="\##(side)" fill="#fff"/>"##))
        #expect(!svg.contains("width=\"\(side * 4)\""))
        let paths = svg.matches(of: /<path fill="#000" shape-rendering="crispEdges" d="([^"]*)"\/>/)
        #expect(paths.count == 1)
        let drawn = try modules(drawnBy: try #require(paths.first).1, quietZone: 4)
        var dark = Set<[Int]>()
        for row in 0..<code.size {
            for column in 0..<code.size where code.isDark(row: row, column: column) { dark.insert([row, column]) }
        }
        #expect(drawn == dark)
        #expect(svg.hasSuffix("</svg>"))
    }

    @Test func theSVGCarriesTheEscapedLabelAndTheRequestedPixelSize() throws {
        let label = "Scan <this> with \"your\" app & 'enjoy' — Jürgen\u{7}"
        let svg = try QRCode(text: "otpauth://totp/x").svg(label: label, pixelSize: 240)
        #expect(svg.contains(#" width="240" height="240""#))
        #expect(svg.contains(#"role="img""#))
        #expect(!svg.contains("<this>"))

        final class RootAttributes: NSObject, XMLParserDelegate {
            var attributes: [String: String]?
            func parser(
                _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]
            ) {
                if elementName == "svg" { self.attributes = attributes }
            }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let root = RootAttributes()
        parser.delegate = root
        #expect(parser.parse(), "the SVG is not well-formed XML: \(String(describing: parser.parserError))")
        #expect(root.attributes?["aria-label"] == "Scan <this> with \"your\" app & 'enjoy' — Jürgen")
        #expect(root.attributes?["role"] == "img")
    }

    // MARK: Decoding with zbar

    /// Runs `zbarimg` on an image file and returns the exact bytes of the one symbol it found;
    /// fails the test when zbarimg is missing or finds nothing. (`ExternalCommand.run` would trim
    /// and decode the output, which is exactly what this comparison must not do.)
    private func zbarimg(_ image: URL) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // `-Sbinary` makes zbar 0.23 print the bytes as encoded, with no charset guessing and no
        // trailing newline; `-Sqrcode.binary` does neither. Only QR codes are looked for: random
        // modules now and then also read as a linear barcode (the digits "463351" once), which
        // zbar would append to the output.
        process.arguments = ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", "-Sbinary", image.path]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let reason = "zbarimg exited with \(process.terminationStatus) on \(image.lastPathComponent) "
                + "(is zbar-tools installed? for SVG, libmagickcore-6.q16-6-extra?): \(message)"
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: reason])
        }
        return Array(data)
    }

    /// Writes `contents` to a fresh temporary file, passes its URL to `body` and removes it.
    private func withTemporaryFile<Result>(
        extension pathExtension: String, contents: Data, _ body: (URL) throws -> Result
    ) throws -> Result {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("keyward-qr-\(UUID().uuidString).\(pathExtension)")
        try contents.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url)
    }

    /// A binary PGM of the symbol with its quiet zone, `pixelsPerModule` pixels a module.
    private func portableGraymap(_ code: QRCode, pixelsPerModule: Int) -> Data {
        let quietZone = QRCode.quietZoneModules
        let side = (code.size + 2 * quietZone) * pixelsPerModule
        var bytes = Array("P5 \(side) \(side) 255\n".utf8)
        bytes.reserveCapacity(bytes.count + side * side)
        for y in 0..<side {
            for x in 0..<side {
                let isDark = code.isDark(row: y / pixelsPerModule - quietZone, column: x / pixelsPerModule - quietZone)
                bytes.append(isDark ? 0 : 255)
            }
        }
        return Data(bytes)
    }

    static func enrolmentURIs() -> [String] {
        var uris = [10, 20, 32, 64].map { secretBytes in
            "otpauth://totp/Keyward:alice%40example.com?secret=\(Base32.encode(SecureRandom.bytes(secretBytes)))"
                + "&issuer=Keyward&algorithm=SHA1&digits=6&period=30"
        }
        uris.append(
            "otpauth://totp/Keyward:Jürgen Müller 李雷 🔐?secret=\(Base32.encode(SecureRandom.bytes(20)))&issuer=Keyward")
        return uris
    }

    @Test(arguments: Level.allCases)
    func zbarimgReadsTheSVGOfEachEnrolmentURIBackExactly(level: Level) throws {
        for uri in Self.enrolmentURIs() {
            let code = try QRCode(text: uri, errorCorrectionLevel: level)
            let svg = code.svg(label: "QR code", pixelSize: (code.size + 8) * 4)
            let decoded = try withTemporaryFile(extension: "svg", contents: Data(svg.utf8), zbarimg)
            #expect(decoded == Array(uri.utf8), "version \(code.version) for \(uri)")
        }
    }

    @Test(arguments: Level.allCases)
    func zbarimgReadsEveryVersionFilledToCapacityWithRandomBytes(level: Level) throws {
        for version in 1...40 {
            let capacity = (QRCode.BlockStructure(version: version, level: level).dataCodewords * 8 - 4
                - QRCode.characterCountBits(version: version)) / 8
            let bytes = SecureRandom.bytes(capacity)
            let code = try QRCode(bytes: bytes, errorCorrectionLevel: level)
            #expect(code.version == version)
            let decoded = try withTemporaryFile(extension: "pgm", contents: portableGraymap(code, pixelsPerModule: 2), zbarimg)
            #expect(decoded == bytes, "version \(version) at \(level), mask \(code.maskPattern)")
        }
    }
}
