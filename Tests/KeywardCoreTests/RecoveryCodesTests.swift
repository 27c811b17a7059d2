import Crypto
import Foundation
import KeywardCore
import KeywardCrypto
import Testing

@Suite struct RecoveryCodesTests {
    let codes = RecoveryCodes(hasher: KeyedHasher(key: SymmetricKey(data: [UInt8](repeating: 7, count: 32))))

    @Test func aSetIsTenDistinctCodesOfTheUnambiguousAlphabetStoredOnlyAsHashes() {
        let set = codes.generate(accountId: "account-1", at: Date(timeIntervalSince1970: 0))
        #expect(set.shown.count == 10 && Set(set.shown).count == 10 && set.stored.count == 10)
        for (shown, stored) in zip(set.shown, set.stored) {
            #expect(shown.wholeMatch(of: /[34679ACDEFGHJKMNPQRTWXY]{5}-[34679ACDEFGHJKMNPQRTWXY]{5}/) != nil)
            let normalized = RecoveryCodes.normalized(shown)
            #expect(normalized != nil)
            #expect(stored.codeHash == codes.hash(normalized ?? "", accountId: "account-1"))
            #expect(!stored.codeHash.contains(normalized ?? "-"))
        }
    }

    @Test func spacesDashesAndCaseAreIgnoredButLookAlikesAndWrongLengthsAreNot() {
        #expect(RecoveryCodes.normalized(" 34679-acdef ") == "34679ACDEF")
        #expect(RecoveryCodes.normalized("346 79 A-C-D E F") == "34679ACDEF")
        #expect(RecoveryCodes.normalized("34679-ACDE0") == nil)  // 0 is not in the alphabet
        #expect(RecoveryCodes.normalized("34679-ACDEB") == nil)  // nor B
        #expect(RecoveryCodes.normalized("34679-ACDE") == nil)
        #expect(RecoveryCodes.normalized("34679-ACDEFG") == nil)
        #expect(RecoveryCodes.normalized("") == nil)
    }

    @Test func theSameCodeHashesDifferentlyForAnotherAccount() {
        #expect(codes.hash("34679ACDEF", accountId: "a") != codes.hash("34679ACDEF", accountId: "b"))
    }
}
