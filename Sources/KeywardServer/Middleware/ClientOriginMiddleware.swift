import HTTPTypes
import Foundation
import Hummingbird
import KeywardCore

/// Works out the client IP: the socket peer, or, when the peer is a configured trusted proxy, the
/// right-most address in `X-Forwarded-For` that is not itself a trusted proxy.
struct ClientOriginMiddleware: RouterMiddleware {
    typealias Context = KeywardRequestContext
    let trustedProxies: [IPRange]
    let bodyLimit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.origin = RequestOrigin(ip: clientIP(request: request, peer: context.remoteAddress?.ipAddress),
                                       userAgent: request.headers[.userAgent])
        context.bodyLimit = bodyLimit
        return try await next(request, context)
    }

    func clientIP(request: Request, peer: String?) -> String? {
        guard let peer, isTrusted(peer) else { return peer }
        let forwarded = request.headers[values: .xForwardedFor]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        for candidate in forwarded.reversed() {
            guard IPRange.bytes(of: candidate) != nil else { return peer }
            if !isTrusted(candidate) { return candidate }
        }
        return peer
    }

    private func isTrusted(_ address: String) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
