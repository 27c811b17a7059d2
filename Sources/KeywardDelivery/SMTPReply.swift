import KeywardCore
import NIOCore

/// One SMTP reply (RFC 5321 section 4.2): a three-digit code and its text lines.
struct SMTPReply: Sendable {
    /// The reply code, such as 250.
    let code: Int
    /// The text of each line, without the code and separator.
    let lines: [String]

    /// The reply as one short line for logs and errors.
    var summary: String { "\(code) " + lines.joined(separator: " / ").prefix(200) }
}

/// Reads whole replies from the bytes a connection receives, however the bytes are split.
struct SMTPReplyReader {
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private var pending = ByteBuffer()
    /// A reply larger than this is treated as a broken server rather than buffered without end.
    private let limit = 64 * 1024

    init(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>) {
        iterator = inbound.makeAsyncIterator()
    }

    /// The next complete reply. Throws when the connection ends first or the server does not
    /// speak SMTP.
    mutating func next() async throws -> SMTPReply {
        var code: Int?
        var lines: [String] = []
        while true {
            while let line = takeLine() {
                let scalars = Array(line.utf8)
                guard scalars.count >= 3, let value = Int(String(decoding: scalars[0..<3], as: UTF8.self)),
                      (200...599).contains(value), code == nil || code == value,
                      scalars.count == 3 || scalars[3] == UInt8(ascii: " ") || scalars[3] == UInt8(ascii: "-") else {
                    throw DeliveryFailure("the mail server answered something that is not SMTP", permanent: false)
                }
                code = value
                lines.append(scalars.count > 4 ? String(decoding: scalars[4...], as: UTF8.self) : "")
                if scalars.count == 3 || scalars[3] == UInt8(ascii: " ") {
                    return SMTPReply(code: value, lines: lines)
                }
            }
            guard pending.readableBytes <= limit else {
                throw DeliveryFailure("the mail server sent a reply longer than \(limit) bytes", permanent: false)
            }
            guard var received = try await iterator.next() else {
                throw DeliveryFailure("the mail server closed the connection", permanent: false)
            }
            pending.writeBuffer(&received)
        }
    }

    /// Removes and returns the next CRLF-terminated line, or `nil` when none is complete.
    private mutating func takeLine() -> String? {
        let view = pending.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let length = newline - view.startIndex
        var line = pending.readString(length: length) ?? ""
        pending.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        pending.discardReadBytes()
        return line
    }
}
