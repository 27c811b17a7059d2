/// Whose wrong guesses count together. Every proof a person can get wrong — a password, a code,
/// an authenticator or passkey, a recovery code — is counted in exactly one scope, and each scope
/// has one counter and one lock.
public enum GuessScope: Sendable, Hashable, Codable {
    /// Every guess against the account: sign-in, re-authentication, confirming a change.
    case account(accountId: String)
    /// With `lockout.scope = device`: a device that signed in to the account before, known by the
    /// keyed hash of its id, so that strangers' guesses cannot lock the owner out of it.
    case device(accountId: String, deviceHash: String)
    /// Recovery attempts for an identifier, counted alike whether or not an account uses it, so
    /// that the answers never tell the two apart.
    case recovery(identifier: String)

    /// The kinds of scope, as support sees them.
    public enum Kind: String, Sendable {
        /// The account's own counter.
        case account
        /// One device's counter.
        case device
        /// An identifier's recovery counter.
        case recovery
    }

    /// Which kind of scope this is.
    public var kind: Kind {
        switch self {
        case .account: .account
        case .device: .device
        case .recovery: .recovery
        }
    }

    /// The account whose guesses these are; `nil` for recovery, which counts per identifier.
    public var accountId: String? {
        switch self {
        case .account(let accountId), .device(let accountId, _): accountId
        case .recovery: nil
        }
    }

    /// The name a sign-in flow keeps its scope under: `account` or `device:<hash>`.
    public var storedName: String {
        switch self {
        case .account: "account"
        case .device(_, let hash): "device:\(hash)"
        case .recovery: "recovery"
        }
    }

    /// The account scope or device scope of `accountId` named by ``storedName``; the account's
    /// own scope for anything else.
    public init(accountId: String, storedName: String?) {
        if let name = storedName, name.hasPrefix("device:") {
            self = .device(accountId: accountId, deviceHash: String(name.dropFirst("device:".count)))
        } else {
            self = .account(accountId: accountId)
        }
    }
}
