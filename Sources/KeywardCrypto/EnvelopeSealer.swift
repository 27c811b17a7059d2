public import Crypto

/// A large value sealed under a key of its own, that key sealed (wrapped) under the sealing key:
/// what identity documents are stored as, so that erasing a document's wrapped key makes its
/// content unreadable wherever copies of it linger, and the sealing key only ever encrypts keys.
public struct EnvelopeSealed: Sendable, Equatable {
    /// The document's own AES-256-GCM key, sealed under the sealing key and bound to the context.
    public let wrappedKey: [UInt8]
    /// The content, sealed under the document's key and bound to the context.
    public let content: [UInt8]

    /// A sealed value from its two parts, as stored.
    public init(wrappedKey: [UInt8], content: [UInt8]) {
        self.wrappedKey = wrappedKey
        self.content = content
    }
}

extension Sealer {
    /// Seals `plaintext` under a fresh random 256-bit key and wraps that key under this sealer's
    /// key; both are bound to `context`.
    public func sealEnvelope(_ plaintext: [UInt8], context: String) throws -> EnvelopeSealed {
        let dataKey = SymmetricKey(size: .bits256)
        let content = try Sealer(key: dataKey).seal(plaintext, context: context)
        let wrapped = try seal(dataKey.withUnsafeBytes { Array($0) }, context: "envelope-key:" + context)
        return EnvelopeSealed(wrappedKey: wrapped, content: content)
    }

    /// Opens a value sealed by ``sealEnvelope(_:context:)`` with the same `context`; throws
    /// `seal.open_failed` when either part was altered, swapped for another value's, or bound to
    /// another context.
    public func openEnvelope(_ sealed: EnvelopeSealed, context: String) throws -> [UInt8] {
        let key = try open(sealed.wrappedKey, context: "envelope-key:" + context)
        guard key.count == 32 else { throw SealerError(code: "seal.open_failed") }
        return try Sealer(key: SymmetricKey(data: key)).open(sealed.content, context: context)
    }
}
