import HTTPTypes
import Hummingbird

/// Adds the security headers to every response, errors included: a CSP allowing no inline script
/// and no external resource, no framing, no MIME sniffing, a strict referrer policy, no caching
/// of anything personal and, in production, `Strict-Transport-Security`.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The `Strict-Transport-Security` value, or `nil` to send none (development, where Keyward
    /// is reached over plain HTTP).
    let strictTransportSecurity: String?

    /// Headers for `production` (HSTS for a year, with `includeSubDomains` when asked) or for
    /// development (no HSTS).
    init(production: Bool, hstsIncludesSubdomains: Bool) {
        strictTransportSecurity = production ? "max-age=31536000" + (hstsIncludesSubdomains ? "; includeSubDomains" : "") : nil
    }

    static var contentSecurityPolicy: String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        // A response that sandboxes itself (a person's document) keeps its stricter policy.
        if response.headers[.contentSecurityPolicy]?.hasPrefix("sandbox") != true {
            response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.crossOriginOpenerPolicy] = "same-origin"
        response.headers[.permissionsPolicy] = "camera=(), microphone=(), geolocation=(), payment=()"
        if let strictTransportSecurity {
            response.headers[.strictTransportSecurity] = strictTransportSecurity
        }
        if response.headers[.cacheControl] == nil {
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let crossOriginOpenerPolicy = Self("Cross-Origin-Opener-Policy")!
    static let permissionsPolicy = Self("Permissions-Policy")!
    static let strictTransportSecurity = Self("Strict-Transport-Security")!
}
