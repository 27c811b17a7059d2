import Foundation

/// The list of commonly used passwords that no policy accepts, compared case-insensitively.
///
/// The list ships as a resource (`common-passwords.txt`, 19,640 entries from Django's
/// `contrib/auth/common-passwords.txt.gz`, BSD licence) and is read once, on first use.
public final class CommonPasswords: Sendable {
    /// The shipped list.
    public static let shared = CommonPasswords()

    private let entries: Set<String>

    private init() {
        guard let url = Bundle.module.url(forResource: "common-passwords", withExtension: "txt"),
              let text = try? String(contentsOf: url, encoding: .utf8)
        else {
            fatalError("the common-passwords resource is missing from the KeywardCore bundle")
        }
        var set = Set<String>()
        for line in text.split(whereSeparator: \.isNewline) {
            let entry = line.trimmingCharacters(in: .whitespaces).lowercased()
            if !entry.isEmpty { set.insert(entry) }
        }
        entries = set
    }

    /// How many passwords the list holds.
    public var count: Int { entries.count }

    /// Whether `password`, lowercased, is on the list.
    public func contains(_ password: String) -> Bool {
        entries.contains(password.lowercased())
    }
}
