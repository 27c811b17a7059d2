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
    /// The signed-in member of staff, on staff routes only, set by ``StaffSessionMiddleware``.
    var staff: (member: StaffMember, session: StaffSession)?

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

/// The context of routes for signed-in support staff; built only when the request carries a live
/// staff session, otherwise the request fails with `staff.session_required`. No customer session
/// ever builds it.
struct StaffContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let member: StaffMember
    let session: StaffSession
    let origin: RequestOrigin
    let bodyLimit: Int

    init(context: KeywardRequestContext) throws {
        guard let staff = context.staff else { throw KeywardError.staffSessionRequired }
        coreContext = context.coreContext
        member = staff.member
        session = staff.session
        origin = context.origin
        bodyLimit = context.bodyLimit
    }

    var maxUploadSize: Int { bodyLimit }
}
