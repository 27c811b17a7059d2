extension QRCode {
    /// Reed–Solomon error correction over GF(256) as ISO/IEC 18004 specifies it:
    /// the field is built on the polynomial x⁸ + x⁴ + x³ + x² + 1 (0x11D) with α = 2, and the
    /// generator of degree n is (x − α⁰)(x − α¹)…(x − αⁿ⁻¹).
    enum ReedSolomon {
        /// αⁱ for i in 0..<510, so that a product can index by the sum of two logarithms unreduced.
        static let powersOfAlpha: [UInt8] = {
            var powers = [UInt8](repeating: 0, count: 510)
            var value = 1
            for exponent in 0..<255 {
                powers[exponent] = UInt8(value)
                powers[exponent + 255] = UInt8(value)
                value <<= 1
                if value & 0x100 != 0 { value ^= 0x11D }
            }
            return powers
        }()

        /// The discrete logarithm base α of every non-zero element; entry 0 is unused.
        static let logarithms: [Int] = {
            var logarithms = [Int](repeating: 0, count: 256)
            for exponent in 0..<255 { logarithms[Int(powersOfAlpha[exponent])] = exponent }
            return logarithms
        }()

        static func multiply(_ left: UInt8, _ right: UInt8) -> UInt8 {
            guard left != 0, right != 0 else { return 0 }
            return powersOfAlpha[logarithms[Int(left)] + logarithms[Int(right)]]
        }

        /// The generator's coefficients, highest degree first; the leading coefficient is 1.
        static func generatorPolynomial(degree: Int) -> [UInt8] {
            var coefficients: [UInt8] = [1]
            coefficients.reserveCapacity(degree + 1)
            for root in 0..<degree {
                coefficients.append(0)
                for index in stride(from: coefficients.count - 1, to: 0, by: -1) {
                    coefficients[index] ^= multiply(coefficients[index - 1], powersOfAlpha[root])
                }
            }
            return coefficients
        }

        /// The remainder of data·xⁿ divided by `generator` (of degree n): the n error correction
        /// codewords to append to `data`.
        static func errorCorrectionCodewords(for data: ArraySlice<UInt8>, generator: [UInt8]) -> [UInt8] {
            let degree = generator.count - 1
            // The generator's coefficients after the leading 1, as logarithms; none is zero for
            // the generators QR codes use, but a zero must still contribute nothing.
            let generatorTerms = generator.indices.dropFirst().filter { generator[$0] != 0 }
                .map { (index: $0 - 1, logarithm: logarithms[Int(generator[$0])]) }
            var remainder = [UInt8](repeating: 0, count: degree)
            powersOfAlpha.withUnsafeBufferPointer { powers in
                logarithms.withUnsafeBufferPointer { logarithms in
                    for codeword in data {
                        let factor = codeword ^ remainder[0]
                        remainder.removeFirst()
                        remainder.append(0)
                        guard factor != 0 else { continue }
                        let factorLogarithm = logarithms[Int(factor)]
                        for term in generatorTerms {
                            remainder[term.index] ^= powers[term.logarithm + factorLogarithm]
                        }
                    }
                }
            }
            return remainder
        }
    }
}
