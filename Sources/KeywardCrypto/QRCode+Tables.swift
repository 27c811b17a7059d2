// The per-version constants of ISO/IEC 18004:2015: Table 1 (codewords per symbol), Table 9
// (error correction blocks) and Annex E Table E.1 (alignment pattern centres), as also reprinted
// in Thonky's QR code tutorial (thonky.com/qr-code-tutorial). Index 0 is version 1.

extension QRCode {
    /// How a version's codewords split into data and error correction, and into blocks.
    ///
    /// Every block carries the same number of error correction codewords. The data codewords
    /// are spread as evenly as the standard allows: the first blocks hold
    /// `shortBlockDataCodewords` each and the last `longBlockCount` hold one more.
    struct BlockStructure: Equatable {
        let totalCodewords: Int
        let errorCorrectionCodewordsPerBlock: Int
        let blockCount: Int

        var dataCodewords: Int { totalCodewords - errorCorrectionCodewordsPerBlock * blockCount }
        var shortBlockDataCodewords: Int { dataCodewords / blockCount }
        var longBlockCount: Int { dataCodewords % blockCount }

        init(version: Int, level: ErrorCorrectionLevel) {
            totalCodewords = QRCode.totalCodewords[version - 1]
            switch level {
            case .low:
                errorCorrectionCodewordsPerBlock = QRCode.errorCorrectionCodewordsPerBlockLow[version - 1]
                blockCount = QRCode.blockCountLow[version - 1]
            case .medium:
                errorCorrectionCodewordsPerBlock = QRCode.errorCorrectionCodewordsPerBlockMedium[version - 1]
                blockCount = QRCode.blockCountMedium[version - 1]
            case .quartile:
                errorCorrectionCodewordsPerBlock = QRCode.errorCorrectionCodewordsPerBlockQuartile[version - 1]
                blockCount = QRCode.blockCountQuartile[version - 1]
            case .high:
                errorCorrectionCodewordsPerBlock = QRCode.errorCorrectionCodewordsPerBlockHigh[version - 1]
                blockCount = QRCode.blockCountHigh[version - 1]
            }
        }
    }

    /// ISO/IEC 18004 Table 1, column "number of codewords": data and error correction together.
    static let totalCodewords: [Int] = [
        26, 44, 70, 100, 134, 172, 196, 242, 292, 346,
        404, 466, 532, 581, 655, 733, 815, 901, 991, 1085,
        1156, 1258, 1364, 1474, 1588, 1706, 1828, 1921, 2051, 2185,
        2323, 2465, 2611, 2761, 2876, 3034, 3196, 3362, 3532, 3706,
    ]

    // ISO/IEC 18004 Table 9: error correction codewords in each block.
    static let errorCorrectionCodewordsPerBlockLow: [Int] = [
        7, 10, 15, 20, 26, 18, 20, 24, 30, 18,
        20, 24, 26, 30, 22, 24, 28, 30, 28, 28,
        28, 28, 30, 30, 26, 28, 30, 30, 30, 30,
        30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
    ]
    static let errorCorrectionCodewordsPerBlockMedium: [Int] = [
        10, 16, 26, 18, 24, 16, 18, 22, 22, 26,
        30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
        26, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
    ]
    static let errorCorrectionCodewordsPerBlockQuartile: [Int] = [
        13, 22, 18, 26, 18, 24, 18, 22, 20, 24,
        28, 26, 24, 20, 30, 24, 28, 28, 26, 30,
        28, 30, 30, 30, 30, 28, 30, 30, 30, 30,
        30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
    ]
    static let errorCorrectionCodewordsPerBlockHigh: [Int] = [
        17, 28, 22, 16, 22, 28, 26, 26, 24, 28,
        24, 28, 22, 24, 24, 30, 28, 28, 26, 28,
        30, 24, 30, 30, 30, 30, 30, 30, 30, 30,
        30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
    ]

    // ISO/IEC 18004 Table 9: number of error correction blocks (both groups together).
    static let blockCountLow: [Int] = [
        1, 1, 1, 1, 1, 2, 2, 2, 2, 4,
        4, 4, 4, 4, 6, 6, 6, 6, 7, 8,
        8, 9, 9, 10, 12, 12, 12, 13, 14, 15,
        16, 17, 18, 19, 19, 20, 21, 22, 24, 25,
    ]
    static let blockCountMedium: [Int] = [
        1, 1, 1, 2, 2, 4, 4, 4, 5, 5,
        5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
        17, 17, 18, 20, 21, 23, 25, 26, 28, 29,
        31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
    ]
    static let blockCountQuartile: [Int] = [
        1, 1, 2, 2, 4, 4, 6, 6, 8, 8,
        8, 10, 12, 16, 12, 17, 16, 18, 21, 20,
        23, 23, 25, 27, 29, 34, 34, 35, 38, 40,
        43, 45, 48, 51, 53, 56, 59, 62, 65, 68,
    ]
    static let blockCountHigh: [Int] = [
        1, 1, 2, 4, 4, 4, 5, 6, 8, 8,
        11, 11, 16, 16, 18, 16, 19, 21, 25, 25,
        25, 34, 30, 32, 35, 37, 40, 42, 45, 48,
        51, 54, 57, 60, 63, 66, 70, 74, 77, 81,
    ]

    /// ISO/IEC 18004 Annex E Table E.1: row and column coordinates of alignment pattern centres.
    static let alignmentPatternCentres: [[Int]] = [
        [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34],
        [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50], [6, 30, 54], [6, 32, 58], [6, 34, 62],
        [6, 26, 46, 66], [6, 26, 48, 70], [6, 26, 50, 74], [6, 30, 54, 78], [6, 30, 56, 82],
        [6, 30, 58, 86], [6, 34, 62, 90],
        [6, 28, 50, 72, 94], [6, 26, 50, 74, 98], [6, 30, 54, 78, 102], [6, 28, 54, 80, 106],
        [6, 32, 58, 84, 110], [6, 30, 58, 86, 114], [6, 34, 62, 90, 118],
        [6, 26, 50, 74, 98, 122], [6, 30, 54, 78, 102, 126], [6, 26, 52, 78, 104, 130],
        [6, 30, 56, 82, 108, 134], [6, 34, 60, 86, 112, 138], [6, 30, 58, 86, 114, 142],
        [6, 34, 62, 90, 118, 146],
        [6, 30, 54, 78, 102, 126, 150], [6, 24, 50, 76, 102, 128, 154], [6, 28, 54, 80, 106, 132, 158],
        [6, 32, 58, 84, 110, 136, 162], [6, 26, 54, 82, 110, 138, 166], [6, 30, 58, 86, 114, 142, 170],
    ]
}
