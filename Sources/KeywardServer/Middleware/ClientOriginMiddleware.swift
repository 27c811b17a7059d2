import HTTPTypes
import Foundation
import Hummingbird
import KeywardCore

/// Works out where a request came from: the client IP (the socket peer, or, when the peer is a
/// configured trusted proxy, the right-most address in `X-Forwarded-For` that is not itself a
/// trusted proxy), its network prefix, and the country a trusted proxy names in `countryHeader`.
struct ClientOriginMiddleware: RouterMiddleware {
    typealias Context = KeywardRequestContext
    let trustedProxies: [IPRange]
    /// The header a trusted proxy puts the client's ISO 3166-1 country code in, if any.
    let countryHeader: HTTPField.Name?
    let bodyLimit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let peer = context.remoteAddress?.ipAddress
        let ip = clientIP(request: request, peer: peer)
        context.origin = RequestOrigin(ip: ip, userAgent: request.headers[.userAgent],
                                       network: ip.flatMap(IPRange.networkPrefix(of:)),
                                       country: country(request: request, peer: peer),
                                       internalAddress: ip.map(IPRange.isInternal) ?? false)
        context.bodyLimit = bodyLimit
        return try await next(request, context)
    }

    /// The country the trusted proxy in front named: two letters A–Z, other than the `XX` and
    /// `T1` some proxies use for "unknown" and "Tor". Never read from an untrusted peer.
    func country(request: Request, peer: String?) -> String? {
        guard let countryHeader, let peer, isTrusted(peer),
              let value = request.headers[countryHeader]?.trimmingCharacters(in: .whitespaces).uppercased(),
              value.utf8.count == 2, value.utf8.allSatisfy({ (65...90).contains($0) }), value != "XX"
        else { return nil }
        return value
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
