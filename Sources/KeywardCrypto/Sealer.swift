public import Crypto
import Foundation

/// AES-256-GCM sealing of secrets at rest (authenticator secrets, uploaded documents) under a
/// key-encryption key.
///
/// A sealed value is `nonce ‖ ciphertext ‖ tag`. `context` is bound as associated data, so a value
/// sealed for one record cannot be moved to another.
public struct Sealer: Sendable {
    private let key: SymmetricKey

    /// A sealer under a 256-bit `key`.
    public init(key: SymmetricKey) {
        self.key = key
    }

    /// A sealer under the 256-bit key given as base64, as configuration holds it; `nil` when the
    /// text is not base64 of 32 bytes.
    public init?(base64Key: String) {
        guard let bytes = Data(base64Encoded: base64Key), bytes.count == 32 else { return nil }
        self.key = SymmetricKey(data: bytes)
    }

    /// Seals `plaintext`, bound to `context`.
    public func seal(_ plaintext: [UInt8], context: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: key, authenticating: Array(context.utf8))
        guard let combined = box.combined else { throw SealerError(code: "seal.failed") }
        return Array(combined)
    }

    /// Opens a value sealed by ``seal(_:context:)`` with the same `context`; throws when it was
    /// altered, sealed under another key, or bound to another context.
    public func open(_ sealed: [UInt8], context: String) throws -> [UInt8] {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return Array(try AES.GCM.open(box, using: key, authenticating: Array(context.utf8)))
        } catch {
            throw SealerError(code: "seal.open_failed")
        }
    }
}

/// Why sealing or opening failed, as an opaque code.
public struct SealerError: Error, Sendable, Equatable {
    /// A stable code such as `seal.open_failed`.
    public let code: String

    /// A failure with `code`.
    public init(code: String) {
        self.code = code
    }
}
