import Foundation
import Hummingbird
import KeywardCore

extension PageRenderer {
    /// A page holding forms: a CSRF token for them (setting the CSRF cookie when the browser has
    /// none yet) and, when given, `error` shown inline with its status and `Retry-After`.
    func form(_ template: String, _ title: String, request: Request, context: some PageContext, csrf: CSRFGuard,
              values: [String: Any], error: KeywardError? = nil) -> Response {
        let (token, cookie) = csrf.token(for: request)
        var object = values
        object["csrf"] = token
        if let error { object.merge(errorValues(error)) { $1 } }
        var response = page(template, title: title, values: object, signedIn: context.isSignedIn,
                            status: error.map { .init(code: $0.status) } ?? .ok)
        if let retryAfter = error?.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        if let cookie { response.setCookie(cookie) }
        return response
    }
}

/// The values a code page's resend button and countdown need: seconds until another code may be
/// asked for, taken from the flow, or from a refusal (`code.resend_too_soon`, `rate_limited`) when
/// that says to wait longer.
func resendCountdown(availableAt: Date, error: KeywardError?, now: Date) -> [String: Any] {
    var until = availableAt
    if case .date(let date)? = error?.details["resendAvailableAt"] { until = max(until, date) }
    if error?.code == "rate_limited", let retry = error?.retryAfter {
        until = max(until, now.addingTimeInterval(TimeInterval(retry)))
    }
    let wait = max(0, Int(until.timeIntervalSince(now).rounded(.up)))
    return ["resendWait": wait, "resendReady": wait == 0]
}
