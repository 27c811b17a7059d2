import Foundation
import Hummingbird
import KeywardCore

/// `/account/freeze`: the owner's emergency brake. The page asks first (a GET never changes
/// anything); the form freezes the account at once, without re-authentication, and signs out.
struct WebFreezeController {
    let services: KeywardServices
    let pages: PageRenderer
    let csrf: CSRFGuard

    func addRoutes(to router: Router<KeywardRequestContext>) {
        let account = router.group(context: WebSessionContext.self)
        account.get("account/freeze") { request, context in
            pages.form("freeze", "Freeze your account", request: request, context: context, csrf: csrf, values: [:])
        }
        account.post("account/freeze") { request, context in
            let form = try await request.formFields(limit: context.bodyLimit)
            do {
                try csrf.verify(request, form: form)
            } catch let error as KeywardError {
                return pages.form("freeze", "Freeze your account", request: request, context: context, csrf: csrf,
                                  values: [:], error: error)
            }
            _ = try await services.restrictions.freeze(session: context.session, origin: context.origin)
            var response = pages.page("freeze", title: "Account frozen", values: ["frozen": true])
            response.setCookie(Cookie(name: SessionMiddleware.cookieName, value: "", maxAge: 0, path: "/",
                                      secure: true, httpOnly: true, sameSite: .lax))
            return response
        }
    }
}
