import Hummingbird
import KeywardCore
import KeywardStorage
import Logging

/// Turns every error into an answer the client can act on: `application/problem+json` under
/// `/api`, a page with the catalogue's sentence elsewhere. Anything unexpected is logged (never
/// with request bodies) and answered `internal.error` — never a bare 500 page. A database that is
/// out of reach for the moment is answered `storage.unavailable` (503 with Retry-After).
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = KeywardRequestContext
    let pages: PageRenderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch is StaffSignInRequired {
            return Response.redirect(to: "/staff/sign-in", type: request.method == .get ? .normal : .found)
        } catch is SignInRequired {
            // A page that needs a session: sign in first (a form posted to it is not replayed).
            return Response.redirect(to: "/login", type: request.method == .get ? .normal : .found)
        } catch {
            var keywardError = KeywardError.from(error)
            if keywardError?.code == "request.too_large" {
                keywardError = .requestTooLarge(limit: context.bodyLimit)
            }
            if keywardError == nil, StorageFailure.isTransient(error) {
                context.logger.warning("database unavailable", metadata: [
                    "path": .string(Self.loggablePath(request.uri.path)), "error": .string(String(reflecting: error))])
                keywardError = .storageUnavailable(retryAfter: 2)
            }
            if keywardError == nil {
                context.logger.error("request failed", metadata: [
                    "path": .string(Self.loggablePath(request.uri.path)), "error": .string(String(reflecting: error))])
            }
            let resolved = keywardError ?? .internalError
            if request.uri.path.hasPrefix("/api/") || request.uri.path.hasSuffix(".json") {
                return ProblemResponse.make(resolved)
            }
            return pages.errorPage(resolved, signedIn: context.session != nil)
        }
    }

    /// `path` with the secret a link carries (a freeze link's or an enrolment link's token) left
    /// out, for log lines.
    static func loggablePath(_ path: String) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for index in parts.indices.dropLast() where ["freeze", "enroll", "enrollment"].contains(parts[index]) {
            parts[index + 1] = "…"
        }
        return parts.joined(separator: "/")
    }
}
