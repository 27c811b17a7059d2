import Hummingbird
import KeywardCore

/// Finds the session a request carries: `Authorization: Bearer` (apps, and every `/api` call) or
/// the `__Host-keyward_session` cookie (web pages only, where every form is CSRF-protected).
struct SessionMiddleware: RouterMiddleware {
    typealias Context = KeywardRequestContext
    static let cookieName = "__Host-keyward_session"
    let sessions: SessionService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let token = Self.token(in: request) {
            if let signedIn = try await sessions.authenticate(token: token) {
                context.session = signedIn.session
                context.identifiers = signedIn.identifiers
                context.sessionToken = token
            }
        }
        return try await next(request, context)
    }

    static func token(in request: Request) -> String? {
        token(in: request, cookie: cookieName)
    }

    /// A bearer token, or on pages (never under `/api/`) the value of the cookie named `cookie`.
    static func token(in request: Request, cookie: String) -> String? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]) }
            return nil
        }
        if request.uri.path.hasPrefix("/api/") { return nil }
        return request.cookies[cookie]?.value
    }
}
