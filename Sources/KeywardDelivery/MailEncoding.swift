import Foundation

/// The MIME encodings a plain-text email needs: quoted-printable bodies (RFC 2045 section 6.7)
/// and encoded-word headers (RFC 2047), so that any Unicode text travels over 7-bit SMTP.
enum MailEncoding {
    /// Encodes `text` as quoted-printable with CRLF line ends: printable ASCII stays readable,
    /// every other byte of its UTF-8 becomes `=XX`, spaces and tabs before a line end are encoded,
    /// and lines longer than 76 characters get soft breaks. `\n`, `\r\n` and `\r` all end a line.
    static func quotedPrintable(_ text: String) -> String {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
        return lines.map(encodeLine).joined(separator: "\r\n")
    }

    private static func encodeLine(_ line: Substring) -> String {
        let bytes = Array(line.utf8)
        var tokens: [String] = []
        for (index, byte) in bytes.enumerated() {
            let last = index == bytes.count - 1
            switch byte {
            case 33...60, 62...126: tokens.append(String(UnicodeScalar(byte)))
            case 32 where !last, 9 where !last: tokens.append(String(UnicodeScalar(byte)))
            default: tokens.append(String(format: "=%02X", byte))
            }
        }
        var output = "", width = 0
        for token in tokens {
            // A soft break ("=") takes one column, so a line carries at most 75 encoded columns.
            if width + token.count > 75 {
                output += "=\r\n"
                width = 0
            }
            output += token
            width += token.count
        }
        return output
    }

    /// A header value: unchanged when it is printable ASCII, otherwise RFC 2047 encoded words
    /// (`=?UTF-8?B?…?=`), each at most 75 characters and never splitting a character, folded
    /// onto continuation lines. Line breaks and control characters become spaces, so a value can
    /// never start a new header.
    static func headerValue(_ text: String) -> String {
        let flat = String(String.UnicodeScalarView(text.unicodeScalars.map {
            CharacterSet.controlCharacters.union(.newlines).contains($0) ? " " : $0 }))
        if flat.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value < 127 }), !flat.contains("=?") {
            return flat
        }
        // 36 bytes of UTF-8 make 48 characters of base64 and, with "=?UTF-8?B?" and "?=", words of
        // 60 characters: short enough that even the first, after a header's name, keeps its line
        // under the 78 characters RFC 5322 recommends.
        var words: [String] = [], chunk = Data()
        for character in flat {
            let bytes = Data(String(character).utf8)
            if chunk.count + bytes.count > 36 {
                words.append("=?UTF-8?B?\(chunk.base64EncodedString())?=")
                chunk = Data()
            }
            chunk.append(bytes)
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(chunk.base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }
}
