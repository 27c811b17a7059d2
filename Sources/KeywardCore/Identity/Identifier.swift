import Foundation

/// What a person signs in with: an email address or an E.164 phone number, in canonical form.
public struct Identifier: Sendable, Hashable, Codable {
    /// The two kinds of identifier.
    public enum Kind: String, Sendable, Codable {
        case email
        case phone
    }

    /// Email or phone.
    public let kind: Kind
    /// The canonical text: an email trimmed and lowercased, or `+` and 8–15 digits.
    public let value: String

    /// An identifier already in canonical form (as read back from storage).
    public init(kind: Kind, value: String) {
        self.kind = kind
        self.value = value
    }

    /// The channel a code for this identifier is sent on.
    public var channel: DeliveryChannel { kind == .email ? .email : .sms }

    /// The part that must not appear in a password: the email's local part, or the phone's digits.
    public var localPart: String {
        switch kind {
        case .email: return String(value.prefix { $0 != "@" })
        case .phone: return String(value.dropFirst())
        }
    }

    /// Parses what a person typed.
    ///
    /// Emails are trimmed and compared case-insensitively (stored lowercased). Phone numbers lose
    /// spaces, dashes, dots and brackets, and must then be `+` followed by 8–15 digits with no leading
    /// zero. Anything else throws `identifier.invalid`.
    public static func parse(_ raw: String) throws(KeywardError) -> Identifier {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 320 else { throw .identifierInvalid }
        if trimmed.contains("@") {
            let lowered = trimmed.lowercased()
            guard isPlausibleEmail(lowered) else { throw .identifierInvalid }
            return Identifier(kind: .email, value: lowered)
        }
        let removable: Set<Character> = [" ", "-", "(", ")", ".", "\u{00A0}"]
        let compact = String(trimmed.filter { !removable.contains($0) })
        guard compact.first == "+" else { throw .identifierInvalid }
        let digits = compact.dropFirst()
        guard (8...15).contains(digits.count),
              digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              digits.first != "0"
        else { throw .identifierInvalid }
        return Identifier(kind: .phone, value: compact)
    }

    /// A practical check of an address: one `@`, a local part of allowed characters, and a domain
    /// of dot-separated labels with a top-level label of at least two letters.
    private static func isPlausibleEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0], domain = parts[1]
        guard (1...64).contains(local.count), (4...253).contains(domain.count) else { return false }
        let localAllowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+/=?^_`{|}~-")
        guard local.allSatisfy({ localAllowed.contains($0) }),
              !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..")
        else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        let labelAllowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-")
        for label in labels {
            guard (1...63).contains(label.count), label.allSatisfy({ labelAllowed.contains($0) }),
                  !label.hasPrefix("-"), !label.hasSuffix("-")
            else { return false }
        }
        guard let top = labels.last, top.count >= 2, top.allSatisfy({ $0.isLetter }) else { return false }
        return true
    }
}

/// How a message reaches a person.
public enum DeliveryChannel: String, Sendable, Codable, CaseIterable {
    case email
    case sms
}
