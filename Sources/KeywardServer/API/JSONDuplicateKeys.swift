/// Finds objects that name one key twice in a JSON text.
///
/// Parsers disagree about such objects (Foundation keeps the first value, most others the last),
/// so a proxy in front of Keyward could read another identifier than Keyward does. Keys are
/// compared after unescaping, so `"a"` and `"\u0061"` are the same key. Text that is not valid
/// JSON is left for the decoder to refuse; the scan only has to be linear and never trap on it.
enum JSONDuplicateKeys {
    private enum Container {
        case object(keys: Set<String>, expectingKey: Bool)
        case array
    }

    /// Whether some object in `bytes` has the same key twice.
    static func found(in bytes: some Collection<UInt8>) -> Bool {
        let bytes = Array(bytes)
        var stack: [Container] = []
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "{"):
                stack.append(.object(keys: [], expectingKey: true))
                index += 1
            case UInt8(ascii: "["):
                stack.append(.array)
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
                index += 1
            case UInt8(ascii: ","):
                if case .object(let keys, _)? = stack.last {
                    stack[stack.count - 1] = .object(keys: keys, expectingKey: true)
                }
                index += 1
            case UInt8(ascii: "\""):
                let (text, end) = string(in: bytes, from: index + 1)
                index = end
                if case .object(var keys, true)? = stack.last {
                    if !keys.insert(text).inserted { return true }
                    stack[stack.count - 1] = .object(keys: keys, expectingKey: false)
                }
            default:
                index += 1
            }
        }
        return false
    }

    /// The unescaped string starting at `start` (just after its opening quote) and the index just
    /// after its closing quote.
    private static func string(in bytes: [UInt8], from start: Int) -> (String, Int) {
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        var index = start
        func flushRaw() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                break
            }
            guard byte == UInt8(ascii: "\\"), index + 1 < bytes.count else {
                raw.append(byte)
                index += 1
                continue
            }
            flushRaw()
            let escaped = bytes[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "u"):
                var value = hex4(bytes, at: index) ?? 0xFFFD
                index += 4
                // A high surrogate followed by an escaped low one is one character.
                if (0xD800..<0xDC00).contains(value), index + 1 < bytes.count,
                   bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u"),
                   let low = hex4(bytes, at: index + 2), (0xDC00..<0xE000).contains(low) {
                    value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            default: scalars.append(Unicode.Scalar(escaped))
            }
        }
        flushRaw()
        return (String(scalars), index)
    }

    /// The value of four hexadecimal digits at `index`, or `nil`.
    private static func hex4(_ bytes: [UInt8], at index: Int) -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { return nil }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
