import Hummingbird
import KeywardCore

extension PageRenderer {
    /// A page holding forms: a CSRF token for them (setting the CSRF cookie when the browser has
    /// none yet) and, when given, `error` shown inline with its status and `Retry-After`.
    func form(_ template: String, _ title: String, request: Request, context: KeywardRequestContext, csrf: CSRFGuard,
              values: [String: Any], error: KeywardError? = nil) -> Response {
        let (token, cookie) = csrf.token(for: request)
        var object = values
        object["csrf"] = token
        if let error { object.merge(errorValues(error)) { $1 } }
        var response = page(template, title: title, values: object, signedIn: context.session != nil,
                            status: error.map { .init(code: $0.status) } ?? .ok)
        if let retryAfter = error?.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        if let cookie { response.setCookie(cookie) }
        return response
    }
}
