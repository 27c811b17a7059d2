import Foundation

/// The passkey settings: the RP ID and the origins ceremonies may come from.
public struct WebAuthnOptions: Sendable, Equatable {
    /// The RP ID; `nil` for the host of `server.publicURL`.
    public var rpID: String?
    /// Origins accepted besides `server.publicURL`'s (apps, other front ends on the same RP ID).
    public var origins: [String] = []
}

extension KeywardConfig {
    /// The RP ID and accepted origins in force. Throws a ``StartupError`` when the RP ID is not
    /// the host of `server.publicURL` or a domain it belongs to, or an origin is not
    /// `scheme://host[:port]`: browsers would refuse every ceremony.
    public func relyingParty() throws -> (id: String, origins: [String]) {
        guard let publicOrigin = Self.origin(of: effectivePublicURL), let host = URL(string: effectivePublicURL)?.host else {
            throw StartupError("server.publicURL: \(effectivePublicURL) is not an http or https URL")
        }
        let id = (webAuthn.rpID ?? host).lowercased()
        guard !id.isEmpty, host.lowercased() == id || host.lowercased().hasSuffix("." + id) else {
            throw StartupError("webauthn.rpID: \(id) is neither the host of server.publicURL (\(host)) nor a domain it belongs to")
        }
        var origins = [publicOrigin]
        for origin in webAuthn.origins {
            guard Self.origin(of: origin) == origin else {
                throw StartupError("webauthn.origins: \(origin) is not an origin such as https://app.example.com (scheme, host and port only)")
            }
            if !origins.contains(origin) { origins.append(origin) }
        }
        return (id, origins)
    }

    /// `scheme://host[:port]` of `url`, leaving out the scheme's default port, as browsers write
    /// an origin in client data.
    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        let defaultPort = scheme == "https" ? 443 : 80
        if let port = components.port, port != defaultPort { return "\(scheme)://\(host):\(port)" }
        return "\(scheme)://\(host)"
    }
}
