import Foundation
import Hummingbird
import KeywardCore

/// `POST /api/v1/account/freeze`, the owner's emergency brake, and
/// `POST|DELETE /api/v1/admin/accounts/{id}/restriction`, an operator's restriction and its lifting.
struct RestrictionController {
    let restrictions: AccountRestrictions
    let operatorKeys: [String]

    struct NoteBody: Decodable {
        let reason: String?
    }

    func addRoutes(to group: RouterGroup<KeywardRequestContext>) {
        group.group(context: AuthenticatedContext.self).post("account/freeze", use: freeze)
        group.post("admin/accounts/{id}/restriction", use: restrict)
        group.delete("admin/accounts/{id}/restriction", use: lift)
    }

    @Sendable func freeze(_ request: Request, context: AuthenticatedContext) async throws -> JSONAnswer<RestrictionJSON> {
        JSONAnswer(RestrictionJSON(try await restrictions.freeze(session: context.session, origin: context.origin)))
    }

    @Sendable func restrict(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<RestrictionJSON> {
        try authorizeOperator(request, keys: operatorKeys)
        let body = try await request.decodeJSON(NoteBody.self, limit: context.bodyLimit)
        let result = try await restrictions.restrictForOperator(accountId: try context.parameters.require("id"),
                                                                note: body.reason, origin: context.origin)
        return JSONAnswer(RestrictionJSON(result.restriction), status: result.placed ? .created : .ok)
    }

    @Sendable func lift(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<RestrictionJSON> {
        try authorizeOperator(request, keys: operatorKeys)
        let body = try await request.decodeJSON(NoteBody.self, limit: context.bodyLimit)
        return JSONAnswer(RestrictionJSON(try await restrictions.liftForOperator(
            accountId: try context.parameters.require("id"), note: body.reason, origin: context.origin)))
    }
}

/// A restriction or freeze; `liftedAt` is `null` while it is in force.
struct RestrictionJSON: Encodable {
    let restrictionId: String
    let kind: String
    let reason: String
    let placedAt: Date
    let liftedAt: Date?

    init(_ restriction: AccountRestriction) {
        restrictionId = restriction.id
        kind = restriction.kind.rawValue
        reason = restriction.reason.rawValue
        placedAt = restriction.placedAt
        liftedAt = restriction.liftedAt
    }

    enum CodingKeys: String, CodingKey { case restrictionId, kind, reason, placedAt, liftedAt }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(restrictionId, forKey: .restrictionId)
        try container.encode(kind, forKey: .kind)
        try container.encode(reason, forKey: .reason)
        try container.encode(placedAt, forKey: .placedAt)
        try container.encode(liftedAt, forKey: .liftedAt)
    }
}
