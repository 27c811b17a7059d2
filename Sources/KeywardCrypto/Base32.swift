/// Base32 (RFC 4648 section 6), the alphabet authenticator apps use for their secret keys.
public enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Encodes `bytes` in upper case, without padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        RadixCoding.encode(bytes, bitsPerSymbol: 5, alphabet: alphabet)
    }

    /// Decodes base32 as people type it: either case, with spaces, dashes and `=` padding ignored.
    /// `nil` for any other character or for trailing bits that do not form a whole encoding.
    public static func decode(_ text: String) -> [UInt8]? {
        RadixCoding.decode(text, bitsPerSymbol: 5) { character in
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): return .value(character - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): return .value(character - UInt8(ascii: "a"))
            case UInt8(ascii: "2")...UInt8(ascii: "7"): return .value(character - UInt8(ascii: "2") + 26)
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "="): return .skip
            default: return .invalid
            }
        }
    }
}
