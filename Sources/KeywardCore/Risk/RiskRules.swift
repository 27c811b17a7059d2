public import Foundation

/// What risk control knows about one sign-in when its password was right.
public struct RiskSignals: Sendable, Equatable, Codable {
    /// The device has not signed in to the account before; `nil` when it sent no id.
    public var newDevice: Bool?
    /// The network has not been seen for the account.
    public var newNetwork: Bool
    /// The country is not one the account was used from.
    public var newCountry: Bool
    /// The client address is loopback, private or link-local, so its network is not judged:
    /// behind a proxy that is not trusted every client shares it.
    public var internalNetwork: Bool
    /// Distinct identifiers that failed from this network within `risk.stuffingWindow`.
    public var identifiersFailingFromNetwork: Int
    /// Failed sign-ins, to any account, from this network within `risk.stuffingWindow`.
    public var failuresFromNetwork: Int
    /// Distinct countries the account's right passwords came from within `risk.velocityWindow`, this one included.
    public var countriesInWindow: Int
    /// Distinct networks the account's right passwords came from within `risk.velocityWindow`, this one included.
    public var networksInWindow: Int

    /// A set of signals.
    public init(newDevice: Bool?, newNetwork: Bool, newCountry: Bool, internalNetwork: Bool = false,
                identifiersFailingFromNetwork: Int, failuresFromNetwork: Int, countriesInWindow: Int, networksInWindow: Int) {
        self.internalNetwork = internalNetwork
        self.newDevice = newDevice
        self.newNetwork = newNetwork
        self.newCountry = newCountry
        self.identifiersFailingFromNetwork = identifiersFailingFromNetwork
        self.failuresFromNetwork = failuresFromNetwork
        self.countriesInWindow = countriesInWindow
        self.networksInWindow = networksInWindow
    }

    /// The signals as one line for support, such as `24 identifiers failing from the network, 31 failures from it, …`.
    public var summary: String {
        var parts = ["\(identifiersFailingFromNetwork) identifiers failing from the network",
                     "\(failuresFromNetwork) failures from it",
                     "\(countriesInWindow) countries and \(networksInWindow) networks in the velocity window"]
        if let newDevice { parts.append(newDevice ? "new device" : "known device") }
        if newNetwork { parts.append("new network") }
        if newCountry { parts.append("new country") }
        if internalNetwork { parts.append("internal address, network not judged") }
        return parts.joined(separator: ", ")
    }
}

/// What risk control decided about a sign-in.
public enum RiskDecision: String, Sendable, Codable, CaseIterable {
    /// Nothing stands in the way.
    case allow
    /// The sign-in goes on, but after its second factor the device must be approved with a code
    /// sent to the account's email address (or phone).
    case approveDevice = "approve_device"
    /// The account is restricted until support reviews it.
    case restrict
}

/// A decision and, for `restrict`, the reason the person and support are told.
public struct RiskVerdict: Sendable, Equatable {
    /// The decision.
    public let decision: RiskDecision
    /// Why, for `restrict`.
    public let reason: AccountRestriction.Reason?

    /// Nothing stands in the way.
    public static let allow = RiskVerdict(decision: .allow, reason: nil)
    /// The new device must be approved.
    public static let approveDevice = RiskVerdict(decision: .approveDevice, reason: nil)

    /// Restrict for `reason`.
    public static func restrict(_ reason: AccountRestriction.Reason) -> RiskVerdict {
        RiskVerdict(decision: .restrict, reason: reason)
    }
}

/// The rules, apart from any storage or clock, so that they can be read and tested as they are.
public enum RiskRules {
    /// The verdict on a right password with `signals` under `settings`:
    /// - from a network where at least `stuffingIdentifiers` distinct identifiers failed within the
    ///   window, by a device that did not sign in to the account before: credential stuffing
    ///   found a password that works, so the account is restricted;
    /// - the account's right passwords arriving from more than `velocityCountries` countries or
    ///   more than `velocityNetworks` networks within an hour: restricted for location velocity;
    /// - a device new to the account (or one that sent no id) must be approved after the second
    ///   factor when `newDeviceApproval` is `always`, or when it is `unfamiliar` and the network or
    ///   country is new to the account too;
    /// - otherwise allowed. A known device is trusted on a stuffing network (its owner shares the
    ///   network, not the attack) but not against velocity, which is about the account itself. An
    ///   internal address is never judged as a stuffing network: it is the server's own side, most
    ///   likely a proxy that is not in `server.trustedProxies`, in front of every client at once.
    public static func decide(_ signals: RiskSignals, settings: RiskSettings) -> RiskVerdict {
        if !signals.internalNetwork, signals.identifiersFailingFromNetwork >= settings.stuffingIdentifiers,
           signals.newDevice != false {
            return .restrict(.credentialStuffing)
        }
        if signals.countriesInWindow > settings.velocityCountries || signals.networksInWindow > settings.velocityNetworks {
            return .restrict(.locationVelocity)
        }
        if signals.newDevice != false {
            switch settings.newDeviceApproval {
            case .always: return .approveDevice
            case .unfamiliar where signals.newNetwork || signals.newCountry: return .approveDevice
            case .unfamiliar, .off: break
            }
        }
        return .allow
    }
}
