import Foundation

/// An email address with an optional display name, as written in a `From:` setting:
/// `no-reply@example.com` or `Example Exchange <no-reply@example.com>`.
public struct MailAddress: Sendable, Equatable {
    /// The display name, or `nil`.
    public let name: String?
    /// The address itself (`local@domain`), as used in the SMTP envelope.
    public let address: String

    /// Why a text is not a usable address.
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        /// One line saying what is wrong and what is accepted.
        public let description: String
    }

    /// Parses `text`. Throws ``Invalid`` for anything that is not one address, or that holds
    /// characters which could end a header or an SMTP command (line breaks, angle brackets).
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var name: String?
        var address = trimmed
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            let display = trimmed[..<open].trimmingCharacters(in: .whitespaces)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            name = display.isEmpty ? nil : display
        }
        try self.init(name: name, address: address)
    }

    /// An address from its parts, checked as ``init(parsing:)`` checks them.
    public init(name: String?, address: String) throws {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        let forbidden = CharacterSet.whitespacesAndNewlines.union(.controlCharacters).union(CharacterSet(charactersIn: "<>\"(),;:\\[]"))
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
              !parts[1].hasSuffix("."), address.unicodeScalars.allSatisfy({ !forbidden.contains($0) }) else {
            throw Invalid(description: "\(address) is not an email address such as no-reply@example.com")
        }
        if let name, name.unicodeScalars.contains(where: { CharacterSet.newlines.union(.controlCharacters).contains($0) }) {
            throw Invalid(description: "the display name may not hold line breaks or control characters")
        }
        self.name = name
        self.address = address
    }

    /// The part after `@`.
    public var domain: Substring { address[address.index(after: address.firstIndex(of: "@")!)...] }
}
