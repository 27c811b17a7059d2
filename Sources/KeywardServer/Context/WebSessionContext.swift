import Hummingbird
import KeywardCore

/// What pages need of a request context: whether the browser is signed in, for the header.
protocol PageContext {
    /// Whether a session came with the request.
    var isSignedIn: Bool { get }
}

extension KeywardRequestContext: PageContext {
    var isSignedIn: Bool { session != nil }
}

/// The context of a page route that needs a signed-in browser: the session is always there. A
/// request without one never reaches the handler: ``ErrorMiddleware`` sends the browser to sign in.
struct WebSessionContext: ChildRequestContext, PageContext {
    var coreContext: CoreRequestContextStorage
    /// The browser's session.
    let session: Session
    /// Where the request came from.
    let origin: RequestOrigin
    /// The largest body the route reads.
    let bodyLimit: Int

    /// The signed-in context of `context`; throws ``SignInRequired`` without a session.
    init(context: KeywardRequestContext) throws {
        guard let session = context.session else { throw SignInRequired() }
        coreContext = context.coreContext
        self.session = session
        origin = context.origin
        bodyLimit = context.bodyLimit
    }

    var isSignedIn: Bool { true }
    var maxUploadSize: Int { bodyLimit }
}

/// A page route was asked for without a session; the browser is sent to the sign-in page.
struct SignInRequired: Error {}

/// The context of a staff console page: a live staff session is always there. A request without
/// one never reaches the handler: ``ErrorMiddleware`` sends the browser to the staff sign-in.
struct StaffWebContext: ChildRequestContext, PageContext {
    var coreContext: CoreRequestContextStorage
    /// The signed-in member of staff.
    let member: StaffMember
    /// Their session.
    let session: StaffSession
    /// Where the request came from.
    let origin: RequestOrigin
    /// The largest body the route reads.
    let bodyLimit: Int

    /// The staff context of `context`; throws ``StaffSignInRequired`` without a staff session.
    init(context: KeywardRequestContext) throws {
        guard let staff = context.staff else { throw StaffSignInRequired() }
        coreContext = context.coreContext
        member = staff.member
        session = staff.session
        origin = context.origin
        bodyLimit = context.bodyLimit
    }

    /// Staff pages show their own header; the customer's signed-in links never appear on them.
    var isSignedIn: Bool { false }
    var maxUploadSize: Int { bodyLimit }
}

/// A staff console page was asked for without a staff session; the browser is sent to sign in.
struct StaffSignInRequired: Error {}
