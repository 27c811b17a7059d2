/// The kinds of file an identity document may be, judged by the file's own bytes: never by its
/// name or the type the uploader declared, which anyone can set.
public enum DocumentContentType: String, Sendable, CaseIterable {
    case jpeg = "image/jpeg"
    case png = "image/png"
    case pdf = "application/pdf"

    /// The type `bytes` are, or `nil` for anything else (including an empty or truncated file).
    ///
    /// JPEG: the SOI marker and the start of a segment (`FF D8 FF`), ending with EOI (`FF D9`),
    /// ignoring trailing padding some cameras add. PNG: the 8-byte signature followed by an IHDR
    /// chunk. PDF: `%PDF-` followed by a version digit, and an `%%EOF` marker near the end.
    public init?(sniffing bytes: [UInt8]) {
        if bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF,
           Self.endsWith(bytes, [0xFF, 0xD9], within: 4096) {
            self = .jpeg
        } else if bytes.count >= 33, Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
                  Array(bytes[12..<16]) == Array("IHDR".utf8) {
            self = .png
        } else if bytes.count >= 16, Array(bytes[0..<5]) == Array("%PDF-".utf8), (0x31...0x32).contains(bytes[5]),
                  Self.endsWith(bytes, Array("%%EOF".utf8), within: 1024) {
            self = .pdf
        } else {
            return nil
        }
    }

    /// Whether `marker` occurs in the last `within` bytes of `bytes`.
    private static func endsWith(_ bytes: [UInt8], _ marker: [UInt8], within: Int) -> Bool {
        let tail = bytes.suffix(within + marker.count)
        guard tail.count >= marker.count else { return false }
        let start = tail.startIndex
        for offset in stride(from: tail.count - marker.count, through: 0, by: -1)
        where Array(tail[(start + offset)..<(start + offset + marker.count)]) == marker {
            return true
        }
        return false
    }
}
