/// An Argon2id hash in the PHC string format, as libargon2 and argon2-cffi write it:
/// `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, salt and hash in standard base64
/// without padding.
///
/// Parsing is strict and total: anything that is not exactly this shape, with values inside
/// RFC 9106's ranges, throws ``Argon2idError`` rather than trapping. A parsed value says nothing
/// about the cost of verifying it; ``Argon2id/verify(password:encoded:limits:)`` checks that
/// against ``Argon2id/Limits``.
public struct PHCString: Sendable {
    /// The algorithm identifier, `argon2id`.
    public static let algorithm = "argon2id"

    /// Memory, iterations and parallelism from the string; `tagLength` is the hash's length.
    public private(set) var parameters: Argon2id.Parameters
    /// The salt bytes.
    public let salt: [UInt8]
    /// The tag (the "hash" field) bytes.
    public let hash: [UInt8]

    /// Wraps a computed hash; `parameters.tagLength` is replaced by `hash.count`.
    public init(parameters: Argon2id.Parameters, salt: [UInt8], hash: [UInt8]) {
        self.parameters = parameters
        self.parameters.tagLength = hash.count
        self.salt = salt
        self.hash = hash
    }

    /// Parses `encoded`.
    ///
    /// - Throws: ``Argon2idError/unsupportedVariant`` for another algorithm (`argon2i`,
    ///   `argon2d`, `2b`…), ``Argon2idError/unsupportedVersion`` for a version other than 19,
    ///   ``Argon2idError/invalidBase64`` for a bad salt or hash, ``Argon2idError/malformedEncoding``
    ///   for any other deviation from the format, and the parameter errors of
    ///   ``Argon2id/Parameters/validate()`` (and ``Argon2idError/saltTooShort``) for values out of range.
    public init(parsing encoded: some StringProtocol) throws(Argon2idError) {
        let fields = encoded.utf8.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)
        guard fields.count >= 2, fields[0].isEmpty else { throw .malformedEncoding }
        guard fields[1].elementsEqual(Self.algorithm.utf8) else {
            throw fields[1].isEmpty ? .malformedEncoding : .unsupportedVariant
        }
        // Version 0x10 strings carry no `v=` field: `$argon2id$m=…$salt$hash`.
        if fields.count == 5, fields[2].starts(with: "m=".utf8) { throw .unsupportedVersion }
        guard fields.count == 6 else { throw .malformedEncoding }

        guard let version = Self.decimal(fields[2], key: "v") else { throw .malformedEncoding }
        guard version == Argon2id.version else { throw .unsupportedVersion }

        let costs = fields[3].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard costs.count == 3,
            let memoryKiB = Self.decimal(costs[0], key: "m"),
            let iterations = Self.decimal(costs[1], key: "t"),
            let parallelism = Self.decimal(costs[2], key: "p")
        else { throw .malformedEncoding }

        guard let salt = Self.decodeBase64(fields[4]), let hash = Self.decodeBase64(fields[5]) else {
            throw .invalidBase64
        }
        let parameters = Argon2id.Parameters(
            memoryKiB: memoryKiB, iterations: iterations, parallelism: parallelism, tagLength: hash.count
        )
        try parameters.validate()
        guard salt.count >= Argon2id.minimumSaltLength else { throw .saltTooShort }
        self.init(parameters: parameters, salt: salt, hash: hash)
    }

    /// The PHC string, `$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`.
    public var encoded: String {
        "$\(Self.algorithm)$v=\(Argon2id.version)$m=\(parameters.memoryKiB),t=\(parameters.iterations),"
            + "p=\(parameters.parallelism)$\(Self.encodeBase64(salt))$\(Self.encodeBase64(hash))"
    }

    /// Reads `key=value` where value is a canonical decimal (no sign, no leading zero) of at most
    /// ten digits and at most 2³² − 1.
    private static func decimal(_ field: some Collection<UInt8>, key: Unicode.Scalar) -> Int? {
        let digits = field.dropFirst(2)
        guard field.count > 2,
            field[field.startIndex] == UInt8(ascii: key),
            field[field.index(after: field.startIndex)] == UInt8(ascii: "="),
            digits.count <= 10,
            digits.count == 1 || digits.first != UInt8(ascii: "0")
        else { return nil }
        var value = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value <= Int(UInt32.max) ? value : nil
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 (RFC 4648, section 4) without `=` padding.
    static func encodeBase64(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let first = UInt32(bytes[index])
            let second = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let third = remaining > 2 ? UInt32(bytes[index + 2]) : 0
            let group = first << 16 | second << 8 | third
            let characterCount = min(remaining, 3) + 1
            for position in 0..<characterCount {
                output.append(base64Alphabet[Int((group >> (18 - 6 * UInt32(position))) & 0x3f)])
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes unpadded standard base64, refusing padding, other characters, a length of
    /// 1 modulo 4, non-zero unused trailing bits (as libargon2 does) and empty input.
    static func decodeBase64(_ characters: some Collection<UInt8>) -> [UInt8]? {
        guard !characters.isEmpty, characters.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bitCount = 0
        for character in characters {
            let value: UInt8
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = character - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = character - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = character - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            default: return nil
            }
            accumulator = (accumulator << 6 | UInt32(value)) & 0xffff
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
            }
        }
        guard accumulator & ((1 << UInt32(bitCount)) - 1) == 0 else { return nil }
        return output
    }
}

extension Argon2id {
    /// Upper bounds on the cost of verifying a stored PHC string, so a tampered or hostile
    /// string is refused with ``Argon2idError/exceedsLimits`` instead of exhausting memory or CPU.
    public struct Limits: Sendable, Hashable, Codable {
        /// The most memory a verification may use, in KiB.
        public var maximumMemoryKiB: Int
        /// The most passes a verification may make.
        public var maximumIterations: Int
        /// The most lanes a verification may use.
        public var maximumParallelism: Int

        /// Creates limits.
        public init(maximumMemoryKiB: Int, maximumIterations: Int, maximumParallelism: Int) {
            self.maximumMemoryKiB = maximumMemoryKiB
            self.maximumIterations = maximumIterations
            self.maximumParallelism = maximumParallelism
        }

        /// 1 GiB, 64 passes, 64 lanes: far above any setting a login server uses, far below a crash.
        public static let `default` = Limits(maximumMemoryKiB: 1 << 20, maximumIterations: 64, maximumParallelism: 64)

        /// Whether a hash with `parameters` stays within these limits.
        public func allows(_ parameters: Parameters) -> Bool {
            parameters.memoryKiB <= maximumMemoryKiB
                && parameters.iterations <= maximumIterations
                && parameters.parallelism <= maximumParallelism
        }
    }

    /// Hashes `password` (its UTF-8 bytes, not normalised) with a fresh random 16-byte salt from
    /// `SystemRandomNumberGenerator` (the kernel CSPRNG) and returns the PHC string to store.
    ///
    /// - Throws: ``Argon2idError`` when `parameters` are out of range.
    public static func hashEncoded(password: String, parameters: Parameters) throws(Argon2idError) -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return try hashEncoded(password: password, salt: salt, parameters: parameters)
    }

    /// Hashes `password` with the given `salt` and returns the PHC string. Use
    /// ``hashEncoded(password:parameters:)`` in production; this form exists for reproducible tests.
    public static func hashEncoded(password: String, salt: [UInt8], parameters: Parameters) throws(Argon2idError) -> String {
        var passwordBytes = Array(password.utf8)
        defer { wipe(&passwordBytes) }
        let tag = try hash(password: passwordBytes, salt: salt, parameters: parameters)
        return PHCString(parameters: parameters, salt: salt, hash: tag).encoded
    }

    /// Whether `password` matches the PHC string `encoded`, comparing tags in constant time.
    ///
    /// - Returns: `false` for a wrong password.
    /// - Throws: ``Argon2idError`` when `encoded` is not a valid Argon2id PHC string or asks for
    ///   more than `limits` allow. A thrown error means the stored hash is unusable, not that the
    ///   password is wrong.
    public static func verify(password: String, encoded: String, limits: Limits = .default) throws(Argon2idError) -> Bool {
        let stored = try PHCString(parsing: encoded)
        guard limits.allows(stored.parameters) else { throw .exceedsLimits }
        var passwordBytes = Array(password.utf8)
        defer { wipe(&passwordBytes) }
        var computed = try hash(password: passwordBytes, salt: stored.salt, parameters: stored.parameters)
        defer { wipe(&computed) }
        return ConstantTime.equals(computed, stored.hash)
    }

    /// The parameters a PHC string was hashed with (`tagLength` is its hash's length).
    ///
    /// - Throws: ``Argon2idError`` when `encoded` is not a valid Argon2id PHC string.
    public static func parameters(ofEncoded encoded: String) throws(Argon2idError) -> Parameters {
        try PHCString(parsing: encoded).parameters
    }

    /// Whether a stored hash should be replaced after the next successful verification: it was
    /// made with other parameters than `parameters` or with a salt shorter than 16 bytes, or it
    /// cannot be read at all.
    public static func needsRehash(encoded: String, parameters: Parameters) -> Bool {
        guard let stored = try? PHCString(parsing: encoded) else { return true }
        return stored.parameters != parameters || stored.salt.count < 16
    }
}
