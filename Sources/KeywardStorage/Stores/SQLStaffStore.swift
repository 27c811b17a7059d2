import Foundation
import KeywardCore
import SQLKit

/// Support staff, their enrolment links and their sessions.
struct SQLStaffStore: StaffStore {
    let sql: any SQLDatabase

    private static let columns = "id, email, role, status, password_hash, sealed_secret, last_used_step, created_at"

    func insert(_ member: StaffMember) async throws -> Bool {
        !(try await sql.raw("""
            INSERT INTO staff_members (\(unsafeRaw: Self.columns))
            VALUES (\(bind: member.id), \(bind: member.email), \(bind: member.role.rawValue), \(bind: member.status.rawValue),
                    \(bind: member.passwordHash), \(bind: member.sealedSecret), \(bind: member.lastUsedStep),
                    \(bind: member.createdAt.unixMilliseconds))
            ON CONFLICT (email) DO NOTHING
            RETURNING id
            """).all()).isEmpty
    }

    func find(id: String) async throws -> StaffMember? {
        try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM staff_members WHERE id = \(bind: id)").first().map(Self.member)
    }

    func find(email: String) async throws -> StaffMember? {
        try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM staff_members WHERE email = \(bind: email)")
            .first().map(Self.member)
    }

    func list() async throws -> [StaffMember] {
        try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM staff_members ORDER BY email").all().map(Self.member)
    }

    func saveEnrolment(id: String, passwordHash: String, sealedSecret: String) async throws {
        try await sql.raw("""
            UPDATE staff_members SET password_hash = \(bind: passwordHash), sealed_secret = \(bind: sealedSecret),
                last_used_step = NULL
            WHERE id = \(bind: id) AND status = \(bind: StaffMember.Status.invited.rawValue)
            """).run()
    }

    func setStatus(id: String, from expected: [StaffMember.Status], to status: StaffMember.Status) async throws -> Bool {
        let states = SQLList(expected.map { SQLBind($0.rawValue) })
        return !(try await sql.raw("""
            UPDATE staff_members SET status = \(bind: status.rawValue) WHERE id = \(bind: id) AND status IN (\(states))
            RETURNING id
            """).all()).isEmpty
    }

    func claimStep(id: String, step: Int64) async throws -> Bool {
        !(try await sql.raw("""
            UPDATE staff_members SET last_used_step = \(bind: step)
            WHERE id = \(bind: id) AND (last_used_step IS NULL OR last_used_step < \(bind: step))
            RETURNING id
            """).all()).isEmpty
    }

    func saveEnrolmentToken(staffId: String, tokenHash: String, expiresAt: Date) async throws {
        try await sql.raw("DELETE FROM staff_enrolments WHERE staff_id = \(bind: staffId)").run()
        try await sql.raw("""
            INSERT INTO staff_enrolments (token_hash, staff_id, expires_at, used_at)
            VALUES (\(bind: tokenHash), \(bind: staffId), \(bind: expiresAt.unixMilliseconds), NULL)
            """).run()
    }

    func enrolmentToken(tokenHash: String, now: Date) async throws -> String? {
        try await sql.raw("""
            SELECT staff_id FROM staff_enrolments
            WHERE token_hash = \(bind: tokenHash) AND used_at IS NULL AND expires_at > \(bind: now.unixMilliseconds)
            """).first().map { try $0.string("staff_id") }
    }

    func useEnrolmentToken(tokenHash: String, at: Date) async throws -> Bool {
        !(try await sql.raw("""
            UPDATE staff_enrolments SET used_at = \(bind: at.unixMilliseconds)
            WHERE token_hash = \(bind: tokenHash) AND used_at IS NULL
            RETURNING staff_id
            """).all()).isEmpty
    }

    func insertSession(_ session: StaffSession) async throws {
        try await sql.raw("""
            INSERT INTO staff_sessions (id, staff_id, token_hash, created_at, last_seen_at, expires_at)
            VALUES (\(bind: session.id), \(bind: session.staffId), \(bind: session.tokenHash),
                    \(bind: session.createdAt.unixMilliseconds), \(bind: session.lastSeenAt.unixMilliseconds),
                    \(bind: session.expiresAt.unixMilliseconds))
            """).run()
    }

    func useSession(tokenHash: String, now: Date, idleTimeout: TimeInterval) async throws -> StaffSession? {
        let cutoff = now.addingTimeInterval(-idleTimeout).unixMilliseconds
        return try await sql.raw("""
            UPDATE staff_sessions SET last_seen_at = \(bind: now.unixMilliseconds)
            WHERE token_hash = \(bind: tokenHash) AND last_seen_at > \(bind: cutoff)
                AND expires_at > \(bind: now.unixMilliseconds)
            RETURNING id, staff_id, token_hash, created_at, last_seen_at, expires_at
            """).first().map { row in
            StaffSession(id: try row.string("id"), staffId: try row.string("staff_id"), tokenHash: try row.string("token_hash"),
                         createdAt: try row.date("created_at"), lastSeenAt: try row.date("last_seen_at"),
                         expiresAt: try row.date("expires_at"))
        }
    }

    func deleteSession(id: String) async throws {
        try await sql.raw("DELETE FROM staff_sessions WHERE id = \(bind: id)").run()
    }

    func deleteSessions(staffId: String) async throws -> Int {
        try await sql.raw("DELETE FROM staff_sessions WHERE staff_id = \(bind: staffId) RETURNING id").all().count
    }

    private static func member(_ row: any SQLRow) throws -> StaffMember {
        guard let role = StaffMember.Role(rawValue: try row.string("role")),
              let status = StaffMember.Status(rawValue: try row.string("status"))
        else { throw KeywardError.internalError }
        return StaffMember(id: try row.string("id"), email: try row.string("email"), role: role, status: status,
                           passwordHash: try row.optionalString("password_hash"),
                           sealedSecret: try row.optionalString("sealed_secret"),
                           lastUsedStep: try row.decode(column: "last_used_step", as: Int64?.self),
                           createdAt: try row.date("created_at"))
    }
}
