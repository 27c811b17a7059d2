import Foundation
import HTTPTypes
import KeywardCrypto
import KeywardTestSupport

extension TestAPI {
    /// The authenticator code for a base32 `secret` (as shown, with spaces) at `date`.
    static func totp(_ secret: String, at date: Date) -> String {
        OneTimePassword(secret: Base32.decode(secret.replacingOccurrences(of: " ", with: "")) ?? []).code(at: date)
    }

    /// Re-authenticates the session: password, then the first code method offered (or `totpSecret`'s
    /// code when given). Returns the verify reply.
    func reauthenticate(token: String, password: String = "Tr4velling-Lynx", destination: String,
                        totpSecret: String? = nil) async throws -> Reply {
        let start = try await call(.post, "/api/v1/account/reauth", json: ["password": password], token: token)
        guard start.status == 200, let flowId = start["flowId"] as? String, let methods = start["methods"] as? [String] else {
            return start
        }
        if let totpSecret {
            return try await call(.post, "/api/v1/account/reauth/\(flowId)/verify",
                                  json: ["method": "totp", "code": Self.totp(totpSecret, at: clock.now())], token: token)
        }
        let method = methods.first { $0 != "totp" } ?? "email_code"
        let known = try await knownCodes(to: destination)
        let sent = try await sendCode(flowId: flowId, path: "account/reauth", channel: method == "sms_code" ? "sms" : "email",
                                      token: token)
        guard sent.status == 202 else { return sent }
        let code = try await newestCode(for: destination, excluding: known)
        return try await call(.post, "/api/v1/account/reauth/\(flowId)/verify", json: ["method": method, "code": code],
                              token: token)
    }

    /// Binds an authenticator to the (freshly re-authenticated) session's account and returns its
    /// secret as shown; the clock then moves to the next time step so the confirming code is spent.
    func bindAuthenticator(token: String) async throws -> String {
        let enrolment = try await call(.post, "/api/v1/account/totp", token: token)
        guard enrolment.status == 201, let secret = enrolment["secret"] as? String else {
            throw TestFailure("enrolment failed: \(enrolment.status) \(enrolment.text)")
        }
        let confirmed = try await call(.post, "/api/v1/account/totp/confirm",
                                       json: ["code": Self.totp(secret, at: clock.now())], token: token)
        guard confirmed.status == 200 else { throw TestFailure("confirmation failed: \(confirmed.status) \(confirmed.text)") }
        clock.advance(by: 30)
        return secret
    }
}
