public import Foundation
public import KeywardCrypto

/// One stored recovery code: only its keyed hash.
public struct StoredRecoveryCode: Sendable, Equatable {
    /// A random id.
    public let id: String
    /// The account it belongs to.
    public let accountId: String
    /// HMAC-SHA-256 of the normalised code under the server key, bound to the account.
    public let codeHash: String
    /// When its set was made.
    public let createdAt: Date

    /// A stored code.
    public init(id: String, accountId: String, codeHash: String, createdAt: Date) {
        self.id = id
        self.accountId = accountId
        self.codeHash = codeHash
        self.createdAt = createdAt
    }
}

/// Stored recovery codes.
public protocol RecoveryCodeStore: Sendable {
    /// Replaces every code of the account with `codes`.
    func replaceAll(accountId: String, with codes: [StoredRecoveryCode]) async throws
    /// The id of the account's unused code with `codeHash`, if there is one.
    func unused(accountId: String, codeHash: String) async throws -> String?
    /// Marks the code used unless it already is; `false` when a parallel request used it first.
    func markUsed(id: String, at: Date) async throws -> Bool
    /// How many unused codes the account has.
    func remaining(accountId: String) async throws -> Int
}

/// Single-use recovery codes: ten at a time, each ten characters from an alphabet without look-alike
/// characters (no 0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V), shown once in two groups of five and stored only as
/// keyed hashes bound to the account. Making a new set replaces the old one. 23 characters to the
/// power of 10 gives about 45 bits each, against at most a handful of guesses before the lock.
public struct RecoveryCodes: Sendable {
    /// The characters codes are made of.
    public static let alphabet = Array("34679ACDEFGHJKMNPQRTWXY".utf8)
    /// How many codes a set has.
    public static let setSize = 10
    /// How many characters a code has.
    public static let length = 10

    private let hasher: KeyedHasher

    /// Codes hashed with `hasher`.
    public init(hasher: KeyedHasher) {
        self.hasher = hasher
    }

    /// A fresh set: the codes to show, formatted `ABCDE-FGHJK`, and what to store.
    public func generate(accountId: String, at now: Date) -> (shown: [String], stored: [StoredRecoveryCode]) {
        var shown: [String] = []
        var stored: [StoredRecoveryCode] = []
        while shown.count < Self.setSize {
            let code = String(decoding: (0..<Self.length).map { _ in Self.alphabet[SecureRandom.index(below: Self.alphabet.count)] },
                              as: UTF8.self)
            let hash = self.hash(code, accountId: accountId)
            guard !stored.contains(where: { $0.codeHash == hash }) else { continue }
            shown.append("\(code.prefix(5))-\(code.suffix(5))")
            stored.append(StoredRecoveryCode(id: SecureRandom.uuid(), accountId: accountId, codeHash: hash, createdAt: now))
        }
        return (shown, stored)
    }

    /// `entered` with spaces and dashes dropped and letters in capitals, or `nil` when it cannot be
    /// a recovery code at all.
    public static func normalized(_ entered: String) -> String? {
        let code = String(entered.uppercased().filter { !$0.isWhitespace && $0 != "-" })
        guard code.utf8.count == length, code.utf8.allSatisfy(alphabet.contains) else { return nil }
        return code
    }

    /// The keyed hash a normalised code is stored under.
    public func hash(_ normalized: String, accountId: String) -> String {
        hasher.hash("\(accountId):\(normalized)", purpose: "recovery-code")
    }
}
