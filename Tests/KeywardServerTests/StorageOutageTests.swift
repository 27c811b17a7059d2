import Foundation
import HTTPTypes
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Logging
import Testing

/// A database that is out of reach for a moment is answered `503 storage.unavailable` with
/// `Retry-After`, on the API and on pages, and the same request succeeds once it is back.
@Suite struct StorageOutageTests {
    @Test func aSQLiteFileLockedByAnotherProcessIsAnsweredUnavailableUntilItIsReleased() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyward-outage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = "sqlite://" + directory.appendingPathComponent("keyward.sqlite").path
        var config = KeywardConfig.testing(databaseURL: url)
        config.logLevel = "critical"
        try await withKeyward(config) { api, _ in
            let other = try await DatabaseConnector.open(url: url, logger: Logger(label: "other-process"))
            try await other.execute(raw: "BEGIN EXCLUSIVE")
            let refused = try await api.call(.post, "/api/v1/registrations",
                                             json: ["identifier": "outage@example.com", "password": "Tr4velling-Lynx"])
            #expect(refused.status == 503)
            #expect(refused.code == "storage.unavailable")
            #expect(refused["retryAfter"] as? Int == 2)
            #expect(refused.headers[.retryAfter] == "2")
            try await other.execute(raw: "COMMIT")
            try await other.close()
            _ = try await api.registerAndVerify("outage@example.com")
        }
    }

    @Test func aPostgreSQLDatabaseThatRefusesConnectionsIsAnsweredUnavailableUntilItTakesThemAgain() async throws {
        guard TestDatabases.kinds.contains(.postgres),
              let base = ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"],
              var components = URLComponents(string: try await TestDatabases.url(for: .postgres)) else { return }
        // Connection limits bind every role but superusers, so the server signs in as its own role.
        let name = String(components.path.dropFirst())
        let role = name.replacingOccurrences(of: "kw_test_", with: "kw_role_")
        let admin = try await DatabaseConnector.open(url: base, logger: Logger(label: "admin"), postgresConnections: 1)
        try await admin.execute(raw: "CREATE ROLE \(role) LOGIN PASSWORD 'outage'")
        try await admin.execute(raw: "ALTER DATABASE \(name) OWNER TO \(role)")
        components.user = role
        components.password = "outage"
        var config = KeywardConfig.testing(databaseURL: components.string!)
        config.logLevel = "critical"
        // Dropped below, with its role.
        try await withKeyward(config, keepDatabase: true) { api, _ in
            let (_, token) = try await api.registerAndVerify("before@example.com")
            try await admin.execute(raw: "ALTER DATABASE \(name) CONNECTION LIMIT 0")
            try await admin.execute(raw: "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '\(role)'")
            // The pool may first hand out a connection it has not yet seen closed; either way the
            // answer is the same.
            for _ in 0..<3 {
                let refused = try await api.call(.post, "/api/v1/login",
                                                 json: ["identifier": "before@example.com", "password": "Tr4velling-Lynx"])
                #expect(refused.status == 503)
                #expect(refused.code == "storage.unavailable")
                #expect(refused.headers[.retryAfter] == "2")
            }
            let page = try await api.call(.get, "/account", headers: [.cookie: "__Host-keyward_session=\(token)"])
            #expect(page.status == 503)
            #expect(page.text.contains("cannot reach its database"))
            try await admin.execute(raw: "ALTER DATABASE \(name) CONNECTION LIMIT -1")
            let login = try await api.login("before@example.com")
            #expect(login.status == 200)
        }
        try await admin.execute(raw: "DROP DATABASE \(name) WITH (FORCE)")
        try await admin.execute(raw: "DROP ROLE \(role)")
        try await admin.close()
    }
}
