import KeywardCore
import Testing

@Suite struct PasswordPolicyTests {
    private func codes(_ policy: PasswordPolicy, _ password: String, _ identifier: String? = nil) throws -> [String] {
        policy.violations(of: password, identifier: try identifier.map(Identifier.parse)).map(\.code)
    }

    @Test func exchangePresetAcceptsAMixedPassword() throws {
        #expect(try codes(.exchange, "Tr4velling-Lynx").isEmpty)
    }

    @Test func exchangePresetNamesEachMissingClass() throws {
        #expect(try codes(.exchange, "alllowercase1").contains("password.needs_uppercase"))
        #expect(try codes(.exchange, "ALLUPPERCASE1").contains("password.needs_lowercase"))
        #expect(try codes(.exchange, "NoDigitsHereAtAll").contains("password.needs_digit"))
        #expect(try codes(.exchange, "Sh0rt") == ["password.too_short"])
        #expect(try codes(.exchange, "Aa1" + String(repeating: "x", count: 126)) == ["password.too_long"])
    }

    @Test func everyFailureIsListedAtOnce() throws {
        #expect(try codes(.exchange, "zqv") == ["password.too_short", "password.needs_uppercase", "password.needs_digit"])
    }

    @Test func nistPresetNeedsFifteenCharactersAndNoComposition() throws {
        #expect(try codes(.nist, "correct horse battery") .isEmpty)
        #expect(try codes(.nist, "Tr4velling-Lyn") == ["password.too_short"])
    }

    @Test func commonPasswordsAreRejectedWhateverTheirCase() throws {
        #expect(CommonPasswords.shared.count >= 10_000)
        #expect(try codes(.exchange, "Password1").contains("password.common"))
        #expect(try codes(.exchange, "QWERTY123").contains("password.common") == CommonPasswords.shared.contains("qwerty123"))
        #expect(try codes(.nist, "PASSWORD").contains("password.common"))
    }

    @Test func passwordsContainingTheIdentifierAreRejected() throws {
        #expect(try codes(.exchange, "MyAlice2026x", "alice@example.com") == ["password.contains_identifier"])
        #expect(try codes(.exchange, "Pw447700900123", "+447700900123") == ["password.contains_identifier"])
        #expect(try codes(.exchange, "MyAlice2026x", "bob@example.com").isEmpty)
    }

    @Test func checkThrowsPasswordInvalidWithTheViolations() throws {
        let error = #expect(throws: KeywardError.self) { try PasswordPolicy.exchange.check("zqv", identifier: nil) }
        #expect(error?.code == "password.invalid")
        #expect(error?.status == 422)
        #expect(error?.violations.count == 3)
        #expect(error?.violations.allSatisfy { !$0.detail.isEmpty } == true)
    }
}
