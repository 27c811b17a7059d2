import Foundation
import Hummingbird
import KeywardCore

/// The owner's emergency brake: `/account/freeze` signed in, and `/freeze/{token}`, the link every
/// security notice carries. The page asks first (a GET never changes anything); the form freezes
/// the account at once, without re-authentication, and signs out.
struct WebFreezeController {
    let services: KeywardServices
    let pages: PageRenderer
    let csrf: CSRFGuard

    func addRoutes(to router: Router<KeywardRequestContext>) {
        // A security notice's link: the GET asks (and changes nothing), the form freezes.
        router.get("freeze/{token}") { request, context in
            let token = try context.parameters.require("token")
            guard try await services.restrictions.freezeLinkWorks(token: token) else {
                return pages.errorPage(.freezeLinkInvalid, signedIn: context.session != nil)
            }
            return pages.form("freeze", "Freeze your account", request: request, context: context, csrf: csrf,
                              values: ["action": "/freeze/\(token)", "cancel": "/"])
        }
        router.post("freeze/{token}") { request, context in
            let token = try context.parameters.require("token")
            let form = try await request.formFields(limit: context.bodyLimit)
            do {
                try csrf.verify(request, form: form)
                _ = try await services.restrictions.freeze(linkToken: token, origin: context.origin)
            } catch let error as KeywardError where error.code == KeywardError.freezeLinkInvalid.code {
                return pages.errorPage(error, signedIn: context.session != nil)
            } catch let error as KeywardError {
                return pages.form("freeze", "Freeze your account", request: request, context: context, csrf: csrf,
                                  values: ["action": "/freeze/\(token)", "cancel": "/"], error: error)
            }
            return frozenPage()
        }
        let account = router.group(context: WebSessionContext.self)
        account.get("account/freeze") { request, context in
            pages.form("freeze", "Freeze your account", request: request, context: context, csrf: csrf,
                       values: ["action": "/account/freeze", "cancel": "/account"])
        }
        account.post("account/freeze") { request, context in
            let form = try await request.formFields(limit: context.bodyLimit)
            do {
                try csrf.verify(request, form: form)
            } catch let error as KeywardError {
                return pages.form("freeze", "Freeze your account", request: request, context: context, csrf: csrf,
                                  values: ["action": "/account/freeze", "cancel": "/account"], error: error)
            }
            _ = try await services.restrictions.freeze(session: context.session, origin: context.origin)
            return frozenPage()
        }
    }

    /// "Your account is frozen", signed out: every session ended with the freeze.
    private func frozenPage() -> Response {
        var response = pages.page("freeze", title: "Account frozen", values: ["frozen": true])
        response.setCookie(Cookie(name: SessionMiddleware.cookieName, value: "", maxAge: 0, path: "/",
                                  secure: true, httpOnly: true, sameSite: .lax))
        return response
    }
}
