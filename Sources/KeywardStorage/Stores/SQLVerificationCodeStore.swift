import Foundation
import KeywardCore
import SQLKit

struct SQLVerificationCodeStore: VerificationCodeStore {
    let sql: any SQLDatabase

    func issue(_ code: VerificationCode) async throws {
        try await sql.raw("""
            UPDATE verification_codes SET consumed_at = \(bind: code.createdAt.unixMilliseconds)
            WHERE flow_id = \(bind: code.flowId) AND purpose = \(bind: code.purpose) AND consumed_at IS NULL
            """).run()
        try await sql.raw("""
            INSERT INTO verification_codes (id, flow_id, purpose, channel, destination, code_hash, created_at, expires_at,
                                            attempts, max_attempts, consumed_at)
            VALUES (\(bind: code.id), \(bind: code.flowId), \(bind: code.purpose), \(bind: code.channel.rawValue), \(bind: code.destination),
                    \(bind: code.codeHash), \(bind: code.createdAt.unixMilliseconds), \(bind: code.expiresAt.unixMilliseconds),
                    \(bind: Int64(code.attempts)), \(bind: Int64(code.maxAttempts)), NULL)
            """).run()
    }

    func latest(flowId: String, purpose: String?) async throws -> VerificationCode? {
        let purposeFilter: SQLQueryString = purpose.map { "AND purpose = \(bind: $0)" } ?? ""
        guard let row = try await sql.raw("""
            SELECT id, flow_id, purpose, channel, destination, code_hash, created_at, expires_at, attempts, max_attempts,
                   consumed_at
            FROM verification_codes WHERE flow_id = \(bind: flowId) \(purposeFilter)
            ORDER BY created_at DESC, id DESC LIMIT 1
            """).first()
        else { return nil }
        return VerificationCode(
            id: try row.string("id"), flowId: try row.string("flow_id"), purpose: try row.string("purpose"),
            channel: DeliveryChannel(rawValue: try row.string("channel")) ?? .email,
            destination: try row.string("destination"), codeHash: try row.string("code_hash"),
            createdAt: try row.date("created_at"), expiresAt: try row.date("expires_at"),
            attempts: try row.int("attempts"), maxAttempts: try row.int("max_attempts"),
            consumedAt: try row.optionalDate("consumed_at"))
    }

    func lastSent(destination: String) async throws -> Date? {
        try await sql.raw("""
            SELECT created_at FROM verification_codes WHERE destination = \(bind: destination)
            ORDER BY created_at DESC LIMIT 1
            """).first().map { try $0.date("created_at") }
    }

    func claimAttempt(id: String, now: Date) async throws -> Int? {
        try await sql.raw("""
            UPDATE verification_codes SET attempts = attempts + 1
            WHERE id = \(bind: id) AND consumed_at IS NULL AND expires_at > \(bind: now.unixMilliseconds)
              AND attempts < max_attempts
            RETURNING attempts
            """).first().map { try $0.int("attempts") }
    }

    func consume(id: String, at: Date) async throws -> Bool {
        !(try await sql.raw("""
            UPDATE verification_codes SET consumed_at = \(bind: at.unixMilliseconds)
            WHERE id = \(bind: id) AND consumed_at IS NULL
            RETURNING id
            """).all()).isEmpty
    }
}
