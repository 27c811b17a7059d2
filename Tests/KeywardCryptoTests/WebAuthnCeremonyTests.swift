import Crypto
import Foundation
import KeywardCrypto
import KeywardTestSupport
import Testing

/// The relying party's checks of WebAuthn registrations and assertions, against answers made by a
/// software authenticator with swift-crypto keys.
@Suite struct WebAuthnCeremonyTests {
    let origin = "https://exchange.example"
    let challenge = SecureRandom.bytes(32)

    private var expectation: WebAuthnExpectation {
        WebAuthnExpectation(rpID: "exchange.example", origins: [origin, "https://app.exchange.example"], challenge: challenge,
                            requireUserVerification: true)
    }

    private var creationOptions: [String: Any] {
        ["rp": ["id": "exchange.example", "name": "Exchange"], "user": ["id": Base64URL.encode(Array("account-1".utf8))],
         "challenge": Base64URL.encode(challenge)]
    }

    private var requestOptions: [String: Any] {
        ["rpId": "exchange.example", "challenge": Base64URL.encode(challenge)]
    }

    private func part(_ answer: [String: Any], _ name: String) -> [UInt8] {
        Base64URL.decode((answer["response"] as? [String: Any])?[name] as? String ?? "") ?? []
    }

    private func register(_ answer: [String: Any]) throws(WebAuthnError) -> WebAuthnRegistration {
        try WebAuthnCeremony.verifyRegistration(clientDataJSON: part(answer, "clientDataJSON"),
                                                attestationObject: part(answer, "attestationObject"), expecting: expectation)
    }

    private func refusal(_ body: () throws -> Void) -> WebAuthnError.Code? {
        do {
            try body()
            return nil
        } catch let error as WebAuthnError {
            return error.code
        } catch {
            return nil
        }
    }

    private func assert(_ answer: [String: Any], key: COSEKey, backupEligible: Bool = false) throws(WebAuthnError) -> WebAuthnAssertion {
        try WebAuthnCeremony.verifyAssertion(
            clientDataJSON: part(answer, "clientDataJSON"), authenticatorData: part(answer, "authenticatorData"),
            signature: part(answer, "signature"), userHandle: part(answer, "userHandle"), publicKey: key,
            backupEligible: backupEligible, expectedUserHandle: Array("account-1".utf8), expecting: expectation)
    }

    @Test(arguments: [TestPasskeyAuthenticator.Algorithm.es256, .edDSA], ["none", "packed"])
    func aRegistrationAndItsAssertionsVerify(algorithm: TestPasskeyAuthenticator.Algorithm, format: String) throws {
        let authenticator = TestPasskeyAuthenticator(algorithm, origin: origin)
        let registration = try register(try authenticator.create(creationOptions, format: format))
        #expect(registration.credentialId == authenticator.credentialId)
        #expect(registration.algorithm == (algorithm == .es256 ? .es256 : .edDSA))
        #expect(registration.attestationFormat == format)
        #expect(registration.signCount == 0 && !registration.backupEligible)
        let key = try COSEKey(bytes: registration.publicKey)
        authenticator.signCount = 7
        #expect(try assert(try authenticator.get(requestOptions), key: key).signCount == 7)
    }

    @Test func everyAnswerForAnotherSiteOrCeremonyIsRefused() throws {
        let authenticator = TestPasskeyAuthenticator(origin: origin)
        var wrong = TestPasskeyAuthenticator.Tampering()
        wrong.origin = "https://exchange.example.phish.example"
        #expect(refusal { _ = try register(try authenticator.create(creationOptions, tampering: wrong)) } == .originMismatch)
        wrong = .init()
        wrong.rpID = "phish.example"
        #expect(refusal { _ = try register(try authenticator.create(creationOptions, tampering: wrong)) } == .rpIDMismatch)
        wrong = .init()
        wrong.challenge = Base64URL.encode(SecureRandom.bytes(32))
        #expect(refusal { _ = try register(try authenticator.create(creationOptions, tampering: wrong)) } == .challengeMismatch)
        wrong = .init()
        wrong.userVerified = false
        #expect(refusal { _ = try register(try authenticator.create(creationOptions, tampering: wrong)) } == .userNotVerified)
        wrong = .init()
        wrong.type = "webauthn.get"
        #expect(refusal { _ = try register(try authenticator.create(creationOptions, tampering: wrong)) } == .wrongType)
        wrong = .init()
        wrong.signatureFlipped = true
        #expect(refusal { _ = try register(try authenticator.create(creationOptions, format: "packed", tampering: wrong)) }
                == .attestationInvalid)
        #expect(refusal { _ = try register(try authenticator.create(creationOptions, format: "fido-u2f")) } == .unsupportedAttestation)
        // A second accepted origin (an app) works.
        let app = TestPasskeyAuthenticator(origin: "https://app.exchange.example")
        #expect(refusal { _ = try register(try app.create(creationOptions)) } == nil)
    }

    @Test func assertionsWithAWrongSignatureUserHandleOrFlagsAreRefused() throws {
        let authenticator = TestPasskeyAuthenticator(origin: origin)
        let key = try COSEKey(bytes: try register(try authenticator.create(creationOptions)).publicKey)
        var wrong = TestPasskeyAuthenticator.Tampering()
        wrong.signatureFlipped = true
        #expect(refusal { _ = try assert(try authenticator.get(requestOptions, tampering: wrong), key: key) } == .signatureInvalid)
        wrong = .init()
        wrong.userVerified = false
        #expect(refusal { _ = try assert(try authenticator.get(requestOptions, tampering: wrong), key: key) } == .userNotVerified)
        wrong = .init()
        wrong.type = "webauthn.create"
        #expect(refusal { _ = try assert(try authenticator.get(requestOptions, tampering: wrong), key: key) } == .wrongType)
        #expect(refusal { _ = try assert(try authenticator.get(requestOptions), key: key, backupEligible: true) } == .backupStateInvalid)
        let answer = try authenticator.get(requestOptions)
        #expect(refusal {
            _ = try WebAuthnCeremony.verifyAssertion(
                clientDataJSON: part(answer, "clientDataJSON"), authenticatorData: part(answer, "authenticatorData"),
                signature: part(answer, "signature"), userHandle: Array("account-2".utf8), publicKey: key, backupEligible: false,
                expectedUserHandle: Array("account-1".utf8), expecting: expectation)
        } == .userHandleMismatch)
        // Another key's valid signature is not this key's.
        let other = TestPasskeyAuthenticator(origin: origin)
        _ = try other.create(creationOptions)
        #expect(refusal { _ = try assert(try other.get(requestOptions), key: key) } == .signatureInvalid)
    }

    @Test func malformedAuthenticatorDataIsAnErrorNeverACrash() throws {
        let authenticator = TestPasskeyAuthenticator(origin: origin)
        let answer = try authenticator.create(creationOptions)
        let object = try CBORDecoder.decode(part(answer, "attestationObject"))
        let authData = try #require(object["authData"]?.bytes)
        #expect(try WebAuthnAuthenticatorData(bytes: authData).attestedCredential?.credentialId == authenticator.credentialId)
        for length in [0, 36, 37, 50, 54, 55, authData.count - 1] {
            #expect(throws: WebAuthnError(.malformed)) { try WebAuthnAuthenticatorData(bytes: Array(authData.prefix(length))) }
        }
        #expect(throws: WebAuthnError(.malformed)) { try WebAuthnAuthenticatorData(bytes: authData + [0x00]) }
        var oversized = authData
        oversized[53] = 0x04  // credential id length 1040, over the 1023 WebAuthn allows
        oversized[54] = 0x10
        #expect(throws: WebAuthnError(.malformed)) { try WebAuthnAuthenticatorData(bytes: oversized) }
        #expect(throws: WebAuthnError(.malformed)) {
            try WebAuthnCeremony.verifyRegistration(clientDataJSON: Array("{}".utf8), attestationObject: [0xA0],
                                                    expecting: expectation)
        }
        #expect(throws: WebAuthnError(.malformed)) {
            try WebAuthnCeremony.verifyRegistration(clientDataJSON: part(answer, "clientDataJSON"), attestationObject: [0xBF],
                                                    expecting: expectation)
        }
    }
}
