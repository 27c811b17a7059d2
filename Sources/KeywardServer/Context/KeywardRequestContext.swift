public import Hummingbird
import KeywardCore
public import NIOCore

/// The context of every request: the peer's socket address, the origin believed after proxy rules,
/// and the session, when the request carries a valid one.
public struct KeywardRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer.
    public let remoteAddress: SocketAddress?
    /// Client IP and user agent, set by ``ClientOriginMiddleware``.
    var origin = RequestOrigin(ip: nil, userAgent: nil)
    /// The signed-in session, set by ``SessionMiddleware``.
    var session: Session?
    /// The signed-in account's email addresses and phone numbers, read with the session.
    var identifiers: [AccountIdentifier] = []
    /// The raw token the session was found by.
    var sessionToken: String?
    /// The largest body a handler reads.
    var bodyLimit = 65536

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    public var maxUploadSize: Int { bodyLimit }
}

/// The context of routes that need a signed-in person; built only when the request has a live
/// session, otherwise the request fails with `session.required`.
struct AuthenticatedContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let session: Session
    /// The account's email addresses and phone numbers, read with the session.
    let identifiers: [AccountIdentifier]
    let origin: RequestOrigin
    let bodyLimit: Int

    init(context: KeywardRequestContext) throws {
        guard let session = context.session else { throw KeywardError.sessionRequired }
        coreContext = context.coreContext
        self.session = session
        identifiers = context.identifiers
        origin = context.origin
        bodyLimit = context.bodyLimit
    }

    var maxUploadSize: Int { bodyLimit }
}
