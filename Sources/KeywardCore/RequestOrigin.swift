/// Where a request came from, recorded with every security event.
public struct RequestOrigin: Sendable, Equatable {
    /// The client IP address, taken from the socket or from a trusted proxy's header.
    public var ip: String?
    /// The `User-Agent` header, truncated to a sane length.
    public var userAgent: String?

    /// An origin with the given address and agent.
    public init(ip: String?, userAgent: String?) {
        self.ip = ip
        self.userAgent = userAgent.map { String($0.prefix(512)) }
    }
}
