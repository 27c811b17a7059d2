import Foundation
public import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit

/// Opens the database named by a URL: `sqlite:///path/to/file.sqlite`, `sqlite::memory:`, or
/// `postgres://user:password@host:port/database`.
public enum DatabaseConnector {
    /// Why a database could not be opened.
    public struct ConnectError: Error, CustomStringConvertible, Sendable {
        /// A one-line explanation naming what to change.
        public let description: String
    }

    /// Opens the database at `url`. PostgreSQL gets a pool of at most `postgresConnections`
    /// connections in all, so that an operator can size it against the server's
    /// `max_connections` whatever the number of cores; SQLite one serialized connection on a thread of
    /// its own, with WAL and a 5 s busy timeout.
    public static func open(url: String, logger: Logger, postgresConnections: Int = 8) async throws -> SQLKeywardDatabase {
        if url == "sqlite::memory:" {
            return try await openSQLite(storage: .memory, logger: logger)
        }
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw ConnectError(description: "the SQLite URL names no file: use sqlite:///absolute/path.sqlite") }
            return try await openSQLite(storage: .file(path: path), logger: logger)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            let configuration: SQLPostgresConfiguration
            do {
                configuration = try SQLPostgresConfiguration(url: url)
            } catch {
                throw ConnectError(description: "the PostgreSQL URL could not be read (\(error)); use postgres://user:password@host:5432/database")
            }
            // One event loop owns the whole pool: a pool per loop would multiply the connections
            // by the number of cores. Decoding replies is cheap next to the work around it.
            let pool = EventLoopGroupConnectionPool(
                source: PostgresConnectionSource(sqlConfiguration: configuration),
                maxConnectionsPerEventLoop: max(1, postgresConnections),
                logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.next())
            let sql = pool.database(logger: logger).sql()
            let closer = PoolCloser(pool: pool)
            let database = SQLKeywardDatabase(sql: sql, dialect: .postgres) { try await closer.pool.shutdownAsync() }
            do {
                try await sql.raw("SELECT 1").run()
            } catch {
                try? await pool.shutdownAsync()
                throw ConnectError(description: "PostgreSQL at \(configuration.coreConfiguration.host ?? "?") did not answer: \(String(reflecting: error))")
            }
            return database
        }
        throw ConnectError(description: "unsupported database URL: use sqlite:///path/to/file.sqlite or postgres://user:password@host/database")
    }

    private static func openSQLite(storage: SQLiteConnection.Storage, logger: Logger) async throws -> SQLKeywardDatabase {
        // The one connection gets a thread of its own: a statement waiting out another process's
        // lock (up to the busy timeout) then holds only that thread, not a shared pool's.
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: storage, threadPool: thread, logger: logger,
                                                         on: MultiThreadedEventLoopGroup.singleton.any())
        } catch {
            try? await thread.shutdownGracefully()
            throw error
        }
        let base = connection.sql(queryLogLevel: .trace)
        if case .file = storage {
            try await base.raw("PRAGMA journal_mode = WAL").run()
            try await base.raw("PRAGMA synchronous = NORMAL").run()
        }
        try await base.raw("PRAGMA busy_timeout = 5000").run()
        try await base.raw("PRAGMA foreign_keys = ON").run()
        let serialized = SerializedSQLDatabase(base: base, lock: AsyncLock())
        return SQLKeywardDatabase(sql: serialized, dialect: .sqlite) {
            do {
                // The future form: the async one gives up when the task is cancelled, leaving the
                // file open, and a shutdown after a failure runs cancelled.
                try await connection.close().get()
            } catch {
                try? await thread.shutdownGracefully()
                throw error
            }
            try await thread.shutdownGracefully()
        }
    }
}

/// Carries the PostgreSQL pool into the close closure. The pool is thread-safe; its type predates
/// Sendable annotations.
private struct PoolCloser: @unchecked Sendable {
    let pool: EventLoopGroupConnectionPool<PostgresConnectionSource>
}
