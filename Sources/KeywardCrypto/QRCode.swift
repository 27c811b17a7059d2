/// A QR code symbol (ISO/IEC 18004, Model 2) holding bytes in byte mode, such as an
/// `otpauth://` URI for an authenticator app to scan.
///
/// Encoding picks the smallest version (1–40) that holds the bytes at the requested error
/// correction level, and the mask pattern with the lowest penalty score as the standard
/// defines it, so the same input always gives the same symbol. The value is immutable and
/// holds only the module matrix; rendering it (``svg(label:pixelSize:)``) is a pure function.
public struct QRCode: Sendable, Hashable {
    /// How much damage a symbol survives; higher levels make larger symbols for the same bytes.
    public enum ErrorCorrectionLevel: Sendable, Hashable, CaseIterable {
        /// L: about 7 % of the codewords can be restored.
        case low
        /// M: about 15 % of the codewords can be restored. The usual choice for screens.
        case medium
        /// Q: about 25 % of the codewords can be restored.
        case quartile
        /// H: about 30 % of the codewords can be restored.
        case high
    }

    /// The width of light border, in modules, that readers need around the symbol and that
    /// ``svg(label:pixelSize:)`` draws.
    public static let quietZoneModules = 4

    /// The symbol version, 1 (21 × 21 modules) to 40 (177 × 177 modules).
    public let version: Int
    /// The error correction level the symbol was encoded with.
    public let errorCorrectionLevel: ErrorCorrectionLevel
    /// The data mask pattern reference, 0–7, written into the symbol's format information.
    public let maskPattern: Int
    /// Row-major, `size * size` entries, `true` for dark.
    let modules: [Bool]

    /// The number of modules along each side, 17 + 4 × ``version``, without the quiet zone.
    public var size: Int { 17 + 4 * version }

    /// Encodes the UTF-8 bytes of `text`.
    ///
    /// - Throws: ``QRCodeError/tooLong`` when the bytes do not fit a version 40 symbol at
    ///   `errorCorrectionLevel` (2953 bytes at L, 2331 at M, 1663 at Q, 1273 at H).
    public init(text: String, errorCorrectionLevel: ErrorCorrectionLevel = .medium) throws(QRCodeError) {
        try self.init(bytes: Array(text.utf8), errorCorrectionLevel: errorCorrectionLevel)
    }

    /// Encodes `bytes` as they are, in one byte-mode segment.
    ///
    /// - Throws: ``QRCodeError/tooLong`` when the bytes do not fit a version 40 symbol at
    ///   `errorCorrectionLevel`.
    public init(bytes: some Collection<UInt8>, errorCorrectionLevel: ErrorCorrectionLevel = .medium) throws(QRCodeError) {
        try self.init(bytes: Array(bytes), errorCorrectionLevel: errorCorrectionLevel, maskPattern: nil)
    }

    /// Encodes with `maskPattern` when given, otherwise with the lowest-penalty mask.
    init(bytes: [UInt8], errorCorrectionLevel level: ErrorCorrectionLevel, maskPattern: Int?) throws(QRCodeError) {
        guard let version = Self.smallestVersion(holding: bytes.count, level: level) else { throw .tooLong }
        let structure = BlockStructure(version: version, level: level)
        let data = Self.dataCodewords(bytes, version: version, capacity: structure.dataCodewords)
        var grid = ModuleGrid(version: version)
        grid.placeCodewords(Self.interleavedCodewords(data, structure: structure))
        let selections = grid.maskSelections()
        let chosenMask = maskPattern ?? grid.lowestPenaltyMask(level: level, selections: selections)
        grid.applyMask(chosenMask, selections: selections)
        grid.drawFormatInformation(level: level, maskPattern: chosenMask)
        self.version = version
        self.errorCorrectionLevel = level
        self.maskPattern = chosenMask
        self.modules = grid.dark
    }

    /// Whether the module at `row` and `column` (both from 0 at the top-left corner) is dark.
    /// Coordinates outside the symbol, such as the quiet zone, are light.
    public func isDark(row: Int, column: Int) -> Bool {
        guard (0..<size).contains(row), (0..<size).contains(column) else { return false }
        return modules[row * size + column]
    }

    static func characterCountBits(version: Int) -> Int { version <= 9 ? 8 : 16 }

    static func smallestVersion(holding byteCount: Int, level: ErrorCorrectionLevel) -> Int? {
        (1...40).first { version in
            let neededBits = 4 + characterCountBits(version: version) + 8 * byteCount
            return byteCount < 1 << characterCountBits(version: version)
                && neededBits <= 8 * BlockStructure(version: version, level: level).dataCodewords
        }
    }

    /// The byte-mode segment (mode 0100, character count, bytes), the terminator, zero bits up to
    /// a byte boundary and the alternating pad codewords 0xEC 0x11 up to `capacity` codewords
    /// (ISO/IEC 18004: byte mode, terminator, bit stream to codeword conversion).
    static func dataCodewords(_ bytes: [UInt8], version: Int, capacity: Int) -> [UInt8] {
        var writer = BitWriter(capacityInBytes: capacity)
        writer.append(0b0100, bitCount: 4)
        writer.append(bytes.count, bitCount: characterCountBits(version: version))
        for byte in bytes { writer.append(Int(byte), bitCount: 8) }
        writer.append(0, bitCount: min(4, capacity * 8 - writer.bitCount))
        writer.append(0, bitCount: (8 - writer.bitCount % 8) % 8)
        var codewords = writer.bytes
        var pad: UInt8 = 0xEC
        while codewords.count < capacity {
            codewords.append(pad)
            pad ^= 0xEC ^ 0x11
        }
        return codewords
    }

    /// Splits `data` into blocks, appends each block's error correction codewords and interleaves
    /// them: the first data codeword of every block, then the second…, then the error correction
    /// codewords likewise, as ISO/IEC 18004 orders the final message.
    static func interleavedCodewords(_ data: [UInt8], structure: BlockStructure) -> [UInt8] {
        let generator = ReedSolomon.generatorPolynomial(degree: structure.errorCorrectionCodewordsPerBlock)
        let shortBlockCount = structure.blockCount - structure.longBlockCount
        var dataBlocks: [ArraySlice<UInt8>] = []
        var errorCorrectionBlocks: [[UInt8]] = []
        var start = 0
        for block in 0..<structure.blockCount {
            let length = structure.shortBlockDataCodewords + (block < shortBlockCount ? 0 : 1)
            let slice = data[start..<(start + length)]
            dataBlocks.append(slice)
            errorCorrectionBlocks.append(ReedSolomon.errorCorrectionCodewords(for: slice, generator: generator))
            start += length
        }
        var result: [UInt8] = []
        result.reserveCapacity(structure.totalCodewords)
        for index in 0...structure.shortBlockDataCodewords {
            for block in dataBlocks where index < block.count {
                result.append(block[block.startIndex + index])
            }
        }
        for index in 0..<structure.errorCorrectionCodewordsPerBlock {
            for block in errorCorrectionBlocks { result.append(block[index]) }
        }
        return result
    }
}

/// Why a QR code could not be made, as a stable code that is safe to log.
public struct QRCodeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable identifier such as `qr.too_long`.
    public let code: String

    /// The code.
    public var description: String { code }

    /// The input does not fit the largest symbol (version 40) at the requested level.
    public static let tooLong = QRCodeError(code: "qr.too_long")
}

/// Appends bit fields most significant bit first into bytes.
struct BitWriter {
    private(set) var bytes: [UInt8]
    private(set) var bitCount = 0

    init(capacityInBytes: Int) {
        bytes = []
        bytes.reserveCapacity(capacityInBytes)
    }

    mutating func append(_ value: Int, bitCount count: Int) {
        for shift in stride(from: count - 1, through: 0, by: -1) {
            if bitCount % 8 == 0 { bytes.append(0) }
            if (value >> shift) & 1 == 1 { bytes[bytes.count - 1] |= 0x80 >> UInt8(bitCount % 8) }
            bitCount += 1
        }
    }
}
