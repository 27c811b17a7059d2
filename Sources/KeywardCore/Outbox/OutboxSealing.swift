import Foundation
public import KeywardCrypto

/// Seals the subject and text of queued messages for the outbox and opens them again for the
/// sender, so that messages waiting for delivery (which may carry one-time codes, in the text and
/// in an email's subject) are never stored in clear.
///
/// Subject and text are sealed together with AES-256-GCM under the sealing key, bound to the
/// message id: a sealed text moved to another row does not open. The subject kept in clear beside
/// them, for delivery status and support, has the code masked.
public struct OutboxSealing: Sendable {
    private let sealer: Sealer

    /// What is sealed.
    private struct Sealed: Codable {
        let subject: String
        let body: String
    }

    /// Sealing under `sealer`'s key.
    public init(sealer: Sealer) {
        self.sealer = sealer
    }

    /// The stored form of `message`; its code is kept only when `keepCode` (the development
    /// mailbox will show it).
    public func seal(_ message: OutboxMessage, keepCode: Bool) throws -> QueuedMessage {
        let plaintext = try JSONEncoder().encode(Sealed(subject: message.subject, body: message.body))
        let sealed = try sealer.seal(Array(plaintext), context: Self.context(message.id))
        let recorded = message.code.map { message.subject.replacingOccurrences(of: $0, with: "••••••") } ?? message.subject
        return QueuedMessage(
            id: message.id, channel: message.channel, destination: message.destination, subject: recorded,
            sealedBody: Data(sealed).base64EncodedString(), code: keepCode ? message.code : nil,
            accountId: message.accountId, createdAt: message.createdAt, attempts: message.attempts)
    }

    /// The message in clear, as a sender needs it. Throws ``SealerError`` when the text cannot be
    /// opened (altered, or sealed under a key no longer configured), and when it was erased.
    public func open(_ queued: QueuedMessage) throws -> OutboxMessage {
        let opened: Sealed
        if let sealedBody = queued.sealedBody {
            guard let sealed = Data(base64Encoded: sealedBody),
                  let decoded = try? JSONDecoder().decode(
                    Sealed.self, from: Data(try sealer.open(Array(sealed), context: Self.context(queued.id))))
            else { throw SealerError(code: "seal.open_failed") }
            opened = decoded
        } else if let clearBody = queued.clearBody {
            opened = Sealed(subject: queued.subject, body: clearBody)
        } else {
            throw SealerError(code: "seal.erased")
        }
        return OutboxMessage(id: queued.id, channel: queued.channel, destination: queued.destination,
                             subject: opened.subject, body: opened.body, code: queued.code, accountId: queued.accountId,
                             createdAt: queued.createdAt, attempts: queued.attempts)
    }

    private static func context(_ id: String) -> String { "outbox:\(id)" }
}
