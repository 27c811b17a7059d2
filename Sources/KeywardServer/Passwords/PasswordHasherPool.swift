import HummingbirdBcrypt
import KeywardCore
import KeywardCrypto
import NIOPosix
import Synchronization

/// Hashes and verifies passwords on dedicated threads, never on the event loops or Swift's
/// cooperative pool, and refuses work with `server.busy` (503, Retry-After) once `queueLimit` jobs
/// are already waiting, so a flood cannot grow memory without bound.
///
/// Passwords are hashed and checked in Unicode NFC. A hash made from a password as typed, before
/// passwords were normalised, still verifies when the NFC form does not, and is then reported as
/// needing a rehash, so that it is replaced by the NFC hash at the next good sign-in.
final class PasswordHasherPool: PasswordHashing {
    private let threads: NIOThreadPool
    private let parameters: Argon2id.Parameters
    private let capacity: Int
    private let inFlight = Atomic<Int>(0)
    private let dummyHash: String

    /// A pool of `threadCount` threads hashing with `parameters`.
    init(threadCount: Int, queueLimit: Int, parameters: Argon2id.Parameters) {
        threads = NIOThreadPool(numberOfThreads: max(1, threadCount))
        threads.start()
        self.parameters = parameters
        capacity = max(1, threadCount) + max(0, queueLimit)
        dummyHash = (try? Argon2id.hashEncoded(password: SecureRandom.token(), parameters: parameters)) ?? ""
    }

    func hash(_ password: String) async throws -> String {
        let parameters = self.parameters, normalized = PasswordNormalization.nfc(password)
        return try await run { try Argon2id.hashEncoded(password: normalized, parameters: parameters) }
    }

    func verify(_ password: String, against stored: String) async throws -> PasswordCheck {
        let parameters = self.parameters
        let normalized = PasswordNormalization.nfc(password)
        let check = try await run { Self.check(normalized, against: stored, parameters: parameters) }
        // Only a password that normalisation changes can match a hash of its unnormalised form.
        guard check == .mismatch, !Self.sameBytes(normalized, password) else { return check }
        let legacy = try await run { Self.check(password, against: stored, parameters: parameters) }
        return legacy == .mismatch ? .mismatch : .match(needsRehash: true)
    }

    func verifyDummy(_ password: String) async throws {
        let dummy = dummyHash, normalized = PasswordNormalization.nfc(password)
        _ = try await run { (try? Argon2id.verify(password: normalized, encoded: dummy)) ?? false }
        // The same work as a wrong password that normalisation changes.
        if !Self.sameBytes(normalized, password) {
            _ = try await run { (try? Argon2id.verify(password: password, encoded: dummy)) ?? false }
        }
    }

    private static func check(_ password: String, against stored: String, parameters: Argon2id.Parameters) -> PasswordCheck {
        if stored.hasPrefix("$2a$") || stored.hasPrefix("$2b$") || stored.hasPrefix("$2y$") {
            return Bcrypt.verify(password, hash: stored) ? .match(needsRehash: true) : .mismatch
        }
        guard (try? Argon2id.verify(password: password, encoded: stored)) == true else { return .mismatch }
        let current = try? Argon2id.parameters(ofEncoded: stored)
        return .match(needsRehash: current != parameters)
    }

    /// Byte equality: Swift's `==` on strings compares canonical equivalents as equal.
    private static func sameBytes(_ first: String, _ second: String) -> Bool {
        first.utf8.elementsEqual(second.utf8)
    }

    /// Stops the threads after the jobs already queued.
    func shutdown() async throws {
        try await threads.shutdownGracefully()
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let admitted = inFlight.wrappingAdd(1, ordering: .relaxed).newValue
        defer { inFlight.wrappingSubtract(1, ordering: .relaxed) }
        guard admitted <= capacity else { throw KeywardError.serverBusy(retryAfter: 1) }
        return try await threads.runIfActive(work)
    }
}
