import Foundation
import Hummingbird
import KeywardCore

/// The signed-in person's own holds and security activity, and the operator's view of holds for
/// the platform's withdrawal service.
struct AccountController {
    let accounts: AccountActivityService
    let operatorKeys: [String]

    func addRoutes(to group: RouterGroup<KeywardRequestContext>) {
        let signedIn = group.group(context: AuthenticatedContext.self)
        signedIn.get("account/holds") { _, context in
            let holds = try await accounts.holds(accountId: context.session.accountId)
            return JSONAnswer(HoldListJSON(holds: holds.map(HoldJSON.init)))
        }
        signedIn.get("account/activity") { _, context in
            let events = try await accounts.activity(accountId: context.session.accountId, limit: 50)
            return JSONAnswer(ActivityJSON(events: events.map(ActivityEventJSON.init)))
        }
        group.get("admin/accounts/{id}/holds") { request, context in
            try authorizeOperator(request, keys: operatorKeys)
            let id = try context.parameters.require("id")
            let holds = try await accounts.holdsOfExistingAccount(id: id)
            return JSONAnswer(HoldListJSON(holds: holds.map(HoldJSON.init)))
        }
    }
}

struct HoldListJSON: Encodable {
    let holds: [HoldJSON]
}

struct ActivityJSON: Encodable {
    let events: [ActivityEventJSON]
}

struct ActivityEventJSON: Encodable {
    let kind: String
    let outcome: String
    let at: Date
    let ip: String?
    let userAgent: String?
    let details: [String: String]

    init(_ event: AuditEvent) {
        kind = event.kind.rawValue
        outcome = event.outcome.rawValue
        at = event.at
        ip = event.ip
        userAgent = event.userAgent
        details = event.details
    }
}
