import KeywardCrypto
import Testing

@Suite struct Base64URLTests {
    // RFC 4648 section 10 vectors (base64), unpadded; base64url differs only in "-" and "_".
    @Test func base64urlMatchesRFC4648WithoutPadding() {
        let vectors = ["": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(Base64URL.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
        #expect(Base64URL.decode("Zm9v+") == nil)
        #expect(Base64URL.decode("Z") == nil)
        #expect(SecureRandom.token().count == 43)
    }
}
