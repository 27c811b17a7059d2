public import Crypto

/// HMAC-SHA-256 under a server key, the form in which session tokens and one-time codes are stored.
///
/// Each use names a `purpose`, which is mixed into the MAC so that a hash made for one kind of
/// secret never matches a hash made for another.
public struct KeyedHasher: Sendable {
    private let key: SymmetricKey

    /// A hasher under `key`, which should hold at least 32 random bytes.
    public init(key: SymmetricKey) {
        self.key = key
    }

    /// The hex HMAC of `secret` for `purpose`.
    public func hash(_ secret: String, purpose: String) -> String {
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: Array(purpose.utf8))
        mac.update(data: [0])
        mac.update(data: Array(secret.utf8))
        return Hex.encode(Array(mac.finalize()))
    }

    /// Whether `secret` hashes to `expected` for `purpose`, compared in constant time.
    public func matches(_ secret: String, purpose: String, expected: String) -> Bool {
        ConstantTime.equals(Array(hash(secret, purpose: purpose).utf8), Array(expected.utf8))
    }
}
