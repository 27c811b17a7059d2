import Foundation
import KeywardCore
import Testing

/// Uploaded documents are judged by their bytes, not by their name or declared type.
@Suite struct DocumentContentTypeTests {
    static let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0x00, 0x01, 0x02, 0xFF, 0xD9]
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D]
        + Array("IHDR".utf8) + [UInt8](repeating: 0, count: 17) + Array("IEND".utf8)
    static let pdf: [UInt8] = Array("%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".utf8)

    @Test func jpegPngAndPdfAreKnownByTheirBytes() {
        #expect(DocumentContentType(sniffing: Self.jpeg) == .jpeg)
        #expect(DocumentContentType(sniffing: Self.jpeg + [0x00, 0x00]) == .jpeg, "padding after the end marker")
        #expect(DocumentContentType(sniffing: Self.png) == .png)
        #expect(DocumentContentType(sniffing: Self.pdf) == .pdf)
        #expect(DocumentContentType.pdf.rawValue == "application/pdf")
    }

    @Test func anythingElseIsRefusedWhateverItCallsItself() {
        let html = Array("<html><script>alert(1)</script></html>".utf8)
        let svg = Array(#"<svg xmlns="http://www.w3.org/2000/svg"/>"#.utf8)
        let gif = Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 20)
        let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 30)
        for bytes in [[], html, svg, gif, zip, Array(Self.jpeg.prefix(6)), Array(Self.png.prefix(20)),
                      Array(Self.pdf.prefix(20)), Array("%PDF-9.9 %%EOF padding".utf8)] {
            #expect(DocumentContentType(sniffing: bytes) == nil, "\(bytes.prefix(8))")
        }
        // A polyglot that starts as HTML is not a PDF even with a PDF inside.
        #expect(DocumentContentType(sniffing: html + Self.pdf) == nil)
    }
}
