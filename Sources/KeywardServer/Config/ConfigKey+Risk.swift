import Foundation
import KeywardCore

extension ConfigKey {
    /// Risk control's keys.
    static let risk: [ConfigKey] = [
        ConfigKey("risk.enabled", "KEYWARD_RISK_ENABLED", "whether risk control restricts accounts (default true); false keeps only the records of what it would have done") { c, v in
            c.risk.enabled = try bool(v, "risk.enabled") },
        ConfigKey("risk.stuffingWindow", "KEYWARD_RISK_STUFFING_WINDOW", "seconds over which failed sign-ins from one network are counted (default 600)") { c, v in
            c.risk.stuffingWindow = TimeInterval(try int(v, "risk.stuffingWindow", 60...86400)) },
        ConfigKey("risk.stuffingIdentifiers", "KEYWARD_RISK_STUFFING_IDENTIFIERS", "distinct identifiers failing from one network within the window that mark it as stuffing credentials; a right password from it by a device new to the account then restricts that account (default 20)") { c, v in
            c.risk.stuffingIdentifiers = try int(v, "risk.stuffingIdentifiers", 2...100_000) },
        ConfigKey("risk.velocityWindow", "KEYWARD_RISK_VELOCITY_WINDOW", "seconds over which the places an account's right passwords come from are counted (default 3600)") { c, v in
            c.risk.velocityWindow = TimeInterval(try int(v, "risk.velocityWindow", 60...86400)) },
        ConfigKey("risk.velocityCountries", "KEYWARD_RISK_VELOCITY_COUNTRIES", "countries an account's right passwords may come from within the window; one more restricts it (default 3; needs server.countryHeader)") { c, v in
            c.risk.velocityCountries = try int(v, "risk.velocityCountries", 1...100) },
        ConfigKey("risk.velocityNetworks", "KEYWARD_RISK_VELOCITY_NETWORKS", "networks (/24 or /48) an account's right passwords may come from within the window; one more restricts it (default 10)") { c, v in
            c.risk.velocityNetworks = try int(v, "risk.velocityNetworks", 1...1000) },
        ConfigKey("risk.newDeviceApproval", "KEYWARD_RISK_NEW_DEVICE_APPROVAL", "when a sign-in from a device new to the account must be approved with a code to the account's email (or phone) after its second factor: unfamiliar (default: the network or country is new too), always, or off") { c, v in
            c.risk.newDeviceApproval = try choice(v, "risk.newDeviceApproval", RiskSettings.DeviceApproval.self) },
    ]
}
