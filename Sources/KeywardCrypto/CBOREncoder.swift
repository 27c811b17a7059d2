/// Writes `CBORValue`s in the deterministic form of RFC 8949, Section 4.2.1, except for map order.
///
/// Every argument takes its shortest form, every length is definite, and a float takes the
/// shortest of half, single and double precision that holds it exactly. Map entries are written
/// in the order the map holds them, so callers that need sorted keys add them in that order.
public enum CBOREncoder {
    /// The encoding of `value`.
    public static func encode(_ value: CBORValue) -> [UInt8] {
        var output: [UInt8] = []
        append(value, to: &output)
        return output
    }

    /// Appends the encoding of `value` to `output`.
    public static func append(_ value: CBORValue, to output: inout [UInt8]) {
        switch value {
        case .unsignedInteger(let number):
            appendHead(majorType: 0, argument: number, to: &output)
        case .negativeInteger(let argument):
            appendHead(majorType: 1, argument: argument, to: &output)
        case .byteString(let bytes):
            appendHead(majorType: 2, argument: UInt64(bytes.count), to: &output)
            output.append(contentsOf: bytes)
        case .textString(let text):
            appendHead(majorType: 3, argument: UInt64(text.utf8.count), to: &output)
            output.append(contentsOf: text.utf8)
        case .array(let items):
            appendHead(majorType: 4, argument: UInt64(items.count), to: &output)
            for item in items { append(item, to: &output) }
        case .map(let map):
            appendHead(majorType: 5, argument: UInt64(map.count), to: &output)
            for entry in map.entries {
                append(entry.key, to: &output)
                append(entry.value, to: &output)
            }
        case .tagged(let tag, let content):
            appendHead(majorType: 6, argument: tag, to: &output)
            append(content, to: &output)
        case .boolean(let flag):
            output.append(flag ? 0xF5 : 0xF4)
        case .null:
            output.append(0xF6)
        case .undefined:
            output.append(0xF7)
        case .simple(let number):
            appendHead(majorType: 7, argument: UInt64(number), to: &output)
        case .float(let number):
            appendFloat(number, to: &output)
        }
    }

    private static func appendHead(majorType: UInt8, argument: UInt64, to output: inout [UInt8]) {
        let type = majorType << 5
        switch argument {
        case 0..<24:
            output.append(type | UInt8(argument))
        case 24...0xFF:
            output.append(type | 24)
            output.append(UInt8(argument))
        case 0x100...0xFFFF:
            output.append(type | 25)
            appendBigEndian(argument, byteCount: 2, to: &output)
        case 0x1_0000...0xFFFF_FFFF:
            output.append(type | 26)
            appendBigEndian(argument, byteCount: 4, to: &output)
        default:
            output.append(type | 27)
            appendBigEndian(argument, byteCount: 8, to: &output)
        }
    }

    private static func appendBigEndian(_ value: UInt64, byteCount: Int, to output: inout [UInt8]) {
        for index in stride(from: byteCount - 1, through: 0, by: -1) {
            output.append(UInt8(truncatingIfNeeded: value >> UInt64(index * 8)))
        }
    }

    private static func appendFloat(_ number: Double, to output: inout [UInt8]) {
        if let half = CBORFloat.half(exactly: number) {
            output.append(0xF9)
            appendBigEndian(UInt64(half), byteCount: 2, to: &output)
        } else if let single = CBORFloat.single(exactly: number) {
            output.append(0xFA)
            appendBigEndian(UInt64(single), byteCount: 4, to: &output)
        } else {
            output.append(0xFB)
            appendBigEndian(number.bitPattern, byteCount: 8, to: &output)
        }
    }
}

extension CBORValue {
    /// This value's deterministic encoding; see `CBOREncoder`.
    public func encoded() -> [UInt8] {
        CBOREncoder.encode(self)
    }
}

/// Conversions between `Double` and the half and single precision forms of RFC 8949, Appendix D.
enum CBORFloat {
    private static let doublePayloadMask: UInt64 = 0x000F_FFFF_FFFF_FFFF

    /// The value of an IEEE 754 binary16 bit pattern; a NaN keeps its sign and payload.
    static func double(fromHalf bits: UInt16) -> Double {
        let negative = bits & 0x8000 != 0
        let exponent = Int(bits >> 10 & 0x1F)
        let mantissa = UInt64(bits & 0x3FF)
        let magnitude: Double
        switch exponent {
        case 0:
            magnitude = Double(sign: .plus, exponent: -24, significand: Double(mantissa))
        case 31 where mantissa == 0:
            magnitude = .infinity
        case 31:
            let pattern = UInt64(negative ? 1 : 0) << 63 | 0x7FF0_0000_0000_0000 | mantissa << 42
            return Double(bitPattern: pattern)
        default:
            magnitude = Double(sign: .plus, exponent: exponent - 25, significand: Double(mantissa + 1024))
        }
        return negative ? -magnitude : magnitude
    }

    /// The value of an IEEE 754 binary32 bit pattern; a NaN keeps its sign and payload bit for bit.
    static func double(fromSingle bits: UInt32) -> Double {
        let single = Float(bitPattern: bits)
        guard single.isNaN else { return Double(single) }
        let pattern = UInt64(bits >> 31) << 63 | 0x7FF0_0000_0000_0000 | UInt64(bits & 0x7F_FFFF) << 29
        return Double(bitPattern: pattern)
    }

    /// The binary16 bit pattern that holds `value` exactly, NaN payload included, or nil.
    static func half(exactly value: Double) -> UInt16? {
        let bits = value.bitPattern
        let sign = UInt16(bits >> 63) << 15
        if value.isNaN {
            let payload = bits & doublePayloadMask
            guard payload & (1 << 42 - 1) == 0 else { return nil }
            return sign | 0x7C00 | UInt16(payload >> 42)
        }
        if value.isInfinite { return sign | 0x7C00 }
        if value == 0 { return sign }
        let magnitude = value.magnitude
        let exponent = Int(magnitude.exponent)
        switch exponent {
        case -14...15:
            let significand = magnitude.significandBitPattern
            guard significand & (1 << 42 - 1) == 0 else { return nil }
            return sign | UInt16(exponent + 15) << 10 | UInt16(significand >> 42)
        case -24 ..< -14:
            let scaled = magnitude * 0x1p24
            guard scaled == scaled.rounded(.towardZero) else { return nil }
            return sign | UInt16(scaled)
        default:
            return nil
        }
    }

    /// The binary32 bit pattern that holds `value` exactly, NaN payload included, or nil.
    static func single(exactly value: Double) -> UInt32? {
        let bits = value.bitPattern
        if value.isNaN {
            let payload = bits & doublePayloadMask
            guard payload & (1 << 29 - 1) == 0 else { return nil }
            return UInt32(bits >> 63) << 31 | 0x7F80_0000 | UInt32(payload >> 29)
        }
        let single = Float(value)
        guard Double(single).bitPattern == bits else { return nil }
        return single.bitPattern
    }
}
