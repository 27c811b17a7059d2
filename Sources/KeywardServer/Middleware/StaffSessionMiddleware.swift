import Hummingbird
import KeywardCore

/// Finds the staff session a request to a staff route carries: `Authorization: Bearer` under
/// `/api/v1/staff/`, or the `__Host-keyward_staff` cookie on the console's pages under `/staff`.
/// Other routes never look, so a staff credential opens nothing else, and a customer's session
/// is never looked up as a staff one.
struct StaffSessionMiddleware: RouterMiddleware {
    typealias Context = KeywardRequestContext
    static let cookieName = "__Host-keyward_staff"
    let staff: StaffService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/api/v1/staff/") || path == "/staff" || path.hasPrefix("/staff/") else {
            return try await next(request, context)
        }
        var context = context
        if let token = SessionMiddleware.token(in: request, cookie: Self.cookieName),
           let found = try await staff.authenticate(token: token) {
            context.staff = found
        }
        return try await next(request, context)
    }
}
