import Foundation
import KeywardCore
import SQLKit

struct SQLFlowStore: FlowStore {
    let sql: any SQLDatabase

    func insert(_ flow: Flow) async throws {
        try await sql.raw("""
            INSERT INTO flows (id, kind, state, account_id, identifier_kind, identifier_value,
                               created_at, updated_at, expires_at, payload, password_hash)
            VALUES (\(bind: flow.id), \(bind: flow.kind.rawValue), \(bind: flow.state), \(bind: flow.accountId),
                    \(bind: flow.identifier?.kind.rawValue), \(bind: flow.identifier?.value),
                    \(bind: flow.createdAt.unixMilliseconds), \(bind: flow.updatedAt.unixMilliseconds),
                    \(bind: flow.expiresAt.unixMilliseconds), \(bind: flow.context),
                    \(bind: flow.passwordHash))
            """).run()
    }

    private static let columns = """
        id, kind, state, account_id, identifier_kind, identifier_value, created_at, updated_at, expires_at, payload, \
        password_hash
        """

    func find(id: String) async throws -> Flow? {
        try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM flows WHERE id = \(bind: id)").first().map(Self.flow)
    }

    func newest(accountId: String, kind: Flow.Kind, state: String) async throws -> Flow? {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM flows
            WHERE account_id = \(bind: accountId) AND kind = \(bind: kind.rawValue) AND state = \(bind: state)
            ORDER BY created_at DESC, id DESC LIMIT 1
            """).first().map(Self.flow)
    }

    func deleteExpired(before cutoff: Date) async throws -> Int {
        try await sql.raw("""
            DELETE FROM flows WHERE expires_at < \(bind: cutoff.unixMilliseconds) RETURNING id
            """).all().count
    }

    func list(accountId: String, since: Date, limit: Int) async throws -> [Flow] {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM flows
            WHERE account_id = \(bind: accountId) AND created_at >= \(bind: since.unixMilliseconds)
            ORDER BY created_at DESC, id DESC LIMIT \(bind: limit)
            """).all().map(Self.flow)
    }

    private static func flow(_ row: any SQLRow) throws -> Flow {
        var identifier: Identifier?
        if let kind = try row.optionalString("identifier_kind").flatMap(Identifier.Kind.init(rawValue:)),
           let value = try row.optionalString("identifier_value") {
            identifier = Identifier(kind: kind, value: value)
        }
        return Flow(id: try row.string("id"), kind: Flow.Kind(rawValue: try row.string("kind")),
                    state: try row.string("state"), accountId: try row.optionalString("account_id"),
                    identifier: identifier, createdAt: try row.date("created_at"),
                    updatedAt: try row.date("updated_at"), expiresAt: try row.date("expires_at"),
                    context: try row.string("payload"),
                    passwordHash: try row.optionalString("password_hash"))
    }

    func transition(id: String, from expected: String, to newState: String, at: Date,
                    context: String) async throws -> Bool {
        !(try await sql.raw("""
            UPDATE flows SET state = \(bind: newState), updated_at = \(bind: at.unixMilliseconds),
                             payload = \(bind: context), password_hash = NULL
            WHERE id = \(bind: id) AND state = \(bind: expected)
            RETURNING id
            """).all()).isEmpty
    }

    func transitionOthers(accountId: String, kind: Flow.Kind, except id: String, from state: String,
                          to newState: String, at: Date) async throws {
        try await sql.raw("""
            UPDATE flows SET state = \(bind: newState), updated_at = \(bind: at.unixMilliseconds), password_hash = NULL
            WHERE account_id = \(bind: accountId) AND kind = \(bind: kind.rawValue) AND state = \(bind: state)
              AND id <> \(bind: id)
            """).run()
    }
}
