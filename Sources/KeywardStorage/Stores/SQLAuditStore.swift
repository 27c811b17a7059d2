import Foundation
import KeywardCore
import SQLKit

struct SQLAuditStore: AuditStore {
    let sql: any SQLDatabase

    func record(_ event: AuditEvent) async throws {
        try await sql.raw("""
            INSERT INTO audit_events (id, kind, outcome, account_id, ip, user_agent, at, details)
            VALUES (\(bind: event.id), \(bind: event.kind.rawValue), \(bind: event.outcome.rawValue),
                    \(bind: event.accountId), \(bind: event.ip), \(bind: event.userAgent),
                    \(bind: event.at.unixMilliseconds), \(bind: JSONText.encode(event.details)))
            """).run()
    }

    func recent(accountId: String, limit: Int) async throws -> [AuditEvent] {
        try await sql.raw("""
            SELECT id, kind, outcome, account_id, ip, user_agent, at, details FROM audit_events
            WHERE account_id = \(bind: accountId) ORDER BY at DESC, id DESC LIMIT \(bind: Int64(limit))
            """).all().map { row in
            AuditEvent(id: try row.string("id"), kind: AuditEvent.Kind(rawValue: try row.string("kind")),
                       outcome: AuditEvent.Outcome(rawValue: try row.string("outcome")) ?? .failure,
                       accountId: try row.optionalString("account_id"), ip: try row.optionalString("ip"),
                       userAgent: try row.optionalString("user_agent"), at: try row.date("at"),
                       details: JSONText.decode(try row.string("details")))
        }
    }
}
