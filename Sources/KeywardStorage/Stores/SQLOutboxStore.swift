import Foundation
import KeywardCore
import SQLKit

struct SQLOutboxStore: OutboxStore {
    let sql: any SQLDatabase
    let dialect: SQLDialectKind

    func enqueue(_ message: QueuedMessage) async throws {
        try await sql.raw("""
            INSERT INTO outbox (id, channel, destination, subject, body, body_sealed, code, account_id, created_at, status,
                                attempts, next_attempt_at, lease_until, sent_at, last_error)
            VALUES (\(bind: message.id), \(bind: message.channel.rawValue), \(bind: message.destination),
                    \(bind: message.subject), \(bind: message.clearBody), \(bind: message.sealedBody), \(bind: message.code),
                    \(bind: message.accountId),
                    \(bind: message.createdAt.unixMilliseconds), 'pending', 0, \(bind: message.createdAt.unixMilliseconds),
                    NULL, NULL, NULL)
            """).run()
    }

    func claimDue(now: Date, leaseUntil: Date, limit: Int, excluding: Set<String>) async throws -> [QueuedMessage] {
        let nowMs = now.unixMilliseconds
        let notExcluded: SQLQueryString = excluding.isEmpty
            ? "" : "AND id NOT IN (\(binds: excluding.sorted() as [any Encodable & Sendable]))"
        return try await sql.raw("""
            UPDATE outbox SET lease_until = \(bind: leaseUntil.unixMilliseconds), attempts = attempts + 1
            WHERE id IN (
                SELECT id FROM outbox
                WHERE status = 'pending' AND next_attempt_at <= \(bind: nowMs)
                  AND (lease_until IS NULL OR lease_until <= \(bind: nowMs))
                  \(notExcluded)
                ORDER BY created_at
                LIMIT \(bind: Int64(limit))
                \(unsafeRaw: dialect.skipLockedClause)
            )
            RETURNING id, channel, destination, subject, body, body_sealed, code, account_id, created_at, attempts
            """).all().map { row in
            QueuedMessage(id: try row.string("id"),
                          channel: DeliveryChannel(rawValue: try row.string("channel")) ?? .email,
                          destination: try row.string("destination"), subject: try row.string("subject"),
                          sealedBody: try row.optionalString("body_sealed"), clearBody: try row.optionalString("body"),
                          code: try row.optionalString("code"), accountId: try row.optionalString("account_id"),
                          createdAt: try row.date("created_at"), attempts: try row.int("attempts"))
        }.sorted { $0.createdAt < $1.createdAt }
    }

    func markSent(id: String, at: Date, maskedDestination: String) async throws {
        try await sql.raw("""
            UPDATE outbox SET status = 'sent', sent_at = \(bind: at.unixMilliseconds), body = NULL, body_sealed = NULL,
                              code = NULL, destination = \(bind: maskedDestination), lease_until = NULL, last_error = NULL
            WHERE id = \(bind: id)
            """).run()
    }

    func markFailed(id: String, error: String, retryAt: Date?, maskedDestination: String) async throws {
        if let retryAt {
            try await sql.raw("""
                UPDATE outbox SET next_attempt_at = \(bind: retryAt.unixMilliseconds), lease_until = NULL,
                                  last_error = \(bind: String(error.prefix(500)))
                WHERE id = \(bind: id)
                """).run()
        } else {
            try await sql.raw("""
                UPDATE outbox SET status = 'failed', body = NULL, body_sealed = NULL, code = NULL,
                                  destination = \(bind: maskedDestination), lease_until = NULL,
                                  last_error = \(bind: String(error.prefix(500)))
                WHERE id = \(bind: id)
                """).run()
        }
    }

    func delivery(id: String) async throws -> OutboxDelivery? {
        try await sql.raw("""
            SELECT status, created_at, sent_at, next_attempt_at, attempts, last_error FROM outbox WHERE id = \(bind: id)
            """).first().map(Self.delivery)
    }

    func recent(accountId: String, limit: Int) async throws -> [OutboxRecord] {
        try await sql.raw("""
            SELECT id, channel, destination, subject, status, created_at, sent_at, next_attempt_at, attempts, last_error
            FROM outbox WHERE account_id = \(bind: accountId)
            ORDER BY created_at DESC, id DESC LIMIT \(bind: Int64(limit))
            """).all().map { row in
            OutboxRecord(id: try row.string("id"), channel: DeliveryChannel(rawValue: try row.string("channel")) ?? .email,
                         destination: try row.string("destination"), subject: try row.string("subject"),
                         delivery: try Self.delivery(row))
        }
    }

    private static func delivery(_ row: any SQLRow) throws -> OutboxDelivery {
        let lastError = try row.optionalString("last_error")
        let state: OutboxDelivery.State
        switch try row.string("status") {
        case "sent": state = .sent
        case "failed": state = .failed
        default: state = lastError != nil ? .retrying : .queued
        }
        return OutboxDelivery(state: state, queuedAt: try row.date("created_at"), sentAt: try row.optionalDate("sent_at"),
                              nextAttemptAt: state == .retrying ? try row.date("next_attempt_at") : nil,
                              attempts: try row.int("attempts"), lastError: state == .sent ? nil : lastError)
    }

    func pendingCount() async throws -> Int {
        try await sql.raw("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'").first().map { try $0.int("n") } ?? 0
    }
}
