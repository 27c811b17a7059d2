/// Where a request came from, recorded with every security event.
public struct RequestOrigin: Sendable, Equatable {
    /// The client IP address, taken from the socket or from a trusted proxy's header.
    public var ip: String?
    /// The `User-Agent` header, truncated to a sane length.
    public var userAgent: String?
    /// The network the address belongs to, as a CIDR prefix (`/24` for IPv4, `/48` for IPv6):
    /// the unit in which sign-in places are recognised, so that a new address from the same
    /// provider's block is not a new place.
    public var network: String?
    /// The ISO 3166-1 alpha-2 country a trusted proxy placed the client in, when one does.
    public var country: String?
    /// The address is loopback, private or link-local: the server's own side of the network,
    /// usually a proxy not configured as trusted, behind which every client looks alike.
    public var internalAddress: Bool

    /// An origin with the given address, agent, network and country.
    public init(ip: String?, userAgent: String?, network: String? = nil, country: String? = nil,
                internalAddress: Bool = false) {
        self.ip = ip
        self.userAgent = userAgent.map { String($0.prefix(512)) }
        self.network = network
        self.country = country
        self.internalAddress = internalAddress
    }
}
