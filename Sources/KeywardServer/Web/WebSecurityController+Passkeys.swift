import Foundation
import Hummingbird
import KeywardCore

extension WebSecurityController {
    /// The passkey forms of the security page: the creation options the page's script asks for,
    /// adding the passkey the browser made, renaming and removing.
    func addPasskeyRoutes(to router: RouterGroup<WebSessionContext>) {
        router.post("account/security/passkeys/options") { request, context in
            let session = context.session
            let form = try await request.formFields(limit: context.bodyLimit)
            do {
                try csrf.verify(request, form: form)
                return try jsonResponse(PasskeyCreationOptionsJSON(try await services.passkeys.creationOptions(session: session)))
            } catch let error as KeywardError where error.status < 500 {
                let sentence = MessageCatalogue.english.sentence(for: error.code, parameters: error.details.mapValues(\.text))
                return try jsonResponse(["code": error.code, "detail": sentence],
                                        status: HTTPResponse.Status(code: error.status))
            }
        }
        router.post("account/security/passkeys") { request, context in
            try await signedIn(request, context) { session, form in
                let credential = try PasskeyCredentialJSON.parse(form["credential"] ?? "")
                _ = try await services.passkeys.register(session: session, credential: credential, name: form["name"],
                                                         flowId: form["flowId"].flatMap { $0.isEmpty ? nil : $0 },
                                                         origin: context.origin)
                return Response.redirect(to: "/account/security?done=passkey-added", type: .found)
            }
        }
        router.post("account/security/passkeys/{id}/rename") { request, context in
            try await signedIn(request, context) { session, form in
                _ = try await services.passkeys.rename(session: session, id: try context.parameters.require("id"),
                                                       name: form["name"] ?? "", origin: context.origin)
                return Response.redirect(to: "/account/security?done=passkey-renamed", type: .found)
            }
        }
        router.post("account/security/passkeys/{id}/remove") { request, context in
            try await signedIn(request, context) { session, _ in
                try await services.passkeys.remove(session: session, id: try context.parameters.require("id"),
                                                   origin: context.origin)
                return Response.redirect(to: "/account/security?done=passkey-removed", type: .found)
            }
        }
    }
}
