/// Hashing and verifying passwords, off the request threads.
///
/// The server's implementation runs Argon2id on a bounded pool and answers `server.busy` when the
/// pool's queue is full; stored bcrypt hashes (imported accounts) verify too.
public protocol PasswordHashing: Sendable {
    /// A new PHC string for `password` under the configured parameters.
    func hash(_ password: String) async throws -> String

    /// Whether `password` matches `stored`, and whether `stored` should be replaced by a fresh hash
    /// (it is bcrypt, or Argon2id under other parameters than configured).
    func verify(_ password: String, against stored: String) async throws -> PasswordCheck

    /// Does the same work as a verification that fails, for accounts that do not exist, so that
    /// timing does not tell them apart.
    func verifyDummy(_ password: String) async throws
}

/// The outcome of a password verification.
public enum PasswordCheck: Sendable, Equatable {
    /// The password is wrong.
    case mismatch
    /// The password is right; `needsRehash` asks the caller to store a fresh hash.
    case match(needsRehash: Bool)
}
