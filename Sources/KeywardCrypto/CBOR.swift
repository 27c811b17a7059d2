/// One CBOR data item (RFC 8949, Section 2), as the decoder produces it and the encoder writes it.
///
/// Two values are equal when they are the same data item: integers by value, text by its UTF-8
/// bytes (not by Unicode canonical equivalence), floats by their bit pattern (so `0.0 != -0.0`
/// and a NaN equals the same NaN), maps by their entries in order.
/// How an item was encoded (argument width, definite or indefinite length) is not kept.
public indirect enum CBORValue: Sendable {
    /// Major type 0: an unsigned integer.
    case unsignedInteger(UInt64)
    /// Major type 1: the integer `-1 - argument`, so the whole range down to -2^64 fits.
    case negativeInteger(argument: UInt64)
    /// Major type 2: a byte string; indefinite-length chunks arrive joined.
    case byteString([UInt8])
    /// Major type 3: a text string, always valid UTF-8; indefinite-length chunks arrive joined.
    case textString(String)
    /// Major type 4: an array.
    case array([CBORValue])
    /// Major type 5: a map, with its entries in encoded order and no duplicate keys.
    case map(CBORMap)
    /// Major type 6: a tag number and the item it encloses. Tag content is not checked.
    case tagged(UInt64, CBORValue)
    /// Simple values 20 and 21.
    case boolean(Bool)
    /// Simple value 22.
    case null
    /// Simple value 23.
    case undefined
    /// Any other simple value: 0–19 or 32–255 when decoded.
    ///
    /// Values 20–23 are written as `false`, `true`, `null` and `undefined`. Values 24–31 have no
    /// well-formed encoding; they are written in the two-byte form, which decoders refuse.
    case simple(UInt8)
    /// Major type 7 floats of any precision, widened to `Double` without loss.
    case float(Double)
}

/// The entries of a CBOR map, in the order they were decoded or added.
///
/// Equal when the same pairs appear in the same order. Lookups are linear, which suits the
/// small maps of WebAuthn and COSE.
public struct CBORMap: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    /// The key–value pairs in order.
    public var entries: [(key: CBORValue, value: CBORValue)]

    /// A map with these entries, kept in this order. Duplicate keys are not checked here.
    public init(_ entries: [(key: CBORValue, value: CBORValue)] = []) {
        self.entries = entries
    }

    /// A map from a literal, in the literal's order.
    public init(dictionaryLiteral elements: (CBORValue, CBORValue)...) {
        self.entries = elements.map { (key: $0.0, value: $0.1) }
    }

    /// The number of entries.
    public var count: Int { entries.count }

    /// The value of the first entry whose key equals `key`, or nil.
    public subscript(key: CBORValue) -> CBORValue? {
        entries.first { $0.key == key }?.value
    }

    /// Whether some entry has this key.
    public func contains(key: CBORValue) -> Bool {
        entries.contains { $0.key == key }
    }

    /// Whether both have equal entries in the same order.
    public static func == (left: CBORMap, right: CBORMap) -> Bool {
        guard left.entries.count == right.entries.count else { return false }
        return zip(left.entries, right.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    /// Hashes the entries in order, consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(entries.count)
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }
}

extension CBORValue: Hashable {
    /// Whether both are the same data item, as described on `CBORValue`.
    public static func == (left: CBORValue, right: CBORValue) -> Bool {
        switch (left, right) {
        case let (.unsignedInteger(a), .unsignedInteger(b)): a == b
        case let (.negativeInteger(a), .negativeInteger(b)): a == b
        case let (.byteString(a), .byteString(b)): a == b
        case let (.textString(a), .textString(b)): a.utf8.elementsEqual(b.utf8)
        case let (.array(a), .array(b)): a == b
        case let (.map(a), .map(b)): a == b
        case let (.tagged(tagA, a), .tagged(tagB, b)): tagA == tagB && a == b
        case let (.boolean(a), .boolean(b)): a == b
        case (.null, .null), (.undefined, .undefined): true
        case let (.simple(a), .simple(b)): a == b
        case let (.float(a), .float(b)): a.bitPattern == b.bitPattern
        default: false
        }
    }

    /// Hashes the data item consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .unsignedInteger(let value): hasher.combine(0); hasher.combine(value)
        case .negativeInteger(let argument): hasher.combine(1); hasher.combine(argument)
        case .byteString(let bytes): hasher.combine(2); hasher.combine(bytes)
        case .textString(let text):
            hasher.combine(3)
            hasher.combine(text.utf8.count)
            for byte in text.utf8 { hasher.combine(byte) }
        case .array(let items): hasher.combine(4); hasher.combine(items)
        case .map(let map): hasher.combine(5); hasher.combine(map)
        case .tagged(let tag, let content): hasher.combine(6); hasher.combine(tag); hasher.combine(content)
        case .boolean(let flag): hasher.combine(7); hasher.combine(flag)
        case .null: hasher.combine(8)
        case .undefined: hasher.combine(9)
        case .simple(let value): hasher.combine(10); hasher.combine(value)
        case .float(let number): hasher.combine(11); hasher.combine(number.bitPattern)
        }
    }
}

extension CBORValue {
    /// The integer `value` as major type 0 or 1.
    public static func integer(_ value: Int64) -> CBORValue {
        value >= 0 ? .unsignedInteger(UInt64(value)) : .negativeInteger(argument: UInt64(-1 - value))
    }

    /// The integer, when this is major type 0 or 1 and the value fits in `Int64`; otherwise nil.
    public var int: Int64? {
        switch self {
        case .unsignedInteger(let value):
            value <= UInt64(Int64.max) ? Int64(value) : nil
        case .negativeInteger(let argument):
            argument <= UInt64(Int64.max) ? -1 - Int64(argument) : nil
        default:
            nil
        }
    }

    /// The bytes, when this is a byte string; otherwise nil.
    public var bytes: [UInt8]? {
        if case .byteString(let bytes) = self { bytes } else { nil }
    }

    /// The text, when this is a text string; otherwise nil.
    public var text: String? {
        if case .textString(let text) = self { text } else { nil }
    }

    /// The items, when this is an array; otherwise nil.
    public var array: [CBORValue]? {
        if case .array(let items) = self { items } else { nil }
    }

    /// The entries, when this is a map; otherwise nil.
    public var map: CBORMap? {
        if case .map(let map) = self { map } else { nil }
    }

    /// The value under the integer key `key`, when this is a map that has one; otherwise nil.
    public subscript(key: Int) -> CBORValue? {
        map?[.integer(Int64(key))]
    }

    /// The value under the text key `key`, when this is a map that has one; otherwise nil.
    public subscript(key: String) -> CBORValue? {
        map?[.textString(key)]
    }
}

extension CBORValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// An integer literal as major type 0 or 1.
    public init(integerLiteral value: Int64) {
        self = .integer(value)
    }

    /// A string literal as a text string.
    public init(stringLiteral value: String) {
        self = .textString(value)
    }

    /// `true` or `false`.
    public init(booleanLiteral value: Bool) {
        self = .boolean(value)
    }

    /// A float literal as a float.
    public init(floatLiteral value: Double) {
        self = .float(value)
    }

    /// An array literal as an array.
    public init(arrayLiteral elements: CBORValue...) {
        self = .array(elements)
    }

    /// A dictionary literal as a map, in the literal's order.
    public init(dictionaryLiteral elements: (CBORValue, CBORValue)...) {
        self = .map(CBORMap(elements.map { (key: $0.0, value: $0.1) }))
    }
}
