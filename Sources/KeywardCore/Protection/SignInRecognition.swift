public import Foundation

/// The places (networks and countries) an account has signed in from before.
public protocol KnownLocationStore: Sendable {
    /// Whether the account has signed in from `value` (a network prefix or a country) before.
    func isKnown(accountId: String, kind: KnownLocationKind, value: String) async throws -> Bool
    /// Whether the account has any place of `kind` on record.
    func hasAny(accountId: String, kind: KnownLocationKind) async throws -> Bool
    /// Records a sign-in (or the registration) from `value` at `at`.
    func remember(accountId: String, kind: KnownLocationKind, value: String, at: Date) async throws
}

/// What a known place is.
public enum KnownLocationKind: String, Sendable {
    /// A network prefix such as `203.0.113.0/24`.
    case network
    /// An ISO 3166-1 alpha-2 country code.
    case country
}

/// What was new about a successful sign-in.
public struct SignInNovelty: Sendable, Equatable {
    /// The device (by its id) has not signed in to the account before; `nil` when it sent no id.
    public var newDevice: Bool?
    /// The network has not been seen for the account; `false` when the address is unknown.
    public var newNetwork: Bool
    /// The country differs from every one the account was used from; `false` when no country is
    /// known for the sign-in or none is on record for the account.
    public var newCountry: Bool

    /// A description of what was new.
    public init(newDevice: Bool?, newNetwork: Bool, newCountry: Bool) {
        self.newDevice = newDevice
        self.newNetwork = newNetwork
        self.newCountry = newCountry
    }

    /// Whether the owner should be warned: a country the account was never used from, or a
    /// network it was never used from by a device that is not already known. A known device on a
    /// new network (a phone between cells, a laptop on a trip) is not news; a new country is.
    public var isUnfamiliar: Bool {
        newCountry || (newNetwork && newDevice != false)
    }

    /// The audit's word for it: `location`, `network` or `nil`.
    public var reason: String? {
        if newCountry { return "location" }
        return isUnfamiliar ? "network" : nil
    }
}

/// Recognises where a sign-in comes from and warns the owner, on every channel, of a sign-in
/// from somewhere the account has not been used from: the article's "logged in from an
/// unfamiliar location" notice, which tells them to reset the password at once if it was not them.
public struct SignInRecognition: Sendable {
    private let queue: MessageQueue
    private let clock: any KeywardClock
    /// Whether unfamiliar sign-ins are told to the owner (they are always audited).
    public let alertsEnabled: Bool

    /// Recognition that tells owners through `queue` when `alertsEnabled`.
    public init(queue: MessageQueue, clock: any KeywardClock, alertsEnabled: Bool) {
        self.queue = queue
        self.clock = clock
        self.alertsEnabled = alertsEnabled
    }

    /// What is new about a sign-in to `accountId` from `origin` by the device known by
    /// `deviceHash`. Call before the sign-in is remembered.
    public func assess(accountId: String, deviceHash: String?, origin: RequestOrigin,
                       in stores: any KeywardStores) async throws -> SignInNovelty {
        var newDevice: Bool?
        if let deviceHash {
            newDevice = !(try await stores.devices.isKnown(accountId: accountId, deviceHash: deviceHash))
        }
        var newNetwork = false, newCountry = false
        if let network = origin.network {
            newNetwork = !(try await stores.locations.isKnown(accountId: accountId, kind: .network, value: network))
        }
        // The first country on record is news only through its network: otherwise turning the
        // country header on would warn every owner at their next sign-in.
        if let country = origin.country,
           !(try await stores.locations.isKnown(accountId: accountId, kind: .country, value: country)) {
            newCountry = try await stores.locations.hasAny(accountId: accountId, kind: .country)
        }
        return SignInNovelty(newDevice: newDevice, newNetwork: newNetwork, newCountry: newCountry)
    }

    /// Remembers the network and country of `origin` as places the account is used from.
    public func remember(accountId: String, origin: RequestOrigin, in stores: any KeywardStores) async throws {
        let now = clock.now()
        if let network = origin.network {
            try await stores.locations.remember(accountId: accountId, kind: .network, value: network, at: now)
        }
        if let country = origin.country {
            try await stores.locations.remember(accountId: accountId, kind: .country, value: country, at: now)
        }
    }

    /// Queues the new sign-in notice to every verified channel when `novelty` is unfamiliar and
    /// alerts are on. Returns whether it did.
    @discardableResult
    public func warnIfUnfamiliar(_ novelty: SignInNovelty, accountId: String, origin: RequestOrigin, deviceName: String?,
                                 in stores: any KeywardStores) async throws -> Bool {
        guard alertsEnabled, novelty.isUnfamiliar else { return false }
        let now = clock.now()
        try await queue.notifyAll(accountId: accountId, offeringFreeze: true, in: stores) { destination in
            queue.composer.newSignInNotice(at: now, origin: origin, deviceName: deviceName,
                                           newCountry: novelty.newCountry, to: destination)
        }
        return true
    }
}
