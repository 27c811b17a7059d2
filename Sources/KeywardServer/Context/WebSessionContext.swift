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
