import Foundation
import KeywardCore
import Testing

@Suite struct MessageCatalogueTests {
    static let errors: [KeywardError] = [
        .identifierInvalid, .identifierTaken, .accountNotFound, .registrationIncomplete, .credentialsInvalid,
        .registrationNotFound, .registrationCompleted, .registrationExpired, .codeExpired, .codeExhausted,
        .sessionRequired, .sessionNotFound, .requestMalformed, .routeNotFound, .csrfInvalid, .operatorUnauthorized,
        .internalError, .codeInvalid(attemptsRemaining: 2), .requestTooLarge(limit: 10), .requestInvalidField("x"),
        .serverBusy(retryAfter: 1), .passwordRejected([]),
        .secondFactorMethodInvalid, .secondFactorMethodUnavailable, .secondFactorUnavailable, .secondFactorCodeNotSent,
        .totpInvalid, .totpReused, .flowNotFound, .flowExpired, .flowCompleted, .reauthRequired, .passwordIncorrect,
        .authenticatorNotPending, .authenticatorNotBound, .antiPhishingCodeInvalid, .recoverySecondFactorRequired,
        .contactUnchanged, .contactKindMismatch, .contactOldCodeRequired, .contactChangeNeedsSupport,
        .contactCodeRequired("otherCode"), .requestUnsupportedMediaType,
    ]

    @Test(arguments: errors)
    func everyErrorHasItsOwnSentence(error: KeywardError) {
        let catalogue = MessageCatalogue.english
        #expect(catalogue.codes.contains(error.code))
        #expect(!catalogue.sentence(for: error).contains("{"), "unfilled placeholder in \(error.code)")
        #expect((400...599).contains(error.status))
    }

    @Test func sentencesAreFilledFromDetails() {
        let sentence = MessageCatalogue.english.sentence(for: .codeInvalid(attemptsRemaining: 3))
        #expect(sentence.contains("Tries left for this code: 3"))
    }

    @Test func accountNotFoundTellsThePersonWhatToCheck() {
        let sentence = MessageCatalogue.english.sentence(for: .accountNotFound)
        #expect(sentence.contains("check which email or phone you registered with"))
        #expect(sentence.contains("real site"))
    }
}

@Suite struct WrongGuessTests {
    @Test(arguments: [KeywardError.codeInvalid(attemptsRemaining: 2), .codeExpired, .codeExhausted, .totpInvalid, .totpReused])
    func wrongProofsCountAsGuesses(error: KeywardError) {
        #expect(error.isWrongGuess)
    }

    @Test(arguments: [KeywardError.resendTooSoon(retryAfter: 5, availableAt: Date()), .secondFactorCodeNotSent,
                      .secondFactorMethodUnavailable, .flowExpired, .serverBusy(retryAfter: 1), .credentialsInvalid])
    func errorsThatAreNoWrongProofGiveTheGuessBack(error: KeywardError) {
        #expect(!error.isWrongGuess)
    }
}
