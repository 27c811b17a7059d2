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
            try restrictToOwner(sqliteFile: path)
            let database = try await openSQLite(storage: .file(path: path), logger: logger)
            // WAL mode made the -wal and -shm files; SQLite gives them the database file's mode,
            // and this makes sure of it for files left by an earlier run.
            try restrictToOwner(sqliteFile: path)
            return database
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

    /// Makes the SQLite file and its -wal and -shm companions readable and writable by their owner
    /// alone (0600), creating the file that way when it does not exist yet, so that no other user
    /// of the machine can read account data.
    private static func restrictToOwner(sqliteFile path: String) throws {
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) {
            guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw ConnectError(description: "the SQLite file \(path) could not be created: check that its directory exists and is writable")
            }
        }
        for file in [path, path + "-wal", path + "-shm"] where manager.fileExists(atPath: file) {
            try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        }
    }

    /// Read-only connections a SQLite file gets beside its writer, each on a thread of its own.
    static let sqliteReaders = 2

    private static func openSQLite(storage: SQLiteConnection.Storage, logger: Logger) async throws -> SQLKeywardDatabase {
        let writer = try await openSQLiteConnection(storage: storage, logger: logger, readOnly: false)
        var readers: [(connection: SQLiteConnection, thread: NIOThreadPool)] = []
        if case .file = storage {
            do {
                for _ in 0..<sqliteReaders {
                    readers.append(try await openSQLiteConnection(storage: storage, logger: logger, readOnly: true))
                }
            } catch {
                for reader in readers { await close(reader) }
                await close(writer)
                throw error
            }
        }
        let opened = readers
        let serialized = SerializedSQLDatabase(base: writer.connection.sql(queryLogLevel: .trace), lock: AsyncLock(),
                                               readers: opened.map { $0.connection.sql(queryLogLevel: .trace) })
        return SQLKeywardDatabase(sql: serialized, dialect: .sqlite) {
            for reader in opened { await close(reader) }
            do {
                // The future form: the async one gives up when the task is cancelled, leaving the
                // file open, and a shutdown after a failure runs cancelled.
                try await writer.connection.close().get()
            } catch {
                try? await writer.thread.shutdownGracefully()
                throw error
            }
            try await writer.thread.shutdownGracefully()
        }
    }

    /// One SQLite connection on a thread of its own: a statement waiting out another process's
    /// lock (up to the busy timeout) then holds only that thread, not a shared pool's. A reader
    /// refuses to write (`query_only`).
    private static func openSQLiteConnection(storage: SQLiteConnection.Storage, logger: Logger,
                                             readOnly: Bool) async throws -> (connection: SQLiteConnection, thread: NIOThreadPool) {
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
        do {
            let sql = connection.sql(queryLogLevel: .trace)
            if case .file = storage, !readOnly {
                try await sql.raw("PRAGMA journal_mode = WAL").run()
                try await sql.raw("PRAGMA synchronous = NORMAL").run()
            }
            try await sql.raw("PRAGMA busy_timeout = 5000").run()
            // Erased message texts and addresses are overwritten, not left in free pages.
            try await sql.raw("PRAGMA secure_delete = ON").run()
            try await sql.raw("PRAGMA foreign_keys = ON").run()
            if readOnly { try await sql.raw("PRAGMA query_only = ON").run() }
        } catch {
            await close((connection, thread))
            throw error
        }
        return (connection, thread)
    }

    private static func close(_ opened: (connection: SQLiteConnection, thread: NIOThreadPool)) async {
        try? await opened.connection.close().get()
        try? await opened.thread.shutdownGracefully()
    }
}

/// Carries the PostgreSQL pool into the close closure. The pool is thread-safe; its type predates
/// Sendable annotations.
private struct PoolCloser: @unchecked Sendable {
    let pool: EventLoopGroupConnectionPool<PostgresConnectionSource>
}
