import Logging
import NIOCore
import SQLKit

/// One SQL connection shared by the whole process, handed to one statement or one transaction at
/// a time. This is how SQLite is used: it has a single writer anyway, and an in-memory database
/// exists only inside its connection.
struct SerializedSQLDatabase: SQLDatabase {
    let base: any SQLDatabase
    let lock: AsyncLock

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        let base = self.base, lock = self.lock
        return eventLoop.makeFutureWithTask {
            try await lock.withLock { try await base.execute(sql: query, onRow) }
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await lock.withLock { try await base.execute(sql: query, onRow) }
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        await lock.lock()
        defer { lock.unlock() }
        return try await closure(base)
    }
}
