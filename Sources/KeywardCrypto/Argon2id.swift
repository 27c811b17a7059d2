#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Argon2id password hashing (RFC 9106, version 0x13), the memory-hard function Keyward stores
/// passwords with.
///
/// ``hash(password:salt:parameters:secret:associatedData:)`` returns the raw tag; the PHC string
/// helpers (``hashEncoded(password:parameters:)``, ``verify(password:encoded:limits:)``) are what
/// account code uses. Hashing is CPU- and memory-bound and synchronous: call it from a dedicated
/// worker pool, never from an event loop or Swift's cooperative pool.
public enum Argon2id {
    /// The Argon2 version this implementation computes (0x13, written `v=19` in PHC strings).
    public static let version = 0x13

    /// The shortest salt accepted, in bytes (RFC 9106 recommends 16, the size ``hashEncoded(password:parameters:)`` uses).
    public static let minimumSaltLength = 8

    /// The cost and output size of one Argon2id computation.
    ///
    /// Neither the initialiser nor decoding validates; every hash validates its parameters first
    /// and throws ``Argon2idError`` for values outside RFC 9106's ranges.
    public struct Parameters: Sendable, Hashable, Codable {
        /// Memory size `m` in KiB (1 KiB blocks). At least `8 × parallelism`, at most 2³² − 1.
        public var memoryKiB: Int
        /// Number of passes `t` over memory, at least 1.
        public var iterations: Int
        /// Number of lanes `p`, 1...2²⁴ − 1. Lanes are computed one after another here, so `p`
        /// changes the result but not the speed.
        public var parallelism: Int
        /// Length `T` of the tag in bytes, 4...2³² − 1.
        public var tagLength: Int

        /// Creates parameters; nothing is checked until a hash uses them.
        public init(memoryKiB: Int, iterations: Int, parallelism: Int, tagLength: Int = 32) {
            self.memoryKiB = memoryKiB
            self.iterations = iterations
            self.parallelism = parallelism
            self.tagLength = tagLength
        }

        /// OWASP's first recommendation for Argon2id: 19 MiB, 2 passes, 1 lane, 32-byte tag.
        public static let owasp = Parameters(memoryKiB: 19_456, iterations: 2, parallelism: 1, tagLength: 32)

        /// Throws ``Argon2idError`` when a value lies outside the ranges of RFC 9106, section 3.1.
        public func validate() throws(Argon2idError) {
            guard (1...Self.maximumParallelism).contains(parallelism) else { throw .parallelismOutOfRange }
            guard memoryKiB >= 8 * parallelism else { throw .memoryTooSmall }
            guard memoryKiB <= Self.maximum32BitValue else { throw .memoryTooLarge }
            guard (1...Self.maximum32BitValue).contains(iterations) else { throw .iterationsOutOfRange }
            guard (4...Self.maximum32BitValue).contains(tagLength) else { throw .tagLengthOutOfRange }
        }

        static let maximum32BitValue = Int(UInt32.max)
        static let maximumParallelism = (1 << 24) - 1
    }

    /// Computes the Argon2id tag of `password`.
    ///
    /// - Parameters:
    ///   - password: the password bytes (Keyward passes UTF-8).
    ///   - salt: a unique random salt of at least ``minimumSaltLength`` bytes.
    ///   - parameters: memory, passes, lanes and tag length; validated first.
    ///   - secret: the optional key `K` (a pepper), at most 2³² − 1 bytes.
    ///   - associatedData: the optional associated data `X`, at most 2³² − 1 bytes.
    /// - Returns: `parameters.tagLength` bytes.
    /// - Throws: ``Argon2idError`` when an input is out of range; never for a valid input.
    ///
    /// The parameters are trusted: memory is allocated as given (`memoryKiB` KiB), so check
    /// values that come from outside against ``Limits`` first, as ``verify(password:encoded:limits:)`` does.
    public static func hash(
        password: some Collection<UInt8>,
        salt: some Collection<UInt8>,
        parameters: Parameters,
        secret: [UInt8] = [],
        associatedData: [UInt8] = []
    ) throws(Argon2idError) -> [UInt8] {
        try computeTag(
            variant: .argon2id,
            password: Array(password),
            salt: Array(salt),
            parameters: parameters,
            secret: secret,
            associatedData: associatedData
        )
    }

    /// The three members of the Argon2 family. Only Argon2id is public; Argon2d and Argon2i
    /// exist so the tests can check every vector of RFC 9106, section 5.
    enum Variant: UInt32, Sendable {
        case argon2d = 0
        case argon2i = 1
        case argon2id = 2
    }

    static func computeTag(
        variant: Variant,
        password: [UInt8],
        salt: [UInt8],
        parameters: Parameters,
        secret: [UInt8],
        associatedData: [UInt8]
    ) throws(Argon2idError) -> [UInt8] {
        try parameters.validate()
        let maximumLength = Parameters.maximum32BitValue
        guard password.count <= maximumLength else { throw .passwordTooLong }
        guard salt.count >= minimumSaltLength else { throw .saltTooShort }
        guard salt.count <= maximumLength else { throw .saltTooLong }
        guard secret.count <= maximumLength else { throw .secretTooLong }
        guard associatedData.count <= maximumLength else { throw .associatedDataTooLong }

        var initialHash = initialHash(
            variant: variant,
            password: password,
            salt: salt,
            parameters: parameters,
            secret: secret,
            associatedData: associatedData
        )
        defer { wipe(&initialHash) }
        let memory = MemoryMatrix(variant: variant, parameters: parameters)
        defer { memory.release() }
        memory.fillFirstBlocks(initialHash: initialHash)
        memory.fillAllPasses()
        return memory.finalTag(tagLength: parameters.tagLength)
    }

    /// H₀ of RFC 9106, section 3.2, step 1.
    private static func initialHash(
        variant: Variant,
        password: [UInt8],
        salt: [UInt8],
        parameters: Parameters,
        secret: [UInt8],
        associatedData: [UInt8]
    ) -> [UInt8] {
        var hasher = Blake2b(digestLength: 64)
        for value in [
            parameters.parallelism, parameters.tagLength, parameters.memoryKiB,
            parameters.iterations, version, Int(variant.rawValue),
        ] {
            hasher.update(littleEndian32(value))
        }
        for input in [password, salt, secret, associatedData] {
            hasher.update(littleEndian32(input.count))
            hasher.update(input)
        }
        defer { hasher.wipe() }
        return hasher.finalize()
    }

    /// The variable-length hash H′ of RFC 9106, section 3.3, written into `output`
    /// (`output.count` is the tag length `T`).
    static func variableLengthHash(_ input: [UInt8], into output: UnsafeMutableRawBufferPointer) {
        let outputLength = output.count
        if outputLength <= Blake2b.maximumDigestLength {
            var hasher = Blake2b(digestLength: outputLength)
            hasher.update(littleEndian32(outputLength))
            hasher.update(input)
            var digest = hasher.finalize()
            output.copyBytes(from: digest)
            wipe(&digest)
            return
        }
        let fullBlockCount = (outputLength + 31) / 32 - 2
        var hasher = Blake2b(digestLength: 64)
        hasher.update(littleEndian32(outputLength))
        hasher.update(input)
        var value = hasher.finalize()
        UnsafeMutableRawBufferPointer(rebasing: output[0..<32]).copyBytes(from: value[0..<32])
        for index in 1..<fullBlockCount {
            let next = Blake2b.hash(value, digestLength: 64)
            wipe(&value)
            value = next
            UnsafeMutableRawBufferPointer(rebasing: output[(32 * index)..<(32 * index + 32)])
                .copyBytes(from: value[0..<32])
        }
        var last = Blake2b.hash(value, digestLength: outputLength - 32 * fullBlockCount)
        UnsafeMutableRawBufferPointer(rebasing: output[(32 * fullBlockCount)...]).copyBytes(from: last)
        wipe(&value)
        wipe(&last)
    }

    static func littleEndian32(_ value: Int) -> [UInt8] {
        let value = UInt32(truncatingIfNeeded: value)
        return [
            UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
            UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24),
        ]
    }

    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBufferPointer { $0.initialize(repeating: 0) }
    }
}

/// Why an Argon2id computation or a PHC string was refused. `code` is stable and safe to log;
/// compare errors with `==` (which compares codes) or switch on `code`.
public struct Argon2idError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable identifier such as `argon2id.saltTooShort`.
    public let code: String
    /// A sentence for logs and developers, never shown to end users as is.
    public let message: String

    init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// The code and message.
    public var description: String { "\(code): \(message)" }

    /// Errors compare equal when their codes are equal.
    public static func == (lhs: Argon2idError, rhs: Argon2idError) -> Bool { lhs.code == rhs.code }

    /// Hashes the code only, matching `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The salt is shorter than ``Argon2id/minimumSaltLength`` bytes.
    public static let saltTooShort = Argon2idError(code: "argon2id.saltTooShort", message: "salt must be at least 8 bytes")
    /// The salt is longer than 2³² − 1 bytes.
    public static let saltTooLong = Argon2idError(code: "argon2id.saltTooLong", message: "salt must be at most 2^32-1 bytes")
    /// The password is longer than 2³² − 1 bytes.
    public static let passwordTooLong = Argon2idError(code: "argon2id.passwordTooLong", message: "password must be at most 2^32-1 bytes")
    /// The secret is longer than 2³² − 1 bytes.
    public static let secretTooLong = Argon2idError(code: "argon2id.secretTooLong", message: "secret must be at most 2^32-1 bytes")
    /// The associated data is longer than 2³² − 1 bytes.
    public static let associatedDataTooLong = Argon2idError(
        code: "argon2id.associatedDataTooLong", message: "associated data must be at most 2^32-1 bytes")
    /// Memory is below 8 KiB per lane.
    public static let memoryTooSmall = Argon2idError(code: "argon2id.memoryTooSmall", message: "memory must be at least 8 KiB per lane")
    /// Memory is above 2³² − 1 KiB.
    public static let memoryTooLarge = Argon2idError(code: "argon2id.memoryTooLarge", message: "memory must be at most 2^32-1 KiB")
    /// Iterations are outside 1...2³² − 1.
    public static let iterationsOutOfRange = Argon2idError(
        code: "argon2id.iterationsOutOfRange", message: "iterations must be 1...2^32-1")
    /// Parallelism is outside 1...2²⁴ − 1.
    public static let parallelismOutOfRange = Argon2idError(
        code: "argon2id.parallelismOutOfRange", message: "parallelism must be 1...2^24-1")
    /// The tag length is outside 4...2³² − 1.
    public static let tagLengthOutOfRange = Argon2idError(
        code: "argon2id.tagLengthOutOfRange", message: "tag length must be 4...2^32-1 bytes")
    /// A PHC string is not of the form `$argon2id$v=19$m=…,t=…,p=…$salt$hash`.
    public static let malformedEncoding = Argon2idError(
        code: "argon2id.malformedEncoding", message: "not a PHC string of the form $argon2id$v=19$m=…,t=…,p=…$salt$hash")
    /// A PHC string names another algorithm than `argon2id`.
    public static let unsupportedVariant = Argon2idError(
        code: "argon2id.unsupportedVariant", message: "the PHC string is not an argon2id hash")
    /// A PHC string names an Argon2 version other than 19 (0x13).
    public static let unsupportedVersion = Argon2idError(
        code: "argon2id.unsupportedVersion", message: "only Argon2 version 19 (0x13) is supported")
    /// A PHC string's salt or hash is not unpadded standard base64.
    public static let invalidBase64 = Argon2idError(
        code: "argon2id.invalidBase64", message: "salt or hash is not unpadded standard base64")
    /// A PHC string asks for more memory, iterations or lanes than the verifier's ``Argon2id/Limits`` allow.
    public static let exceedsLimits = Argon2idError(
        code: "argon2id.exceedsLimits", message: "the PHC string's parameters exceed the configured limits")
}

/// The Argon2 memory of RFC 9106, section 3.2: `lanes × laneLength` blocks of 1024 bytes,
/// owned by one computation, zeroed and freed by ``release()``.
///
/// A block is 128 little-endian 64-bit words held as 64 `SIMD2<UInt64>` pairs, so the
/// compression runs two BLAKE2b columns at once in 128-bit vector registers.
private struct MemoryMatrix {
    typealias WordPair = SIMD2<UInt64>

    static let pairsPerBlock = 64
    static let wordsPerBlock = 128
    static let syncPoints = 4
    static let scratchBlockCount = 5

    let variant: Argon2id.Variant
    let lanes: Int
    let segmentLength: Int
    let laneLength: Int
    let blockCount: Int
    let iterations: Int
    /// All blocks, followed by the scratch blocks.
    let pairs: UnsafeMutablePointer<WordPair>
    /// Two blocks for the compression, then the address block, its input and a zero block.
    let scratch: UnsafeMutablePointer<WordPair>
    /// The whole mapping `pairs` lies in, to unmap; `nil` when `pairs` was allocated instead.
    let mapping: (UnsafeMutableRawPointer, Int)?

    init(variant: Argon2id.Variant, parameters: Argon2id.Parameters) {
        self.variant = variant
        lanes = parameters.parallelism
        segmentLength = parameters.memoryKiB / (Self.syncPoints * lanes)
        laneLength = segmentLength * Self.syncPoints
        blockCount = laneLength * lanes
        iterations = parameters.iterations
        let blockPairs = blockCount * Self.pairsPerBlock
        let scratchPairs = Self.scratchBlockCount * Self.pairsPerBlock
        (pairs, mapping) = Self.map(pairCount: blockPairs + scratchPairs)
        scratch = pairs + blockPairs
        scratch.initialize(repeating: .zero, count: scratchPairs)
    }

    /// Zeroes every block and frees the memory.
    func release() {
        let pairCount = (blockCount + Self.scratchBlockCount) * Self.pairsPerBlock
        Self.secureZero(UnsafeMutableRawPointer(pairs), byteCount: pairCount * MemoryLayout<WordPair>.stride)
        Self.unmap(pairs, mapping: mapping)
    }

    /// Memory for `pairCount` pairs, mapped from the system for this hash alone. The allocator
    /// would keep a freed block of this size in its arena (its mmap threshold grows to the
    /// largest block freed), so every hashing thread would hold the memory of a hash after the
    /// hash is done; mapped memory goes back to the system when it is unmapped. The mapping is
    /// aligned to 2 MiB and offered for transparent huge pages, so that the kernel fills it with
    /// a few large pages instead of thousands of small ones.
    private static func map(pairCount: Int) -> (UnsafeMutablePointer<WordPair>, mapping: (UnsafeMutableRawPointer, Int)?) {
        #if canImport(Glibc) || canImport(Darwin)
        let byteCount = pairCount * MemoryLayout<WordPair>.stride
        let length = byteCount + hugePage
        if let memory = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
           memory != MAP_FAILED {
            let offset = (hugePage - Int(bitPattern: memory) % hugePage) % hugePage
            let aligned = memory + offset
            #if canImport(Glibc)
            _ = madvise(aligned, byteCount, MADV_HUGEPAGE)
            #endif
            return (aligned.bindMemory(to: WordPair.self, capacity: pairCount), (memory, length))
        }
        #endif
        // Mapping failed: the allocator's memory works the same.
        return (.allocate(capacity: pairCount), nil)
    }

    private static let hugePage = 2 << 20

    private static func unmap(_ pointer: UnsafeMutablePointer<WordPair>, mapping: (UnsafeMutableRawPointer, Int)?) {
        #if canImport(Glibc) || canImport(Darwin)
        if let (start, length) = mapping {
            munmap(start, length)
            return
        }
        #endif
        pointer.deallocate()
    }

    /// Zeroes memory through an opaque call so the stores cannot be dropped as dead.
    @inline(never)
    static func secureZero(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
    }

    @inline(__always)
    func block(_ index: Int) -> UnsafeMutablePointer<WordPair> {
        pairs + index &* Self.pairsPerBlock
    }

    /// B[i][0] and B[i][1] of every lane (RFC 9106, section 3.2, steps 3 and 4).
    func fillFirstBlocks(initialHash: [UInt8]) {
        var input = initialHash + [UInt8](repeating: 0, count: 8)
        var bytes = [UInt8](repeating: 0, count: 1024)
        for lane in 0..<lanes {
            for column in 0..<2 {
                input.replaceSubrange(64..<68, with: Argon2id.littleEndian32(column))
                input.replaceSubrange(68..<72, with: Argon2id.littleEndian32(lane))
                bytes.withUnsafeMutableBytes { Argon2id.variableLengthHash(input, into: $0) }
                let destination = block(lane * laneLength + column)
                bytes.withUnsafeBytes { source in
                    for pair in 0..<Self.pairsPerBlock {
                        destination[pair] = WordPair(
                            UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 16 * pair, as: UInt64.self)),
                            UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 16 * pair + 8, as: UInt64.self))
                        )
                    }
                }
            }
        }
        Argon2id.wipe(&input)
        Argon2id.wipe(&bytes)
    }

    /// The tag: H′ of the XOR of every lane's last block (RFC 9106, section 3.2, steps 7 and 8).
    func finalTag(tagLength: Int) -> [UInt8] {
        let accumulator = scratch
        accumulator.update(from: block(laneLength - 1), count: Self.pairsPerBlock)
        for lane in 1..<lanes {
            let last = block(lane * laneLength + laneLength - 1)
            for pair in 0..<Self.pairsPerBlock { accumulator[pair] ^= last[pair] }
        }
        var bytes = [UInt8](repeating: 0, count: 1024)
        bytes.withUnsafeMutableBytes { destination in
            for pair in 0..<Self.pairsPerBlock {
                destination.storeBytes(of: accumulator[pair][0].littleEndian, toByteOffset: 16 * pair, as: UInt64.self)
                destination.storeBytes(of: accumulator[pair][1].littleEndian, toByteOffset: 16 * pair + 8, as: UInt64.self)
            }
        }
        var tag = [UInt8](repeating: 0, count: tagLength)
        tag.withUnsafeMutableBytes { Argon2id.variableLengthHash(bytes, into: $0) }
        Argon2id.wipe(&bytes)
        return tag
    }

    func fillAllPasses() {
        for pass in 0..<iterations {
            for slice in 0..<Self.syncPoints {
                // Lanes of one slice never read each other's current segment, so computing them
                // one after another gives the same result as computing them in parallel.
                for lane in 0..<lanes {
                    fillSegment(pass: pass, slice: slice, lane: lane)
                }
            }
        }
    }

    /// Computes one segment (RFC 9106, section 3.4), as `fill_segment` of the reference code.
    func fillSegment(pass: Int, slice: Int, lane: Int) {
        let dataIndependent = variant == .argon2i
            || (variant == .argon2id && pass == 0 && slice < Self.syncPoints / 2)
        let compressionScratch = scratch
        let addresses = scratch + 2 * Self.pairsPerBlock
        let addressInput = scratch + 3 * Self.pairsPerBlock
        let zeroBlock = scratch + 4 * Self.pairsPerBlock

        if dataIndependent {
            addressInput.update(repeating: .zero, count: Self.pairsPerBlock)
            addressInput[0] = WordPair(UInt64(pass), UInt64(lane))
            addressInput[1] = WordPair(UInt64(slice), UInt64(blockCount))
            addressInput[2] = WordPair(UInt64(iterations), UInt64(variant.rawValue))
        }
        func nextAddresses() {
            addressInput[3][0] &+= 1
            Self.compress(zeroBlock, addressInput, into: addresses, scratch: compressionScratch, xorInto: false)
            Self.compress(zeroBlock, addresses, into: addresses, scratch: compressionScratch, xorInto: false)
        }

        var startingIndex = 0
        if pass == 0 && slice == 0 {
            startingIndex = 2
            if dataIndependent { nextAddresses() }
        }
        var currentOffset = lane * laneLength + slice * segmentLength + startingIndex
        var previousOffset = currentOffset % laneLength == 0 ? currentOffset + laneLength - 1 : currentOffset - 1
        let xorInto = pass != 0

        for index in startingIndex..<segmentLength {
            if currentOffset % laneLength == 1 { previousOffset = currentOffset - 1 }
            let pseudoRandom: UInt64
            if dataIndependent {
                let position = index % Self.wordsPerBlock
                if position == 0 { nextAddresses() }
                pseudoRandom = addresses[position / 2][position % 2]
            } else {
                pseudoRandom = block(previousOffset)[0][0]
            }
            let referenceLane = pass == 0 && slice == 0 ? lane : Int((pseudoRandom >> 32) % UInt64(lanes))
            let referenceIndex = referenceIndex(
                pass: pass, slice: slice, index: index,
                sameLane: referenceLane == lane,
                pseudoRandom: pseudoRandom & 0xffff_ffff
            )
            Self.compress(
                block(previousOffset),
                block(referenceLane * laneLength + referenceIndex),
                into: block(currentOffset),
                scratch: compressionScratch,
                xorInto: xorInto
            )
            currentOffset += 1
            previousOffset += 1
        }
    }

    /// The reference block's index within its lane (RFC 9106, section 3.4.1.2; `index_alpha`).
    @inline(__always)
    func referenceIndex(pass: Int, slice: Int, index: Int, sameLane: Bool, pseudoRandom: UInt64) -> Int {
        let areaSize: Int
        if pass == 0 {
            if slice == 0 {
                areaSize = index - 1
            } else if sameLane {
                areaSize = slice * segmentLength + index - 1
            } else {
                areaSize = slice * segmentLength + (index == 0 ? -1 : 0)
            }
        } else if sameLane {
            areaSize = laneLength - segmentLength + index - 1
        } else {
            areaSize = laneLength - segmentLength + (index == 0 ? -1 : 0)
        }
        let size = UInt64(areaSize)
        let squared = (pseudoRandom &* pseudoRandom) >> 32
        let relative = size &- 1 &- ((size &* squared) >> 32)
        let start = pass == 0 || slice == Self.syncPoints - 1 ? 0 : (slice + 1) * segmentLength
        return (start + Int(relative)) % laneLength
    }

    /// The compression function G of RFC 9106, section 3.5:
    /// `next = P(X ⊕ Y) ⊕ (X ⊕ Y)`, XORed into `next`'s old value when `xorInto` (passes after
    /// the first, version 0x13). `next` may alias `x` or `y`; `scratch` holds two blocks.
    @inline(__always)
    static func compress(
        _ x: UnsafePointer<WordPair>,
        _ y: UnsafePointer<WordPair>,
        into next: UnsafeMutablePointer<WordPair>,
        scratch: UnsafeMutablePointer<WordPair>,
        xorInto: Bool
    ) {
        let permuted = scratch
        let saved = scratch + pairsPerBlock
        // Rows: row k is words 16k..<16k+16, pairs 8k..<8k+8.
        for row in 0..<8 {
            let base = 8 * row
            var a0 = x[base] ^ y[base], a1 = x[base + 1] ^ y[base + 1]
            var b0 = x[base + 2] ^ y[base + 2], b1 = x[base + 3] ^ y[base + 3]
            var c0 = x[base + 4] ^ y[base + 4], c1 = x[base + 5] ^ y[base + 5]
            var d0 = x[base + 6] ^ y[base + 6], d1 = x[base + 7] ^ y[base + 7]
            if xorInto {
                saved[base] = a0 ^ next[base]; saved[base + 1] = a1 ^ next[base + 1]
                saved[base + 2] = b0 ^ next[base + 2]; saved[base + 3] = b1 ^ next[base + 3]
                saved[base + 4] = c0 ^ next[base + 4]; saved[base + 5] = c1 ^ next[base + 5]
                saved[base + 6] = d0 ^ next[base + 6]; saved[base + 7] = d1 ^ next[base + 7]
            } else {
                saved[base] = a0; saved[base + 1] = a1
                saved[base + 2] = b0; saved[base + 3] = b1
                saved[base + 4] = c0; saved[base + 5] = c1
                saved[base + 6] = d0; saved[base + 7] = d1
            }
            permute(&a0, &a1, &b0, &b1, &c0, &c1, &d0, &d1)
            permuted[base] = a0; permuted[base + 1] = a1
            permuted[base + 2] = b0; permuted[base + 3] = b1
            permuted[base + 4] = c0; permuted[base + 5] = c1
            permuted[base + 6] = d0; permuted[base + 7] = d1
        }
        // Columns: column c is words (2c, 2c+1), (2c+16, 2c+17), …, pairs c, c+8, …, c+56.
        for column in 0..<8 {
            var a0 = permuted[column], a1 = permuted[column + 8]
            var b0 = permuted[column + 16], b1 = permuted[column + 24]
            var c0 = permuted[column + 32], c1 = permuted[column + 40]
            var d0 = permuted[column + 48], d1 = permuted[column + 56]
            permute(&a0, &a1, &b0, &b1, &c0, &c1, &d0, &d1)
            next[column] = a0 ^ saved[column]; next[column + 8] = a1 ^ saved[column + 8]
            next[column + 16] = b0 ^ saved[column + 16]; next[column + 24] = b1 ^ saved[column + 24]
            next[column + 32] = c0 ^ saved[column + 32]; next[column + 40] = c1 ^ saved[column + 40]
            next[column + 48] = d0 ^ saved[column + 48]; next[column + 56] = d1 ^ saved[column + 56]
        }
    }

    /// The permutation P of RFC 9106, section 3.6, on the sixteen words `v0…v15` held as the
    /// pairs `a0 = (v0,v1)`, `a1 = (v2,v3)`, `b0 = (v4,v5)`, … `d1 = (v14,v15)`.
    @inline(__always)
    static func permute(
        _ a0: inout WordPair, _ a1: inout WordPair,
        _ b0: inout WordPair, _ b1: inout WordPair,
        _ c0: inout WordPair, _ c1: inout WordPair,
        _ d0: inout WordPair, _ d1: inout WordPair
    ) {
        // Columns: GB(v0, v4, v8, v12) … GB(v3, v7, v11, v15).
        mix(&a0, &b0, &c0, &d0)
        mix(&a1, &b1, &c1, &d1)
        // Diagonals: GB(v0, v5, v10, v15), GB(v1, v6, v11, v12), GB(v2, v7, v8, v13), GB(v3, v4, v9, v14).
        var e0 = WordPair(b0[1], b1[0]), e1 = WordPair(b1[1], b0[0])
        var f0 = WordPair(d1[1], d0[0]), f1 = WordPair(d0[1], d1[0])
        mix(&a0, &e0, &c1, &f0)
        mix(&a1, &e1, &c0, &f1)
        b0 = WordPair(e1[1], e0[0]); b1 = WordPair(e0[1], e1[0])
        d0 = WordPair(f0[1], f1[0]); d1 = WordPair(f1[1], f0[0])
    }

    /// GB of RFC 9106, section 3.6, on two independent columns at once.
    @inline(__always)
    static func mix(_ a: inout WordPair, _ b: inout WordPair, _ c: inout WordPair, _ d: inout WordPair) {
        a = multiplyAdd(a, b)
        d = rotateRight32(d ^ a)
        c = multiplyAdd(c, d)
        b = rotateRight24(b ^ c)
        a = multiplyAdd(a, b)
        d = rotateRight16(d ^ a)
        c = multiplyAdd(c, d)
        b = rotateRight63(b ^ c)
    }

    /// `x + y + 2 · lo32(x) · lo32(y)`, the BlaMka addition.
    @inline(__always)
    static func multiplyAdd(_ x: WordPair, _ y: WordPair) -> WordPair {
        let low = WordPair(repeating: 0xffff_ffff)
        let product = (x & low) &* (y & low)
        return x &+ y &+ product &+ product
    }

    // SSE2 has no 64-bit vector rotate, and a rotate written as two shifts is turned back into
    // scalar rotates by the optimiser. Rotations are therefore a 32-bit lane shuffle (by 32) or a
    // right shift joined with a multiplication by a power of two (a left shift the optimiser
    // keeps in vector registers): each compiles to the same two or three SSE2 instructions
    // libargon2's SSE2 build uses.

    @inline(__always)
    static func rotateRight32(_ value: WordPair) -> WordPair {
        let halves = unsafeBitCast(value, to: SIMD4<UInt32>.self)
        return unsafeBitCast(SIMD4(halves[1], halves[0], halves[3], halves[2]), to: WordPair.self)
    }

    @inline(__always)
    static func rotateRight24(_ value: WordPair) -> WordPair {
        (value &>> 24) | (value &* WordPair(repeating: 1 << 40))
    }

    @inline(__always)
    static func rotateRight16(_ value: WordPair) -> WordPair {
        (value &>> 16) | (value &* WordPair(repeating: 1 << 48))
    }

    @inline(__always)
    static func rotateRight63(_ value: WordPair) -> WordPair {
        (value &>> 63) | (value &+ value)
    }
}
