public import Foundation

/// A failure the caller can act on: a stable `code`, the HTTP status that carries it, and details.
///
/// The API renders it as RFC 9457 `application/problem+json`; pages render the catalogue's
/// sentence for `code`. Codes never change meaning once published.
public struct KeywardError: Error, Sendable, Equatable {
    /// A stable dotted code such as `account.locked`.
    public let code: String
    /// The HTTP status this error is answered with.
    public let status: Int
    /// Values the sentence and the client may use (`retryAfter`, `attemptsRemaining`, …).
    public var details: [String: ErrorDetail]
    /// Individual problems when several are reported at once (each password rule that failed).
    public var violations: [Violation]

    /// An error with `code` and `status`.
    public init(code: String, status: Int, details: [String: ErrorDetail] = [:], violations: [Violation] = []) {
        self.code = code
        self.status = status
        self.details = details
        self.violations = violations
    }

    /// Seconds after which a retry may succeed, when the error says so.
    public var retryAfter: Int? {
        if case .int(let seconds)? = details["retryAfter"] { return seconds }
        return nil
    }

    /// One of several problems reported together.
    public struct Violation: Sendable, Equatable, Encodable {
        /// A stable code such as `password.too_short`.
        public let code: String
        /// The catalogue's sentence for `code`.
        public let detail: String

        /// A violation with the catalogue's sentence for `code`.
        public init(code: String, parameters: [String: String] = [:]) {
            self.code = code
            self.detail = MessageCatalogue.english.sentence(for: code, parameters: parameters)
        }
    }
}

/// A value carried in ``KeywardError/details``.
public enum ErrorDetail: Sendable, Equatable, Encodable {
    case int(Int)
    case string(String)
    case date(Date)

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .date(let value): try container.encode(ISO8601.string(value))
        }
    }

    /// The value as text for a sentence.
    public var text: String {
        switch self {
        case .int(let value): return String(value)
        case .string(let value): return value
        case .date(let value): return ISO8601.string(value)
        }
    }
}

/// ISO 8601 timestamps in UTC with whole seconds, as every API field carries them.
///
/// Written out by hand from the day count (the proleptic Gregorian calendar, as in Howard
/// Hinnant's `civil_from_days`): Foundation's format style costs more than the rest of a session
/// check together.
public enum ISO8601 {
    /// `date` as `2026-11-27T20:41:22Z`, fractions of a second dropped.
    public static func string(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let inDay = Int(seconds - days * 86400)
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        let year = Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))
        var text = ""
        text.reserveCapacity(20)
        func append(_ value: Int, width: Int) {
            let digits = String(value)
            if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
            text += digits
        }
        append(year, width: 4)
        text += "-"
        append(month, width: 2)
        text += "-"
        append(day, width: 2)
        text += "T"
        append(inDay / 3600, width: 2)
        text += ":"
        append(inDay / 60 % 60, width: 2)
        text += ":"
        append(inDay % 60, width: 2)
        text += "Z"
        return text
    }
}

extension KeywardError {
    /// The identifier is neither an email address nor an E.164 phone number.
    public static let identifierInvalid = KeywardError(code: "identifier.invalid", status: 422)
    /// An active account already uses the identifier.
    public static let identifierTaken = KeywardError(code: "identifier.taken", status: 409)
    /// No account has the identifier.
    public static let accountNotFound = KeywardError(code: "account.not_found", status: 404)
    /// The account was registered but its code was never entered.
    public static let registrationIncomplete = KeywardError(code: "account.registration_incomplete", status: 409)
    /// The identifier and password do not match an account.
    public static let credentialsInvalid = KeywardError(code: "credentials.invalid", status: 401)
    /// No registration with that id.
    public static let registrationNotFound = KeywardError(code: "registration.not_found", status: 404)
    /// The registration has already been completed.
    public static let registrationCompleted = KeywardError(code: "registration.completed", status: 409)
    /// The registration flow ran out of time.
    public static let registrationExpired = KeywardError(code: "registration.expired", status: 410)
    /// The code has passed its expiry.
    public static let codeExpired = KeywardError(code: "code.expired", status: 410)
    /// Too many wrong entries: the code no longer works.
    public static let codeExhausted = KeywardError(code: "code.exhausted", status: 410)
    /// The request carried no valid session.
    public static let sessionRequired = KeywardError(code: "session.required", status: 401)
    /// No session of this account has that id.
    public static let sessionNotFound = KeywardError(code: "session.not_found", status: 404)
    /// The body is not valid JSON or not the expected shape, or an object in it names a key twice
    /// (which parsers read differently).
    public static let requestMalformed = KeywardError(code: "request.malformed", status: 400)
    /// The body was not sent as `application/json`.
    public static let requestUnsupportedMediaType = KeywardError(code: "request.unsupported_media_type", status: 415)
    /// No such route.
    public static let routeNotFound = KeywardError(code: "route.not_found", status: 404)
    /// A web form arrived without a valid anti-forgery token.
    public static let csrfInvalid = KeywardError(code: "csrf.invalid", status: 403)
    /// The operator credentials are missing or wrong.
    public static let operatorUnauthorized = KeywardError(code: "operator.unauthorized", status: 401)
    /// Something unexpected failed; nothing was changed.
    public static let internalError = KeywardError(code: "internal.error", status: 500)

    /// The code entered was wrong; `remaining` tries are left.
    public static func codeInvalid(attemptsRemaining remaining: Int) -> KeywardError {
        KeywardError(code: "code.invalid", status: 422, details: ["attemptsRemaining": .int(remaining)])
    }

    /// A new code was asked for too soon after the last one.
    public static func resendTooSoon(retryAfter seconds: Int, availableAt: Date) -> KeywardError {
        KeywardError(code: "code.resend_too_soon", status: 429,
                     details: ["retryAfter": .int(seconds), "resendAvailableAt": .date(availableAt)])
    }

    /// The body is larger than the configured limit.
    public static func requestTooLarge(limit: Int) -> KeywardError {
        KeywardError(code: "request.too_large", status: 413, details: ["limitBytes": .int(limit)])
    }

    /// A field is missing or has the wrong type.
    public static func requestInvalidField(_ field: String) -> KeywardError {
        KeywardError(code: "request.invalid_field", status: 400, details: ["field": .string(field)])
    }

    /// The password-hashing queue is full; retry after `seconds`.
    public static func serverBusy(retryAfter seconds: Int) -> KeywardError {
        KeywardError(code: "server.busy", status: 503, details: ["retryAfter": .int(seconds)])
    }

    /// The database is out of reach or too busy for the moment. Retry after `seconds`.
    public static func storageUnavailable(retryAfter seconds: Int) -> KeywardError {
        KeywardError(code: "storage.unavailable", status: 503, details: ["retryAfter": .int(seconds)])
    }

    /// Wrong passwords locked the account until `until`; every attempt meanwhile extends the lock.
    public static func accountLocked(until: Date, now: Date) -> KeywardError {
        KeywardError(code: "account.locked", status: 423,
                     details: ["lockedUntil": .date(until),
                               "retryAfter": .int(max(1, Int(until.timeIntervalSince(now).rounded(.up))))])
    }

    /// Too many wrong recovery codes: recovery is paused until `until`.
    public static func recoveryLocked(until: Date, now: Date) -> KeywardError {
        KeywardError(code: "recovery.locked", status: 423,
                     details: ["lockedUntil": .date(until),
                               "retryAfter": .int(max(1, Int(until.timeIntervalSince(now).rounded(.up))))])
    }

    /// The account is restricted by risk control or an operator; sign-in waits for support's review.
    public static func accountRestricted(reason: AccountRestriction.Reason) -> KeywardError {
        KeywardError(code: "account.restricted", status: 403, details: ["reason": .string(reason.rawValue)])
    }

    /// The account's owner froze it; only support unfreezes it.
    public static let accountFrozen = KeywardError(code: "account.frozen", status: 403)

    /// The freeze link is unknown, used already or expired.
    public static let freezeLinkInvalid = KeywardError(code: "freeze.link_invalid", status: 410)

    /// The account has no restriction of that kind in force.
    public static let restrictionNotFound = KeywardError(code: "restriction.not_found", status: 404)

    /// A rate limit was exceeded; retry after `seconds`.
    public static func rateLimited(retryAfter seconds: Int) -> KeywardError {
        KeywardError(code: "rate_limited", status: 429, details: ["retryAfter": .int(seconds)])
    }

    /// No recovery with that id.
    public static let recoveryNotFound = KeywardError(code: "recovery.not_found", status: 404)
    /// The recovery ran out of time.
    public static let recoveryExpired = KeywardError(code: "recovery.expired", status: 410)
    /// The recovery's code has not been entered yet.
    public static let recoveryNotVerified = KeywardError(code: "recovery.not_verified", status: 409)
    /// The code was already entered for this recovery.
    public static let recoveryAlreadyVerified = KeywardError(code: "recovery.already_verified", status: 409)
    /// The recovery is finished.
    public static let recoveryCompleted = KeywardError(code: "recovery.completed", status: 409)
    /// The new password is the current one.
    public static let passwordReused = KeywardError(code: "password.reused", status: 422)

    /// The password breaks one or more rules of the policy.
    public static func passwordRejected(_ violations: [Violation]) -> KeywardError {
        KeywardError(code: "password.invalid", status: 422, violations: violations)
    }
}
