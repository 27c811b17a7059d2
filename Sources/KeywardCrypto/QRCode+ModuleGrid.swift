extension QRCode.ErrorCorrectionLevel {
    /// The two-bit indicator in the format information (ISO/IEC 18004, format information).
    var formatIndicator: Int {
        switch self {
        case .low: 0b01
        case .medium: 0b00
        case .quartile: 0b11
        case .high: 0b10
        }
    }
}

extension QRCode {
    /// The 15 format information bits for `level` and `maskPattern`: five data bits, ten
    /// BCH(15,5) check bits with generator x¹⁰ + x⁸ + x⁵ + x⁴ + x² + x + 1, the whole XORed with
    /// 0x5412 (ISO/IEC 18004, format information).
    static func formatInformationBits(level: ErrorCorrectionLevel, maskPattern: Int) -> Int {
        let data = level.formatIndicator << 3 | maskPattern
        return (data << 10 | bchRemainder(data << 10, generator: 0x537, degree: 10)) ^ 0x5412
    }

    /// The 18 version information bits: six data bits and twelve BCH(18,6) check bits with
    /// generator x¹² + x¹¹ + x¹⁰ + x⁹ + x⁸ + x⁵ + x² + 1 (ISO/IEC 18004, version information).
    static func versionInformationBits(version: Int) -> Int {
        version << 12 | bchRemainder(version << 12, generator: 0x1F25, degree: 12)
    }

    static func bchRemainder(_ value: Int, generator: Int, degree: Int) -> Int {
        var remainder = value
        var bit = Int.bitWidth - 1 - remainder.leadingZeroBitCount
        while bit >= degree {
            if remainder >> bit & 1 == 1 { remainder ^= generator << (bit - degree) }
            bit -= 1
        }
        return remainder
    }

    /// Whether data mask pattern `pattern` (ISO/IEC 18004 Table 10) inverts the module at
    /// `row`, `column`.
    static func maskInverts(pattern: Int, row: Int, column: Int) -> Bool {
        switch pattern {
        case 0: (row + column) % 2 == 0
        case 1: row % 2 == 0
        case 2: column % 3 == 0
        case 3: (row + column) % 3 == 0
        case 4: (row / 2 + column / 3) % 2 == 0
        case 5: row * column % 2 + row * column % 3 == 0
        case 6: (row * column % 2 + row * column % 3) % 2 == 0
        default: ((row + column) % 2 + row * column % 3) % 2 == 0
        }
    }

    /// The module matrix while a symbol is built: function patterns are drawn and marked as
    /// reserved first, so that codewords and masks touch only the remaining modules.
    struct ModuleGrid {
        let version: Int
        let size: Int
        /// Row-major, `true` for dark.
        var dark: [Bool]
        /// Row-major, `true` for function pattern and format or version information modules.
        var reserved: [Bool]

        init(version: Int) {
            self.version = version
            size = 17 + 4 * version
            dark = [Bool](repeating: false, count: size * size)
            reserved = dark
            drawTimingPatterns()
            drawFinderPatterns()
            drawAlignmentPatterns()
            setFunctionModule(row: 4 * version + 9, column: 8, dark: true)
            drawFormatInformation(level: .low, maskPattern: 0)
            if version >= 7 { drawVersionInformation() }
        }

        mutating func setFunctionModule(row: Int, column: Int, dark isDark: Bool) {
            dark[row * size + column] = isDark
            reserved[row * size + column] = true
        }

        private mutating func drawTimingPatterns() {
            for index in 8..<(size - 8) {
                setFunctionModule(row: 6, column: index, dark: index % 2 == 0)
                setFunctionModule(row: index, column: 6, dark: index % 2 == 0)
            }
        }

        /// The three 7 × 7 finder patterns with their one-module light separators.
        private mutating func drawFinderPatterns() {
            for (top, left) in [(0, 0), (0, size - 7), (size - 7, 0)] {
                for row in (top - 1)...(top + 7) where (0..<size).contains(row) {
                    for column in (left - 1)...(left + 7) where (0..<size).contains(column) {
                        let ring = max(abs(row - top - 3), abs(column - left - 3))
                        setFunctionModule(row: row, column: column, dark: ring != 2 && ring != 4)
                    }
                }
            }
        }

        /// 5 × 5 alignment patterns at every pair of centre coordinates except the three that
        /// would overlap a finder pattern.
        private mutating func drawAlignmentPatterns() {
            let centres = QRCode.alignmentPatternCentres[version - 1]
            guard let last = centres.last else { return }
            for centreRow in centres {
                for centreColumn in centres {
                    let overlapsFinder = (centreRow == 6 && (centreColumn == 6 || centreColumn == last))
                        || (centreRow == last && centreColumn == 6)
                    if overlapsFinder { continue }
                    for row in (centreRow - 2)...(centreRow + 2) {
                        for column in (centreColumn - 2)...(centreColumn + 2) {
                            let ring = max(abs(row - centreRow), abs(column - centreColumn))
                            setFunctionModule(row: row, column: column, dark: ring != 1)
                        }
                    }
                }
            }
        }

        /// Writes both copies of the format information: bit 14 (the most significant) goes to
        /// row 8 column 0 and to column 8 of the bottom row; bit 0 to row 0 column 8 and to the
        /// last column of row 8, as ISO/IEC 18004 lays them out.
        mutating func drawFormatInformation(level: ErrorCorrectionLevel, maskPattern: Int) {
            let bits = QRCode.formatInformationBits(level: level, maskPattern: maskPattern)
            for bit in 0..<15 {
                let isDark = bits >> bit & 1 == 1
                let nearTopLeft: (row: Int, column: Int) =
                    switch bit {
                    case 0...5: (bit, 8)
                    case 6: (7, 8)
                    case 7: (8, 8)
                    case 8: (8, 7)
                    default: (8, 14 - bit)
                    }
                setFunctionModule(row: nearTopLeft.row, column: nearTopLeft.column, dark: isDark)
                if bit < 8 {
                    setFunctionModule(row: 8, column: size - 1 - bit, dark: isDark)
                } else {
                    setFunctionModule(row: size - 15 + bit, column: 8, dark: isDark)
                }
            }
        }

        /// Writes both 6 × 3 copies of the version information, bit 0 nearest the top-left corner
        /// of each block, as ISO/IEC 18004 lays them out.
        private mutating func drawVersionInformation() {
            let bits = QRCode.versionInformationBits(version: version)
            for bit in 0..<18 {
                let isDark = bits >> bit & 1 == 1
                setFunctionModule(row: bit / 3, column: size - 11 + bit % 3, dark: isDark)
                setFunctionModule(row: size - 11 + bit % 3, column: bit / 3, dark: isDark)
            }
        }

        /// Places the codewords' bits, most significant first, in two-module-wide columns that
        /// zigzag up and down from the bottom-right corner, skipping reserved modules and the
        /// vertical timing pattern. Modules left over (the remainder bits) stay light.
        mutating func placeCodewords(_ codewords: [UInt8]) {
            let bitTotal = codewords.count * 8
            var bitIndex = 0
            var rightColumn = size - 1
            var upward = true
            while rightColumn > 0 {
                if rightColumn == 6 { rightColumn = 5 }
                for step in 0..<size {
                    let row = upward ? size - 1 - step : step
                    for column in stride(from: rightColumn, through: rightColumn - 1, by: -1)
                    where !reserved[row * size + column] {
                        if bitIndex < bitTotal {
                            dark[row * size + column] = codewords[bitIndex >> 3] >> (7 - bitIndex & 7) & 1 == 1
                        }
                        bitIndex += 1
                    }
                }
                upward.toggle()
                rightColumn -= 2
            }
        }

        /// For every module, bit `p` set when mask pattern `p` inverts it; reserved modules are
        /// never inverted.
        func maskSelections() -> [UInt8] {
            var selections = [UInt8](repeating: 0, count: size * size)
            for row in 0..<size {
                for column in 0..<size where !reserved[row * size + column] {
                    var bits: UInt8 = 0
                    for pattern in 0..<8 where QRCode.maskInverts(pattern: pattern, row: row, column: column) {
                        bits |= 1 << pattern
                    }
                    selections[row * size + column] = bits
                }
            }
            return selections
        }

        /// Inverts the modules that mask pattern `pattern` selects in `selections` (from
        /// ``maskSelections()``); applying the same mask twice restores the grid.
        mutating func applyMask(_ pattern: Int, selections: [UInt8]) {
            selections.withUnsafeBufferPointer { selections in
                dark.withUnsafeMutableBufferPointer { dark in
                    for index in dark.indices {
                        dark[index] = dark[index] != (selections[index] >> pattern & 1 == 1)
                    }
                }
            }
        }

        /// The mask pattern whose masked symbol, format information included, scores the lowest
        /// penalty; the lowest-numbered of equal scores.
        func lowestPenaltyMask(level: ErrorCorrectionLevel, selections: [UInt8]) -> Int {
            var best = (pattern: 0, penalty: Int.max)
            for pattern in 0..<8 {
                var candidate = self
                candidate.applyMask(pattern, selections: selections)
                candidate.drawFormatInformation(level: level, maskPattern: pattern)
                let penalty = QRCode.penalty(candidate.dark, size: size)
                if penalty < best.penalty { best = (pattern, penalty) }
            }
            return best.pattern
        }
    }
}
