import Foundation
import KeywardCore
import KeywardCrypto
import SQLKit

struct SQLDevelopmentMailboxStore: DevelopmentMailboxStore {
    let sql: any SQLDatabase

    func append(_ entry: DevelopmentMailboxEntry) async throws {
        try await sql.raw("""
            INSERT INTO dev_mailbox (id, recipient, channel, subject, body, code, sent_at)
            VALUES (\(bind: SecureRandom.uuid()), \(bind: entry.to), \(bind: entry.channel.rawValue), \(bind: entry.subject),
                    \(bind: entry.body), \(bind: entry.code), \(bind: entry.sentAt.unixMilliseconds))
            """).run()
    }

    func list(limit: Int) async throws -> [DevelopmentMailboxEntry] {
        try await sql.raw("""
            SELECT recipient, channel, subject, body, code, sent_at FROM dev_mailbox
            ORDER BY sent_at DESC, id LIMIT \(bind: Int64(limit))
            """).all().map { row in
            DevelopmentMailboxEntry(to: try row.string("recipient"),
                                    channel: DeliveryChannel(rawValue: try row.string("channel")) ?? .email,
                                    subject: try row.string("subject"), body: try row.string("body"),
                                    code: try row.optionalString("code"), sentAt: try row.date("sent_at"))
        }
    }
}
