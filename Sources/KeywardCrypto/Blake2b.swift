/// The BLAKE2b hash function of RFC 7693, with a digest of 1...64 bytes and an optional key of
/// up to 64 bytes (keyed BLAKE2b is a MAC).
///
/// Feed input with ``update(_:)`` as often as needed, then call ``finalize()``; or use the
/// one-shot ``hash(_:digestLength:key:)``. The value is a plain struct: copying it forks the
/// hash state, which is how a shared prefix is hashed once.
public struct Blake2b: Sendable {
    /// The largest digest BLAKE2b produces, in bytes.
    public static let maximumDigestLength = 64

    /// The longest key BLAKE2b accepts, in bytes.
    public static let maximumKeyLength = 64

    /// The size of one input block, in bytes.
    static let blockLength = 128

    /// The initialisation vector of RFC 7693, section 2.6 (the SHA-512 IV).
    static let initializationVector: [UInt64] = [
        0x6a09_e667_f3bc_c908, 0xbb67_ae85_84ca_a73b, 0x3c6e_f372_fe94_f82b, 0xa54f_f53a_5f1d_36f1,
        0x510e_527f_ade6_82d1, 0x9b05_688c_2b3e_6c1f, 0x1f83_d9ab_fb41_bd6b, 0x5be0_cd19_137e_2179,
    ]

    /// The message word schedule of RFC 7693, section 2.7, one row of 16 indices per round.
    static let messageSchedule: [UInt8] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
        11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
        7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
        9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
        2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
        12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
        13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
        6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
        10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
    ]

    /// The number of bytes ``finalize()`` returns.
    public let digestLength: Int

    private var state: [UInt64]
    private var buffer: [UInt8]
    private var bufferedCount = 0
    private var byteCountLow: UInt64 = 0
    private var byteCountHigh: UInt64 = 0

    /// Starts a hash producing `digestLength` bytes, keyed with `key` when it is not empty.
    ///
    /// - Precondition: `digestLength` is in 1...64 and `key` holds at most 64 bytes.
    public init(digestLength: Int = Blake2b.maximumDigestLength, key: [UInt8] = []) {
        precondition(
            (1...Self.maximumDigestLength).contains(digestLength),
            "BLAKE2b digest length must be 1...64 bytes"
        )
        precondition(key.count <= Self.maximumKeyLength, "BLAKE2b key must be at most 64 bytes")
        self.digestLength = digestLength
        var state = Self.initializationVector
        state[0] ^= 0x0101_0000 ^ (UInt64(key.count) << 8) ^ UInt64(digestLength)
        self.state = state
        self.buffer = [UInt8](repeating: 0, count: Self.blockLength)
        if !key.isEmpty {
            // The key, zero-padded to a full block, is the first block of input (RFC 7693, 3.3).
            buffer.replaceSubrange(0..<key.count, with: key)
            bufferedCount = Self.blockLength
        }
    }

    /// Hashes `bytes` in one call and returns the `digestLength`-byte digest.
    public static func hash(
        _ bytes: some Collection<UInt8>,
        digestLength: Int = Blake2b.maximumDigestLength,
        key: [UInt8] = []
    ) -> [UInt8] {
        var hasher = Blake2b(digestLength: digestLength, key: key)
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Appends `bytes` to the input.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { contiguous in
            update(UnsafeRawBufferPointer(contiguous))
        }
        if handled == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }

    /// Appends the bytes of `input` to the input.
    public mutating func update(_ input: UnsafeRawBufferPointer) {
        let count = input.count
        var offset = 0
        while offset < count {
            if bufferedCount == Self.blockLength {
                // More input follows, so the buffered block is not the last one.
                advanceByteCount(by: Self.blockLength)
                compressBuffer(isLastBlock: false)
                bufferedCount = 0
            }
            if bufferedCount == 0, count - offset > Self.blockLength {
                advanceByteCount(by: Self.blockLength)
                let (counterLow, counterHigh) = (byteCountLow, byteCountHigh)
                state.withUnsafeMutableBufferPointer { state in
                    Self.compress(
                        state: state.baseAddress!,
                        block: input.baseAddress! + offset,
                        counterLow: counterLow,
                        counterHigh: counterHigh,
                        isLastBlock: false
                    )
                }
                offset += Self.blockLength
                continue
            }
            let taken = min(Self.blockLength - bufferedCount, count - offset)
            buffer.withUnsafeMutableBytes { destination in
                destination.baseAddress!.advanced(by: bufferedCount)
                    .copyMemory(from: input.baseAddress! + offset, byteCount: taken)
            }
            bufferedCount += taken
            offset += taken
        }
    }

    /// Returns the digest of everything passed to ``update(_:)``.
    ///
    /// The receiver is not changed; finalising a copy leaves the original able to take more input.
    public func finalize() -> [UInt8] {
        var copy = self
        copy.advanceByteCount(by: copy.bufferedCount)
        copy.buffer.withUnsafeMutableBytes { bytes in
            for index in copy.bufferedCount..<Self.blockLength { bytes[index] = 0 }
        }
        copy.compressBuffer(isLastBlock: true)
        var digest = [UInt8](repeating: 0, count: digestLength)
        for index in 0..<digestLength {
            digest[index] = UInt8(truncatingIfNeeded: copy.state[index / 8] >> (8 * UInt64(index % 8)))
        }
        copy.wipe()
        return digest
    }

    private mutating func advanceByteCount(by count: Int) {
        let (sum, overflow) = byteCountLow.addingReportingOverflow(UInt64(count))
        byteCountLow = sum
        if overflow { byteCountHigh &+= 1 }
    }

    /// Overwrites the chaining state and buffered input with zeros; the hasher is unusable after.
    mutating func wipe() {
        for index in state.indices { state[index] = 0 }
        for index in buffer.indices { buffer[index] = 0 }
    }

    private mutating func compressBuffer(isLastBlock: Bool) {
        let (counterLow, counterHigh) = (byteCountLow, byteCountHigh)
        state.withUnsafeMutableBufferPointer { state in
            buffer.withUnsafeBytes { block in
                Self.compress(
                    state: state.baseAddress!,
                    block: block.baseAddress!,
                    counterLow: counterLow,
                    counterHigh: counterHigh,
                    isLastBlock: isLastBlock
                )
            }
        }
    }

    /// The compression function F of RFC 7693, section 3.2.
    private static func compress(
        state: UnsafeMutablePointer<UInt64>,
        block: UnsafeRawPointer,
        counterLow: UInt64,
        counterHigh: UInt64,
        isLastBlock: Bool
    ) {
        Self.messageSchedule.withUnsafeBufferPointer { schedule in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 32) { scratch in
                let work = scratch.baseAddress!
                let message = work + 16
                for index in 0..<16 {
                    message[index] = UInt64(
                        littleEndian: block.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self)
                    )
                }
                for index in 0..<8 {
                    work[index] = state[index]
                    work[index + 8] = Self.initializationVector[index]
                }
                work[12] ^= counterLow
                work[13] ^= counterHigh
                if isLastBlock { work[14] = ~work[14] }
                for round in 0..<12 {
                    let row = (round % 10) * 16
                    @inline(__always) func word(_ position: Int) -> UInt64 {
                        message[Int(schedule[row + position])]
                    }
                    Self.mix(work, 0, 4, 8, 12, word(0), word(1))
                    Self.mix(work, 1, 5, 9, 13, word(2), word(3))
                    Self.mix(work, 2, 6, 10, 14, word(4), word(5))
                    Self.mix(work, 3, 7, 11, 15, word(6), word(7))
                    Self.mix(work, 0, 5, 10, 15, word(8), word(9))
                    Self.mix(work, 1, 6, 11, 12, word(10), word(11))
                    Self.mix(work, 2, 7, 8, 13, word(12), word(13))
                    Self.mix(work, 3, 4, 9, 14, word(14), word(15))
                }
                for index in 0..<8 {
                    state[index] ^= work[index] ^ work[index + 8]
                }
                scratch.initialize(repeating: 0)
            }
        }
    }

    /// The mixing function G of RFC 7693, section 3.1.
    @inline(__always)
    private static func mix(
        _ work: UnsafeMutablePointer<UInt64>,
        _ a: Int, _ b: Int, _ c: Int, _ d: Int,
        _ x: UInt64, _ y: UInt64
    ) {
        work[a] = work[a] &+ work[b] &+ x
        work[d] = rotateRight(work[d] ^ work[a], 32)
        work[c] = work[c] &+ work[d]
        work[b] = rotateRight(work[b] ^ work[c], 24)
        work[a] = work[a] &+ work[b] &+ y
        work[d] = rotateRight(work[d] ^ work[a], 16)
        work[c] = work[c] &+ work[d]
        work[b] = rotateRight(work[b] ^ work[c], 63)
    }

    @inline(__always)
    private static func rotateRight(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value &>> count) | (value &<< (64 &- count))
    }
}
