import KeywardCore
import Testing

@Suite struct IdentifierTests {
    @Test func emailIsTrimmedAndLowercased() throws {
        let identifier = try Identifier.parse("  Alice.Smith+tag@Example.COM \n")
        #expect(identifier == Identifier(kind: .email, value: "alice.smith+tag@example.com"))
        #expect(identifier.channel == .email)
        #expect(identifier.localPart == "alice.smith+tag")
    }

    @Test(arguments: [
        ("+44 7700 900123", "+447700900123"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("+49.30.1234567", "+49301234567"),
    ])
    func phoneLosesSpacesDashesAndBrackets(raw: String, expected: String) throws {
        let identifier = try Identifier.parse(raw)
        #expect(identifier == Identifier(kind: .phone, value: expected))
        #expect(identifier.channel == .sms)
    }

    @Test(arguments: [
        "", "   ", "alice", "alice@", "@example.com", "alice@example", "alice@@example.com",
        "alice@exa mple.com", "al ice@example.com", ".alice@example.com", "alice..b@example.com",
        "alice@-example.com", "alice@example.c0m", "07700900123", "+1234567", "+1234567890123456",
        "+44 7700 9001a3", "+0447700900123", "++447700900123", "tel:+447700900123",
    ])
    func anythingElseIsRejectedWithIdentifierInvalid(raw: String) {
        #expect(throws: KeywardError.identifierInvalid) { try Identifier.parse(raw) }
    }

    @Test func phoneOfEightAndFifteenDigitsIsAccepted() throws {
        #expect(try Identifier.parse("+12345678").value == "+12345678")
        #expect(try Identifier.parse("+123456789012345").value == "+123456789012345")
    }
}
