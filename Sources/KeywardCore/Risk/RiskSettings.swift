public import Foundation

/// The thresholds of risk control (`risk.*`). A decision to restrict needs the right password:
/// wrong ones only count toward the signals.
public struct RiskSettings: Sendable, Equatable {
    /// When a sign-in from a device new to the account needs approving from the account's email
    /// (or phone) after its second factor.
    public enum DeviceApproval: String, Sendable, CaseIterable {
        /// A new device on a network or in a country the account was not used from.
        case unfamiliar
        /// Every new device.
        case always
        /// Never.
        case off
    }

    /// Whether decisions act; off, every evaluation is still recorded with what it would have done.
    public var enabled = true
    /// How far back failed sign-ins from one network are counted (seconds; default 10 minutes).
    public var stuffingWindow: TimeInterval = 600
    /// Distinct identifiers failing from one network within the window that mark it as stuffing
    /// credentials (default 20); a right password from it then restricts its account.
    public var stuffingIdentifiers = 20
    /// How far back the places an account's right passwords came from are counted (seconds; default an hour).
    public var velocityWindow: TimeInterval = 3600
    /// Countries an account's right passwords may come from within the window; one more restricts (default 3).
    public var velocityCountries = 3
    /// Networks an account's right passwords may come from within the window; one more restricts (default 10).
    public var velocityNetworks = 10
    /// When a new device needs approving (default `unfamiliar`).
    public var newDeviceApproval = DeviceApproval.unfamiliar

    /// The defaults.
    public init() {}
}
