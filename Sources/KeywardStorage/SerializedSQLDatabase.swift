import Logging
import NIOCore
import SQLKit
import Synchronization

/// One SQL connection shared by the whole process, handed to one statement or one transaction at
/// a time, and (for a SQLite file) a few read-only connections that answer lone `SELECT`s beside
/// it. This is how SQLite is used: it has a single writer anyway, and an in-memory database exists
/// only inside its connection.
///
/// A `SELECT` outside a transaction goes to a reader, round robin, without waiting for the writer's
/// lock: in WAL mode a reader sees every transaction committed before its statement began, so a
/// session revoked a moment ago is seen revoked, and reads no longer queue behind each other's
/// thread hops. Statements inside a transaction (``withSession(_:)``) always use the writer, which
/// sees the transaction's own changes.
struct SerializedSQLDatabase: SQLDatabase {
    let base: any SQLDatabase
    let lock: AsyncLock
    /// Read-only connections to the same file; empty for an in-memory database.
    let readers: [any SQLDatabase]
    private let next = ReaderCursor()

    init(base: any SQLDatabase, lock: AsyncLock, readers: [any SQLDatabase] = []) {
        self.base = base
        self.lock = lock
        self.readers = readers
    }

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        if let reader = reader(for: query) { return reader.execute(sql: query, onRow) }
        let base = self.base, lock = self.lock
        return eventLoop.makeFutureWithTask {
            try await lock.withLock { try await base.execute(sql: query, onRow) }
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        if let reader = reader(for: query) { return try await reader.execute(sql: query, onRow) }
        try await lock.withLock { try await base.execute(sql: query, onRow) }
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        await lock.lock()
        defer { lock.unlock() }
        return try await closure(base)
    }

    /// The reader that answers `query`, when it only reads and there are readers.
    private func reader(for query: any SQLExpression) -> (any SQLDatabase)? {
        guard !readers.isEmpty else { return nil }
        var serializer = SQLSerializer(database: base)
        query.serialize(to: &serializer)
        let text = serializer.sql.drop { $0.isWhitespace }
        guard text.prefix(6).uppercased() == "SELECT" else { return nil }
        return readers[next.advance() % readers.count]
    }
}

/// Hands out readers in turn.
private final class ReaderCursor: Sendable {
    private let position = Atomic<Int>(0)

    func advance() -> Int {
        position.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max
    }
}
