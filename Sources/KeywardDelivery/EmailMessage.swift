import Foundation

/// A plain-text email as RFC 5322 text (headers, a blank line, a quoted-printable UTF-8 body),
/// with CRLF line ends and every line short enough for SMTP. Dot-stuffing is left to the SMTP
/// conversation, which owns the end-of-data marker.
struct EmailMessage {
    let from: MailAddress
    let to: MailAddress
    let subject: String
    let body: String
    let date: Date
    /// The unique left part of the `Message-ID`; the sender's domain is added.
    let messageID: String

    /// The whole message.
    var rendered: String {
        let headers = [
            "Date: \(Self.dateFormatter.string(from: date))",
            "From: \(Self.mailbox(from))",
            "To: \(Self.mailbox(to))",
            "Subject: \(MailEncoding.headerValue(subject))",
            "Message-ID: <\(messageID)@\(from.domain)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: quoted-printable",
            // RFC 3834: an automatic message; vacation responders should not answer it.
            "Auto-Submitted: auto-generated",
        ]
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + MailEncoding.quotedPrintable(body) + "\r\n"
    }

    /// `Name <address>`, quoting or encoding the name as it needs.
    private static func mailbox(_ mailbox: MailAddress) -> String {
        guard let name = mailbox.name else { return "<\(mailbox.address)>" }
        let encoded = MailEncoding.headerValue(name)
        if encoded != name { return "\(encoded)\r\n <\(mailbox.address)>" }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\" <\(mailbox.address)>"
    }

    /// RFC 5322 section 3.3 dates, in UTC.
    private static let dateFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter
    }()
}
