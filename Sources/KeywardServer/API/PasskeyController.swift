import Foundation
import Hummingbird
import KeywardCore

/// `/api/v1/account/passkeys…`: the signed-in person's passkeys.
struct PasskeyController {
    let passkeys: PasskeySettingsService

    struct RegisterBody: Decodable {
        let credential: PasskeyCredentialJSON
        let name: String?
        let flowId: String?
    }

    struct RenameBody: Decodable {
        let name: String
    }

    func addRoutes(to group: RouterGroup<KeywardRequestContext>) {
        let signedIn = group.group("account/passkeys").group(context: AuthenticatedContext.self)
        signedIn.post("options") { _, context in
            JSONAnswer(PasskeyCreationOptionsJSON(try await passkeys.creationOptions(session: context.session)))
        }
        signedIn.post { request, context in
            let body = try await request.decodeJSON(RegisterBody.self, limit: context.bodyLimit)
            let passkey = try await passkeys.register(session: context.session, credential: body.credential, name: body.name,
                                                      flowId: body.flowId, origin: context.origin)
            return JSONAnswer(PasskeyJSON(passkey), status: .created)
        }
        signedIn.get { _, context in
            JSONAnswer(["passkeys": try await passkeys.list(session: context.session).map(PasskeyJSON.init)])
        }
        signedIn.patch("{id}") { request, context in
            let body = try await request.decodeJSON(RenameBody.self, limit: context.bodyLimit)
            let passkey = try await passkeys.rename(session: context.session, id: try context.parameters.require("id"),
                                                    name: body.name, origin: context.origin)
            return JSONAnswer(PasskeyJSON(passkey))
        }
        signedIn.delete("{id}") { _, context in
            try await passkeys.remove(session: context.session, id: try context.parameters.require("id"), origin: context.origin)
            return HTTPResponse.Status.noContent
        }
    }
}
