import Foundation
public import KeywardCrypto

/// Queues messages to people, adding the account's anti-phishing code to every email so that its
/// owner can tell a real message from an imitation.
///
/// Every message Keyward sends goes through here, inside the transaction of the event that causes it.
public struct MessageQueue: Sendable {
    /// Writes the text of each message.
    public let composer: MessageComposer
    private let sealer: Sealer
    private let sealing: OutboxSealing
    private let mailboxChannels: Set<DeliveryChannel>
    private let clock: any KeywardClock
    /// Makes the "this wasn't me" links of security notices; none are offered without it.
    public let freezeLinks: FreezeLinks?

    /// A queue composing with `composer`, sealing message texts and anti-phishing codes with
    /// `sealer`. `mailboxChannels` are the channels the development mailbox receives: only their
    /// messages keep their one-time code beside the sealed text, for the mailbox to show.
    public init(composer: MessageComposer, sealer: Sealer, mailboxChannels: Set<DeliveryChannel> = [],
                clock: any KeywardClock, freezeLinks: FreezeLinks? = nil) {
        self.composer = composer
        self.sealer = sealer
        self.sealing = OutboxSealing(sealer: sealer)
        self.mailboxChannels = mailboxChannels
        self.clock = clock
        self.freezeLinks = freezeLinks
    }

    /// Queues `message` to `identifier`, its text sealed. `code` is the one-time code it carries,
    /// kept beside the message only when the development mailbox receives its channel; `id` names
    /// the message (a code's message takes the code's id, so that the code's delivery can be
    /// looked up).
    public func enqueue(_ message: MessageComposer.Composed, to identifier: Identifier, accountId: String?,
                        code: String? = nil, id: String = SecureRandom.uuid(), in stores: any KeywardStores) async throws {
        var body = message.body
        if identifier.channel == .email, let accountId, let phrase = try await antiPhishingCode(accountId: accountId, in: stores) {
            body = composer.withAntiPhishingCode(phrase, body: body)
        }
        let clear = OutboxMessage(id: id, channel: identifier.channel, destination: identifier.value,
                                  subject: message.subject, body: body, code: code, accountId: accountId,
                                  createdAt: clock.now())
        try await stores.outbox.enqueue(try sealing.seal(clear, keepCode: mailboxChannels.contains(identifier.channel)))
    }

    /// Queues a message to every verified email address and phone number of the account, composed
    /// for each by `compose`; `also` adds addresses no longer bound (the old phone after a change).
    /// A security notice (`offeringFreeze`) ends with a "this wasn't me" link of its own on each
    /// channel, unless the account is frozen already.
    public func notifyAll(accountId: String, also extra: [Identifier] = [], offeringFreeze: Bool = false,
                          in stores: any KeywardStores, _ compose: (Identifier) -> MessageComposer.Composed) async throws {
        let bound = try await stores.accounts.identifiers(accountId: accountId).filter { $0.verifiedAt != nil }.map(\.identifier)
        let freezable = try await offersFreeze(accountId: accountId, in: stores) && offeringFreeze
        var seen = Set<Identifier>()
        for identifier in bound + extra where seen.insert(identifier).inserted {
            var message = compose(identifier)
            if freezable, let freezeLinks {
                let link = try await freezeLinks.issue(accountId: accountId, in: stores)
                message = composer.withFreezeLink(link, message, channel: identifier.channel)
            }
            try await enqueue(message, to: identifier, accountId: accountId, in: stores)
        }
    }

    /// Whether notices to `accountId` carry a freeze link: links are configured and the account is not frozen already.
    public func offersFreeze(accountId: String, in stores: any KeywardStores) async throws -> Bool {
        guard freezeLinks != nil else { return false }
        return try await !stores.restrictions.active(accountId: accountId).contains { $0.kind == .frozen }
    }

    /// A new freeze link for `accountId`, when notices to it carry one.
    public func freezeLink(accountId: String, in stores: any KeywardStores) async throws -> String? {
        guard let freezeLinks, try await offersFreeze(accountId: accountId, in: stores) else { return nil }
        return try await freezeLinks.issue(accountId: accountId, in: stores)
    }

    /// Seals an anti-phishing code for storage with the account.
    public func seal(antiPhishingCode code: String, accountId: String) throws -> String {
        Data(try sealer.seal(Array(code.utf8), context: Self.context(accountId))).base64EncodedString()
    }

    /// The account's anti-phishing code in clear, if one is set.
    public func antiPhishingCode(accountId: String, in stores: any KeywardStores) async throws -> String? {
        guard let stored = try await stores.accounts.antiPhishingCode(accountId: accountId),
              let sealed = Data(base64Encoded: stored) else { return nil }
        return String(decoding: try sealer.open(Array(sealed), context: Self.context(accountId)), as: UTF8.self)
    }

    private static func context(_ accountId: String) -> String { "anti-phishing:\(accountId)" }
}
