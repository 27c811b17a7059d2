/// Random values for secrets: tokens, one-time codes, salts, identifiers.
///
/// Every value comes from `SystemRandomNumberGenerator`, which reads the operating system's CSPRNG
/// (`getrandom(2)` on Linux, `arc4random_buf` on Apple platforms).
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var result = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word = generator.next()
            for _ in 0..<min(8, count - index) {
                result[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return result
    }

    /// A decimal code of exactly `digits` digits (leading zeros kept), uniformly distributed.
    ///
    /// Each digit is drawn without modulo bias, so every code of that length is equally likely.
    public static func numericCode(digits: Int) -> String {
        precondition(digits > 0 && digits <= 18, "a numeric code has 1 to 18 digits")
        var generator = SystemRandomNumberGenerator()
        var upper: UInt64 = 1
        for _ in 0..<digits { upper *= 10 }
        let value = UInt64.random(in: 0..<upper, using: &generator)
        let text = String(value)
        return String(repeating: "0", count: digits - text.count) + text
    }

    /// A uniformly distributed index in `0..<count`, without modulo bias.
    public static func index(below count: Int) -> Int {
        var generator = SystemRandomNumberGenerator()
        return Int.random(in: 0..<count, using: &generator)
    }

    /// An unguessable token of `byteCount` random bytes, written in unpadded base64url.
    ///
    /// The default of 32 bytes gives 256 bits of entropy.
    public static func token(byteCount: Int = 32) -> String {
        Base64URL.encode(bytes(byteCount))
    }

    /// A random version-4 UUID in its lowercase text form, used as a public record identifier.
    public static func uuid() -> String {
        var raw = bytes(16)
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        let hex = Hex.encode(raw)
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4),
                     hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }
}
