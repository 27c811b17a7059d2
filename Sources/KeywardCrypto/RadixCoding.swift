/// The bit packing shared by base32 and base64url: bytes are read as a bit stream and cut into
/// symbols of `bitsPerSymbol` bits, without padding.
enum RadixCoding {
    /// What a decoder makes of one input character.
    enum Symbol {
        case value(UInt8)
        case skip
        case invalid
    }

    static func encode(_ bytes: some Collection<UInt8>, bitsPerSymbol: Int, alphabet: [UInt8]) -> String {
        let mask = UInt32(1 << bitsPerSymbol) - 1
        var output = [UInt8]()
        output.reserveCapacity((bytes.count * 8 + bitsPerSymbol - 1) / bitsPerSymbol)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= bitsPerSymbol {
                bits -= bitsPerSymbol
                output.append(alphabet[Int((buffer >> UInt32(bits)) & mask)])
            }
        }
        if bits > 0 {
            output.append(alphabet[Int((buffer << UInt32(bitsPerSymbol - bits)) & mask)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `nil` for an invalid character, or for trailing bits that do not form a whole encoding.
    static func decode(_ text: String, bitsPerSymbol: Int, symbol: (UInt8) -> Symbol) -> [UInt8]? {
        var output = [UInt8]()
        var buffer: UInt32 = 0
        var bits = 0
        for character in text.utf8 {
            switch symbol(character) {
            case .skip: continue
            case .invalid: return nil
            case .value(let value):
                buffer = (buffer << UInt32(bitsPerSymbol)) | UInt32(value)
                bits += bitsPerSymbol
                if bits >= 8 {
                    bits -= 8
                    output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
                }
            }
        }
        if bits >= bitsPerSymbol { return nil }
        return output
    }
}
