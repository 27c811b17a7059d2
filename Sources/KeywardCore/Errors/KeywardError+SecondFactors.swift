import Foundation

extension KeywardError {
    /// The method is not one of `email_code`, `sms_code`, `totp`.
    public static let secondFactorMethodInvalid = KeywardError(code: "second_factor.method_invalid", status: 422)
    /// The method exists but is not one this step accepts (for example a code when the account's
    /// authenticator is required).
    public static let secondFactorMethodUnavailable = KeywardError(code: "second_factor.method_unavailable", status: 422)
    /// The account has no second factor it can use.
    public static let secondFactorUnavailable = KeywardError(code: "second_factor.unavailable", status: 409)
    /// No code was sent for this method in this flow yet.
    public static let secondFactorCodeNotSent = KeywardError(code: "second_factor.code_not_sent", status: 409)
    /// The sign-in's second factor was accepted already; it waits for the device's approval code.
    public static let deviceApprovalPending = KeywardError(code: "device_approval.pending", status: 409)
    /// The sign-in still waits for its second factor; there is no device approval to enter yet.
    public static let deviceApprovalNotPending = KeywardError(code: "device_approval.not_pending", status: 409)
    /// The authenticator code is wrong or outside the accepted time window.
    public static let totpInvalid = KeywardError(code: "totp.invalid", status: 422)
    /// The authenticator code was already used.
    public static let totpReused = KeywardError(code: "totp.reused", status: 422)
    /// The authenticator code was the app's code for a time `seconds` away from now (positive when
    /// the phone's clock is ahead): refused and counted, and the phone's clock needs setting.
    public static func totpClockSkew(seconds: Int) -> KeywardError {
        let minutes = max(1, (abs(seconds) + 59) / 60)
        return KeywardError(code: "totp.clock_skew", status: 422, details: [
            "driftMinutes": .int(seconds < 0 ? -minutes : minutes),
            "drift": .string("\(minutes) minute\(minutes == 1 ? "" : "s") \(seconds < 0 ? "behind" : "ahead")"),
        ])
    }
    /// No flow with that id (or not one of this account).
    public static let flowNotFound = KeywardError(code: "flow.not_found", status: 404)
    /// The flow ran out of time.
    public static let flowExpired = KeywardError(code: "flow.expired", status: 410)
    /// The flow is already finished.
    public static let flowCompleted = KeywardError(code: "flow.completed", status: 409)
    /// A sensitive change needs password and second factor again.
    public static let reauthRequired = KeywardError(code: "reauth.required", status: 403)
    /// The current password given with a change is wrong.
    public static let passwordIncorrect = KeywardError(code: "password.incorrect", status: 422)
    /// No authenticator enrolment is waiting for its first code.
    public static let authenticatorNotPending = KeywardError(code: "authenticator.not_pending", status: 409)
    /// The account has no authenticator to remove.
    public static let authenticatorNotBound = KeywardError(code: "authenticator.not_bound", status: 404)
    /// The anti-phishing code breaks its rules.
    public static let antiPhishingCodeInvalid = KeywardError(code: "anti_phishing_code.invalid", status: 422)
    /// The recovery's code was right, but the account's second factor must be checked before a new password.
    public static let recoverySecondFactorRequired = KeywardError(code: "recovery.second_factor_required", status: 409)
    /// The new phone number or email address is the one already bound.
    public static let contactUnchanged = KeywardError(code: "contact.unchanged", status: 409)
    /// The identifier given is of the other kind (an email address for the phone number, or the reverse).
    public static let contactKindMismatch = KeywardError(code: "contact.kind_mismatch", status: 422)
    /// The old phone number or email address still works, so its code is needed too.
    public static let contactOldCodeRequired = KeywardError(code: "contact.old_code_required", status: 422)
    /// A code the change needs was not entered.
    public static func contactCodeRequired(_ field: String) -> KeywardError {
        KeywardError(code: "contact.code_required", status: 422, details: ["field": .string(field)])
    }
    /// The recovery code is not one of the account's unused codes (wrong, or used before).
    public static let recoveryCodeInvalid = KeywardError(code: "recovery_code.invalid", status: 422)
    /// The account has no way left to prove the change (no other factor); support must help.
    public static let contactChangeNeedsSupport = KeywardError(code: "contact.support_required", status: 409)
}

extension KeywardError {
    /// Whether the error says a proof was entered and was wrong: a wrong, expired or used-up
    /// one-time code, a wrong password, a wrong or replayed authenticator code, a wrong recovery code, or a passkey
    /// assertion that does not hold (unknown passkey, wrong challenge, origin or RP, no user
    /// verification, bad signature, a counter gone backwards). This is the one place that
    /// decides what counts as a guess toward a lock or a recovery pause; any other error (no code
    /// sent yet, a method not offered, the database out of reach) gives the guess back.
    public var isWrongGuess: Bool { Self.wrongGuessCodes.contains(code) }

    private static let wrongGuessCodes: Set<String> = [
        KeywardError.codeInvalid(attemptsRemaining: 0).code, KeywardError.codeExpired.code, KeywardError.codeExhausted.code,
        KeywardError.totpInvalid.code, KeywardError.totpReused.code, KeywardError.totpClockSkew(seconds: 0).code,
        KeywardError.recoveryCodeInvalid.code,
        KeywardError.passwordIncorrect.code, KeywardError.passkeyUnknown.code, KeywardError.passkeyChallengeMismatch.code, KeywardError.passkeyOriginMismatch.code,
        KeywardError.passkeyRPIDMismatch.code, KeywardError.passkeyUserVerificationRequired.code,
        KeywardError.passkeySignatureInvalid.code, KeywardError.passkeySignCountRegressed.code,
    ]
}
