import Foundation

/// The sentences shown for each error code: a short title and what happened plus what to do next.
///
/// Sentences may name `{parameters}`, filled from the error's details. One catalogue per language;
/// English is the fallback for any code another language lacks.
public struct MessageCatalogue: Sendable {
    /// A title and a sentence for one code.
    public struct Entry: Sendable {
        /// A few words naming the problem.
        public let title: String
        /// What happened and what to do next.
        public let detail: String
        /// The words of a link to the way out, for codes whose way out is a page of its own.
        public var action: String? = nil
    }

    /// The language tag of the catalogue, such as `en`.
    public let language: String
    private let entries: [String: Entry]

    /// The title for `code`, or a generic one for an unknown code.
    public func title(for code: String) -> String {
        entries[code]?.title ?? MessageCatalogue.english.entries[code]?.title ?? "Something went wrong"
    }

    /// The sentence for `code` with `{name}` placeholders filled from `parameters`.
    public func sentence(for code: String, parameters: [String: String] = [:]) -> String {
        var text = entries[code]?.detail ?? MessageCatalogue.english.entries[code]?.detail
            ?? "The request could not be completed. Try again, and contact support if it keeps happening."
        for (name, value) in parameters {
            text = text.replacingOccurrences(of: "{\(name)}", with: value)
        }
        return text
    }

    /// The words of the link to the way out of `code`, when it has one.
    public func action(for code: String) -> String? {
        entries[code]?.action ?? MessageCatalogue.english.entries[code]?.action
    }

    /// The sentence for `error`, filled from its details.
    public func sentence(for error: KeywardError) -> String {
        var parameters = error.details.mapValues(\.text)
        if let seconds = error.retryAfter { parameters["wait"] = Self.duration(seconds) }
        return sentence(for: error.code, parameters: parameters)
    }

    /// `seconds` as a person says it: seconds up to two minutes, then minutes, then hours (rounded up).
    static func duration(_ seconds: Int) -> String {
        func unit(_ value: Int, _ name: String) -> String { "\(value) \(name)\(value == 1 ? "" : "s")" }
        if seconds < 120 { return unit(seconds, "second") }
        if seconds < 7200 { return unit((seconds + 59) / 60, "minute") }
        return unit((seconds + 3599) / 3600, "hour")
    }

    /// Every code the catalogue knows, for tests that check each code has a sentence.
    public var codes: [String] { Array(entries.keys) }

    /// The English catalogue.
    public static let english = MessageCatalogue(language: "en", entries: [
        "identifier.invalid": Entry(
            title: "Not an email address or phone number",
            detail: "Enter the email address or the phone number in international format (for example +44 7700 900123) that you use for your account."),
        "identifier.taken": Entry(
            title: "Already registered",
            detail: "An account with this email or phone number already exists. Sign in instead, or use \u{201C}Forgot password?\u{201D} if you cannot remember the password."),
        "account.not_found": Entry(
            title: "Account does not exist",
            detail: "Account does not exist \u{2014} check which email or phone you registered with, and that you are on the real site."),
        "account.registration_incomplete": Entry(
            title: "Registration not finished",
            detail: "This account was registered but never verified. Register again with the same email or phone number to get a new code, then enter it to finish."),
        "credentials.invalid": Entry(
            title: "Wrong sign-in details",
            detail: "The email or phone number and password do not match. Check both and try again, or use \u{201C}Forgot password?\u{201D}."),
        "registration.not_found": Entry(
            title: "Registration not found",
            detail: "This registration does not exist. Start the registration again."),
        "registration.completed": Entry(
            title: "Already verified",
            detail: "This registration is already complete. Sign in with your email or phone number and password."),
        "registration.expired": Entry(
            title: "Registration expired",
            detail: "This registration took too long and has expired. Register again to get a new code."),
        "code.invalid": Entry(
            title: "Wrong code",
            detail: "That code is not correct. Check the latest message and try again. Tries left for this code: {attemptsRemaining}."),
        "code.expired": Entry(
            title: "Code expired",
            detail: "This code has expired. Ask for a new code and enter the newest one you receive."),
        "code.exhausted": Entry(
            title: "Too many wrong codes",
            detail: "This code was entered wrongly too many times and no longer works. Ask for a new code."),
        "code.resend_too_soon": Entry(
            title: "Please wait before asking again",
            detail: "A code was sent moments ago; messages can take a few minutes to arrive. Check your spam folder, and ask again in {wait}."),
        "session.required": Entry(
            title: "Sign-in required",
            detail: "You are not signed in, or your session has ended. Sign in again."),
        "session.not_found": Entry(
            title: "Session not found",
            detail: "That session does not exist or has already ended. Refresh the list of your sessions."),
        "request.malformed": Entry(
            title: "Malformed request",
            detail: "The request body is not valid JSON of the expected shape, or names a member twice. Check the API documentation at /api/openapi.yaml."),
        "notice.code_resent": Entry(
            title: "Code sent",
            detail: "A new code is on its way."),
        "notice.code_already_sent": Entry(
            title: "Code already sent",
            detail: "A code was already sent to you moments ago: enter it below, or ask for a new one when the countdown ends."),
        "request.unsupported_media_type": Entry(
            title: "Unsupported media type",
            detail: "This address takes a JSON body only. Send it with the header Content-Type: application/json."),
        "request.invalid_field": Entry(
            title: "Missing or invalid field",
            detail: "The field \u{201C}{field}\u{201D} is missing or has the wrong type. Check the API documentation at /api/openapi.yaml."),
        "request.too_large": Entry(
            title: "Request too large",
            detail: "The request body is larger than {limitBytes} bytes. Send a smaller body."),
        "route.not_found": Entry(
            title: "Page not found",
            detail: "There is nothing at this address. Check the address, or start again from the sign-in page."),
        "method.not_allowed": Entry(
            title: "Method not allowed",
            detail: "This address does not accept that kind of request."),
        "csrf.invalid": Entry(
            title: "Form expired",
            detail: "This form could not be verified as coming from this site. Reload the page and submit it again."),
        "cookies.disabled": Entry(
            title: "Cookies are disabled",
            detail: "Your browser did not send back the cookie this site needs to keep you signed in. Enable cookies for this site (or leave private mode restrictions), reload the page, and try again."),
        "operator.unauthorized": Entry(
            title: "Operator key required",
            detail: "This endpoint needs a valid operator API key in the Authorization header."),
        "server.busy": Entry(
            title: "Busy, try again shortly",
            detail: "The server is handling many sign-ins right now. Try again in {wait}."),
        "storage.unavailable": Entry(
            title: "Temporarily unavailable",
            detail: "The service cannot reach its database for a moment. Try again in {wait}; if this keeps happening, contact support."),
        "password.invalid": Entry(
            title: "Password does not meet the rules",
            detail: "Choose a password that meets every rule listed."),
        "password.too_short": Entry(
            title: "Password too short",
            detail: "Use at least {minimum} characters."),
        "password.too_long": Entry(
            title: "Password too long",
            detail: "Use at most {maximum} characters."),
        "password.needs_uppercase": Entry(
            title: "Uppercase letter needed",
            detail: "Include at least one uppercase letter (A\u{2013}Z)."),
        "password.needs_lowercase": Entry(
            title: "Lowercase letter needed",
            detail: "Include at least one lowercase letter (a\u{2013}z)."),
        "password.needs_digit": Entry(
            title: "Digit needed",
            detail: "Include at least one digit (0\u{2013}9)."),
        "password.common": Entry(
            title: "Password too common",
            detail: "This password is on a list of commonly used passwords that attackers try first. Choose another."),
        "password.contains_identifier": Entry(
            title: "Password contains your username",
            detail: "Do not include your email name or phone number in the password."),
        "account.locked": Entry(
            title: "Account temporarily locked",
            detail: "Your account is locked after several wrong passwords or codes. Wait until {lockedUntil} (UTC) and do not retry meanwhile: every attempt extends the lock. If it was not you, reset your password now with \u{201C}Forgot password?\u{201D}; that lifts the lock at once."),
        "rate_limited": Entry(
            title: "Too many attempts",
            detail: "There were too many requests in a short time. Wait {wait} before trying again."),
        "recovery.locked": Entry(
            title: "Recovery paused",
            detail: "Too many wrong codes were entered for this account, so password recovery is paused until {lockedUntil} (UTC). Wait, then ask for a new code; if you did not ask for one, someone may be targeting your account."),
        "recovery.not_found": Entry(
            title: "Recovery not found",
            detail: "This password recovery does not exist. Start again from \u{201C}Forgot password?\u{201D}."),
        "recovery.expired": Entry(
            title: "Recovery expired",
            detail: "This password recovery took too long and has expired. Start again from \u{201C}Forgot password?\u{201D}."),
        "recovery.not_verified": Entry(
            title: "Code needed first",
            detail: "Enter the code we sent you before choosing a new password."),
        "recovery.already_verified": Entry(
            title: "Code already accepted",
            detail: "The code for this recovery was already accepted. Choose your new password."),
        "recovery.completed": Entry(
            title: "Password already reset",
            detail: "This recovery is finished and the password was changed. Sign in with the new password."),
        "password.reused": Entry(
            title: "Choose a different password",
            detail: "The new password is the same as the current one. Choose a password you have not used here."),
        "internal.error": Entry(
            title: "Something went wrong",
            detail: "The request failed on our side and nothing was changed. Try again in a moment."),
    ].merging(englishSecurity) { first, _ in first }.merging(englishPasskeys) { first, _ in first }
        .merging(englishSupport) { first, _ in first }.merging(englishRestrictions) { first, _ in first }
        .merging(englishSignInHelp) { first, _ in first })
}
