import KeywardCore
import Testing

/// Risk control's rules on their own: where credential stuffing and location velocity begin, and
/// what a known device and an internal address change.
@Suite struct RiskRulesTests {
    /// The defaults, with new-device approval off so that `allow` shows where restriction begins.
    let settings: RiskSettings = {
        var settings = RiskSettings()
        settings.newDeviceApproval = .off
        return settings
    }()

    private func signals(newDevice: Bool? = true, newNetwork: Bool = true, newCountry: Bool = false,
                         internalNetwork: Bool = false, identifiers: Int = 0,
                         countries: Int = 1, networks: Int = 1) -> RiskSignals {
        RiskSignals(newDevice: newDevice, newNetwork: newNetwork, newCountry: newCountry, internalNetwork: internalNetwork,
                    identifiersFailingFromNetwork: identifiers, failuresFromNetwork: identifiers * 2,
                    countriesInWindow: countries, networksInWindow: networks)
    }

    @Test func theDefaultsAreDocumented() {
        #expect(RiskSettings().newDeviceApproval == .unfamiliar)
        #expect(settings.enabled && settings.stuffingWindow == 600 && settings.stuffingIdentifiers == 20)
        #expect(settings.velocityWindow == 3600 && settings.velocityCountries == 3 && settings.velocityNetworks == 10)
    }

    @Test func aRightPasswordFromANetworkWhereTwentyIdentifiersFailedIsStuffing() {
        #expect(RiskRules.decide(signals(identifiers: 19), settings: settings) == .allow)
        #expect(RiskRules.decide(signals(identifiers: 20), settings: settings) == .restrict(.credentialStuffing))
        #expect(RiskRules.decide(signals(newDevice: nil, identifiers: 200), settings: settings) == .restrict(.credentialStuffing))
        // The owner's own browser shares the network, not the attack.
        #expect(RiskRules.decide(signals(newDevice: false, identifiers: 200), settings: settings) == .allow)
        // Behind a proxy that is not trusted every client is one internal address.
        #expect(RiskRules.decide(signals(internalNetwork: true, identifiers: 200), settings: settings) == .allow)
    }

    @Test func aFourthCountryOrAnEleventhNetworkInAnHourIsVelocity() {
        #expect(RiskRules.decide(signals(countries: 3, networks: 10), settings: settings) == .allow)
        #expect(RiskRules.decide(signals(countries: 4), settings: settings) == .restrict(.locationVelocity))
        #expect(RiskRules.decide(signals(networks: 11), settings: settings) == .restrict(.locationVelocity))
        // Velocity is about the account: a known device does not excuse it.
        #expect(RiskRules.decide(signals(newDevice: false, countries: 4), settings: settings) == .restrict(.locationVelocity))
    }

    @Test func aNewDeviceOnAnUnfamiliarNetworkOrInANewCountryIsApproved() {
        let unfamiliar = RiskSettings()
        #expect(RiskRules.decide(signals(), settings: unfamiliar) == .approveDevice)
        #expect(RiskRules.decide(signals(newNetwork: false, newCountry: true), settings: unfamiliar) == .approveDevice)
        #expect(RiskRules.decide(signals(newDevice: nil), settings: unfamiliar) == .approveDevice)
        // A new browser at home, or a known device anywhere, goes on.
        #expect(RiskRules.decide(signals(newNetwork: false), settings: unfamiliar) == .allow)
        #expect(RiskRules.decide(signals(newDevice: false, newCountry: true), settings: unfamiliar) == .allow)
        var always = RiskSettings()
        always.newDeviceApproval = .always
        #expect(RiskRules.decide(signals(newNetwork: false), settings: always) == .approveDevice)
        #expect(RiskRules.decide(signals(newDevice: false), settings: always) == .allow)
        // Restriction outranks approval.
        #expect(RiskRules.decide(signals(identifiers: 20), settings: always) == .restrict(.credentialStuffing))
        #expect(RiskRules.decide(signals(countries: 4), settings: always) == .restrict(.locationVelocity))
    }

    @Test func thresholdsAreTheSettings() {
        var strict = RiskSettings()
        strict.stuffingIdentifiers = 5
        strict.velocityCountries = 1
        #expect(RiskRules.decide(signals(identifiers: 5), settings: strict) == .restrict(.credentialStuffing))
        #expect(RiskRules.decide(signals(countries: 2), settings: strict) == .restrict(.locationVelocity))
    }
}
