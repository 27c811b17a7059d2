/// Bounds on the work the decoder does for one input.
public struct CBORLimits: Sendable, Equatable {
    /// The most arrays, maps and tags that may be nested inside one another.
    public let maximumDepth: Int
    /// The most data items in one input, counting every nested item, map key and string chunk.
    public let maximumItems: Int

    /// Limits with a depth of 16 and 10,000 items by default, ample for WebAuthn structures.
    /// Each level of nesting costs stack space, so a depth above 512 is lowered to 512.
    public init(maximumDepth: Int = 16, maximumItems: Int = 10_000) {
        self.maximumDepth = min(max(maximumDepth, 0), 512)
        self.maximumItems = max(maximumItems, 0)
    }
}

/// Why an input is not one acceptable CBOR data item.
public struct CBORError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of fault; the raw value is stable and safe to log or match on.
    public enum Kind: String, Sendable, Equatable {
        /// The input ends inside an item, or declares more bytes than remain.
        case truncated
        /// Bytes follow the item where the whole input was to be one item.
        case trailingBytes
        /// Additional information 28, 29 or 30.
        case reservedAdditionalInformation
        /// Indefinite length on an integer or a tag.
        case indefiniteLengthNotAllowed
        /// A break (0xFF) where no indefinite-length item is open, or where a map value is due.
        case unexpectedBreak
        /// A chunk of an indefinite-length string that is not a definite string of the same type.
        case invalidChunk
        /// A text string that is not valid UTF-8.
        case invalidUTF8
        /// A two-byte simple value below 32.
        case invalidSimpleValue
        /// A map that has the same key twice.
        case duplicateMapKey
        /// More nesting than `CBORLimits.maximumDepth`.
        case depthLimitExceeded
        /// More items than `CBORLimits.maximumItems`.
        case itemLimitExceeded
    }

    /// The kind of fault.
    public let kind: Kind
    /// The offset, from the start of the input, of the byte where the fault was found.
    public let offset: Int

    /// An error of this kind at this offset.
    public init(_ kind: Kind, offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    /// `cbor.<kind> at byte <offset>`.
    public var description: String {
        "cbor.\(kind.rawValue) at byte \(offset)"
    }
}

/// Decodes CBOR (RFC 8949) into `CBORValue`, refusing anything not well-formed.
///
/// Both definite and indefinite lengths are read. Declared lengths are checked against the
/// bytes that remain before anything is allocated, and nesting and item counts are bounded by
/// `CBORLimits`, so hostile input costs time and memory in proportion to its size.
public enum CBORDecoder {
    /// Decodes `bytes` as exactly one data item; bytes after it are an error.
    public static func decode(_ bytes: [UInt8], limits: CBORLimits = .init()) throws(CBORError) -> CBORValue {
        var reader = Reader(bytes: bytes[...], limits: limits)
        let value = try reader.readItem(depth: 0)
        guard reader.position == reader.bytes.endIndex else {
            throw CBORError(.trailingBytes, offset: reader.offset)
        }
        return value
    }

    /// Decodes the data item at the start of `bytes` and says how many bytes it took; what follows is left alone.
    public static func decodePrefix(
        _ bytes: ArraySlice<UInt8>,
        limits: CBORLimits = .init()
    ) throws(CBORError) -> (value: CBORValue, consumed: Int) {
        var reader = Reader(bytes: bytes, limits: limits)
        let value = try reader.readItem(depth: 0)
        return (value, reader.offset)
    }

    /// Decodes the data item at the start of `bytes` and says how many bytes it took; what follows is left alone.
    public static func decodePrefix(
        _ bytes: [UInt8],
        limits: CBORLimits = .init()
    ) throws(CBORError) -> (value: CBORValue, consumed: Int) {
        try decodePrefix(bytes[...], limits: limits)
    }
}

private struct Reader {
    let bytes: ArraySlice<UInt8>
    let limits: CBORLimits
    var position: Int
    var itemsLeft: Int

    init(bytes: ArraySlice<UInt8>, limits: CBORLimits) {
        self.bytes = bytes
        self.limits = limits
        self.position = bytes.startIndex
        self.itemsLeft = limits.maximumItems
    }

    var offset: Int { position - bytes.startIndex }
    var remaining: Int { bytes.endIndex - position }

    private struct Head {
        let majorType: UInt8
        let additionalInformation: UInt8
        /// Nil for indefinite length (additional information 31).
        let argument: UInt64?
        let offset: Int
    }

    mutating func readByte() throws(CBORError) -> UInt8 {
        guard position < bytes.endIndex else { throw CBORError(.truncated, offset: offset) }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readBytes(count: UInt64) throws(CBORError) -> ArraySlice<UInt8> {
        guard count <= UInt64(remaining) else { throw CBORError(.truncated, offset: offset) }
        let start = position
        position += Int(count)
        return bytes[start..<position]
    }

    mutating func readUnsigned(byteCount: Int) throws(CBORError) -> UInt64 {
        var value: UInt64 = 0
        for byte in try readBytes(count: UInt64(byteCount)) {
            value = value << 8 | UInt64(byte)
        }
        return value
    }

    private mutating func readHead() throws(CBORError) -> Head {
        let start = offset
        let initial = try readByte()
        let majorType = initial >> 5
        let additionalInformation = initial & 0x1F
        let argument: UInt64?
        switch additionalInformation {
        case 0...23: argument = UInt64(additionalInformation)
        case 24: argument = try readUnsigned(byteCount: 1)
        case 25: argument = try readUnsigned(byteCount: 2)
        case 26: argument = try readUnsigned(byteCount: 4)
        case 27: argument = try readUnsigned(byteCount: 8)
        case 31: argument = nil
        default: throw CBORError(.reservedAdditionalInformation, offset: start)
        }
        return Head(majorType: majorType, additionalInformation: additionalInformation, argument: argument, offset: start)
    }

    private mutating func countItem(at itemOffset: Int) throws(CBORError) {
        guard itemsLeft > 0 else { throw CBORError(.itemLimitExceeded, offset: itemOffset) }
        itemsLeft -= 1
    }

    private func isAtBreak() -> Bool {
        position < bytes.endIndex && bytes[position] == 0xFF
    }

    mutating func readItem(depth: Int) throws(CBORError) -> CBORValue {
        let head = try readHead()
        try countItem(at: head.offset)
        switch head.majorType {
        case 0:
            guard let argument = head.argument else { throw CBORError(.indefiniteLengthNotAllowed, offset: head.offset) }
            return .unsignedInteger(argument)
        case 1:
            guard let argument = head.argument else { throw CBORError(.indefiniteLengthNotAllowed, offset: head.offset) }
            return .negativeInteger(argument: argument)
        case 2:
            return .byteString(try readString(head))
        case 3:
            return .textString(try readText(head))
        case 4:
            return .array(try readArray(head, depth: depth))
        case 5:
            return .map(try readMap(head, depth: depth))
        case 6:
            guard let tag = head.argument else { throw CBORError(.indefiniteLengthNotAllowed, offset: head.offset) }
            try checkDepth(depth + 1, at: head.offset)
            return .tagged(tag, try readItem(depth: depth + 1))
        default:
            return try readSimpleOrFloat(head)
        }
    }

    private func checkDepth(_ depth: Int, at itemOffset: Int) throws(CBORError) {
        guard depth <= limits.maximumDepth else { throw CBORError(.depthLimitExceeded, offset: itemOffset) }
    }

    /// The bytes of a byte or text string head, joining the chunks of an indefinite-length one.
    private mutating func readString(_ head: Head) throws(CBORError) -> [UInt8] {
        if let length = head.argument {
            return Array(try readBytes(count: length))
        }
        var joined: [UInt8] = []
        while !isAtBreak() {
            joined.append(contentsOf: try readChunk(of: head))
        }
        position += 1
        return joined
    }

    private mutating func readText(_ head: Head) throws(CBORError) -> String {
        if let length = head.argument {
            let start = offset
            return try utf8String(try readBytes(count: length), at: start)
        }
        var joined = ""
        while !isAtBreak() {
            let start = offset
            joined += try utf8String(try readChunk(of: head), at: start)
        }
        position += 1
        return joined
    }

    /// One chunk of an indefinite-length string: a definite string of the same major type.
    private mutating func readChunk(of head: Head) throws(CBORError) -> ArraySlice<UInt8> {
        let chunk = try readHead()
        try countItem(at: chunk.offset)
        guard chunk.majorType == head.majorType, let length = chunk.argument else {
            throw CBORError(.invalidChunk, offset: chunk.offset)
        }
        return try readBytes(count: length)
    }

    private func utf8String(_ bytes: ArraySlice<UInt8>, at start: Int) throws(CBORError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CBORError(.invalidUTF8, offset: start)
        }
        return text
    }

    private mutating func readArray(_ head: Head, depth: Int) throws(CBORError) -> [CBORValue] {
        try checkDepth(depth + 1, at: head.offset)
        var items: [CBORValue] = []
        if let count = head.argument {
            // Each item takes at least one byte, so a count beyond the remaining bytes cannot be met.
            guard count <= UInt64(remaining) else { throw CBORError(.truncated, offset: head.offset) }
            guard count <= UInt64(itemsLeft) else { throw CBORError(.itemLimitExceeded, offset: head.offset) }
            items.reserveCapacity(Int(count))
            for _ in 0..<count {
                items.append(try readItem(depth: depth + 1))
            }
        } else {
            while !isAtBreak() {
                items.append(try readItem(depth: depth + 1))
            }
            position += 1
        }
        return items
    }

    private mutating func readMap(_ head: Head, depth: Int) throws(CBORError) -> CBORMap {
        try checkDepth(depth + 1, at: head.offset)
        var entries: [(key: CBORValue, value: CBORValue)] = []
        var keys = Set<CBORValue>()
        if let count = head.argument {
            // Each entry takes at least two bytes and counts as two items.
            guard count <= UInt64(remaining) / 2 else { throw CBORError(.truncated, offset: head.offset) }
            guard count <= UInt64(itemsLeft) / 2 else { throw CBORError(.itemLimitExceeded, offset: head.offset) }
            entries.reserveCapacity(Int(count))
            for _ in 0..<count {
                entries.append(try readEntry(depth: depth, keys: &keys))
            }
        } else {
            while !isAtBreak() {
                entries.append(try readEntry(depth: depth, keys: &keys))
            }
            position += 1
        }
        return CBORMap(entries)
    }

    private mutating func readEntry(
        depth: Int,
        keys: inout Set<CBORValue>
    ) throws(CBORError) -> (key: CBORValue, value: CBORValue) {
        let keyOffset = offset
        let key = try readItem(depth: depth + 1)
        guard keys.insert(key).inserted else { throw CBORError(.duplicateMapKey, offset: keyOffset) }
        if isAtBreak() { throw CBORError(.unexpectedBreak, offset: offset) }
        let value = try readItem(depth: depth + 1)
        return (key, value)
    }

    private func readSimpleOrFloat(_ head: Head) throws(CBORError) -> CBORValue {
        guard let argument = head.argument else {
            // A break is consumed by the loop of the indefinite-length item it closes, never here.
            throw CBORError(.unexpectedBreak, offset: head.offset)
        }
        switch head.additionalInformation {
        case 20: return .boolean(false)
        case 21: return .boolean(true)
        case 22: return .null
        case 23: return .undefined
        case 24:
            guard argument >= 32 else { throw CBORError(.invalidSimpleValue, offset: head.offset) }
            return .simple(UInt8(argument))
        case 25: return .float(CBORFloat.double(fromHalf: UInt16(argument)))
        case 26: return .float(CBORFloat.double(fromSingle: UInt32(argument)))
        case 27: return .float(Double(bitPattern: argument))
        default: return .simple(head.additionalInformation)
        }
    }
}
