import Crypto
import KeywardCrypto
import Testing

/// Documents are sealed under a key of their own, wrapped by the sealing key.
@Suite struct EnvelopeSealerTests {
    let sealer = Sealer(key: SymmetricKey(size: .bits256))

    @Test func anEnvelopeOpensOnlyWithItsContextAndBothOfItsOwnParts() throws {
        let document = Array("passport scan".utf8) + SecureRandom.bytes(4096)
        let sealed = try sealer.sealEnvelope(document, context: "document:d1")
        #expect(try sealer.openEnvelope(sealed, context: "document:d1") == document)
        #expect(sealed.content.count == document.count + 28, "nonce and tag only")
        #expect(!sealed.content.windows(ofCount: 13).contains { Array($0) == Array("passport scan".utf8) })
        #expect(throws: SealerError(code: "seal.open_failed")) { try sealer.openEnvelope(sealed, context: "document:d2") }

        let other = try sealer.sealEnvelope(document, context: "document:d1")
        #expect(other.wrappedKey != sealed.wrappedKey, "every document has a key of its own")
        let swapped = EnvelopeSealed(wrappedKey: other.wrappedKey, content: sealed.content)
        #expect(throws: SealerError(code: "seal.open_failed")) { try sealer.openEnvelope(swapped, context: "document:d1") }
        var altered = sealed.content
        altered[40] ^= 0x01
        #expect(throws: SealerError(code: "seal.open_failed")) {
            try sealer.openEnvelope(EnvelopeSealed(wrappedKey: sealed.wrappedKey, content: altered), context: "document:d1")
        }
        let stranger = Sealer(key: SymmetricKey(size: .bits256))
        #expect(throws: SealerError(code: "seal.open_failed")) { try stranger.openEnvelope(sealed, context: "document:d1") }
    }
}

extension Array {
    /// Every run of `count` consecutive elements.
    fileprivate func windows(ofCount count: Int) -> [ArraySlice<Element>] {
        guard count <= self.count else { return [] }
        return (0...(self.count - count)).map { self[$0..<($0 + count)] }
    }
}
