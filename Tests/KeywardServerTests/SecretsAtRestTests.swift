import Foundation
import KeywardCore
import KeywardCrypto
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

/// A copy of the database gives away no code and no message text: messages wait sealed, are
/// erased once sent or given up, and the SQLite files are readable by their owner alone.
@Suite struct SecretsAtRestTests {
    /// Every table a secret could end up in.
    static let tables = ["outbox", "flows", "verification_codes", "audit_events", "accounts", "sessions"]

    /// A database both the application and the test can read: a SQLite file of its own, or a
    /// scratch PostgreSQL database.
    static func fileOrScratchURL(_ kind: SQLDialectKind, directory: String) async throws -> String {
        switch kind {
        case .sqlite: return "sqlite://" + directory + "/keyward.sqlite"
        case .postgres: return try await TestDatabases.url(for: .postgres)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aCodeWaitingOnAMailServerThatDefersItIsNowhereInTheDatabaseInClear(kind: SQLDialectKind) async throws {
        let certificate = try TestCertificate()
        let options = certificate.serverOptions + ["--login", "keyward:relay-password", "--defer", "wait@example.org"]
        try await SMTPTestServer.with(options) { smtp in
            var config = EmailDeliveryTests().config(smtpPort: smtp.port, certificate: certificate)
            try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
            config.databaseURL = try await Self.fileOrScratchURL(kind, directory: config.dataDirectory)
            let key = try #require(config.sealingKey)
            let sealing = OutboxSealing(sealer: try #require(Sealer(base64Key: key)))
            let dataDirectory = config.dataDirectory
            try await withKeyward(config) { api, services in
                _ = try await api.register("wait@example.org")
                let outbox = services.database.stores.outbox
                let account = try await services.database.stores.accounts.find(identifier: .init(kind: .email, value: "wait@example.org"))
                let accountId = try #require(account?.id)
                var deferred: OutboxDelivery?
                for _ in 0..<250 {
                    deferred = try await outbox.recent(accountId: accountId, limit: 1).first?.delivery
                    if deferred?.state == .retrying { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(deferred?.state == .retrying)
                #expect(deferred?.lastError?.contains("451") == true)

                // The test holds the sealing key, so it can read what the server cannot leave in clear.
                let database = try #require(services.database as? SQLKeywardDatabase)
                let queued = try #require(try await outbox.claimDue(now: api.clock.now().addingTimeInterval(7200),
                                                                     leaseUntil: api.clock.now().addingTimeInterval(7300),
                                                                     limit: 10, excluding: []).first)
                #expect(queued.code == nil)
                let body = try sealing.open(queued).body
                let code = String(try #require(body.firstMatch(of: /\b(\d{6})\b/)?.1))
                let sentence = try #require(body.split(separator: "\n").first { $0.contains(code) }).description

                for table in Self.tables {
                    for row in try await database.textValues(in: table) {
                        #expect(!row.contains { $0.contains(code) }, "the code is in clear in \(table)")
                        #expect(!row.contains { $0.contains(sentence) }, "the message text is in clear in \(table)")
                    }
                }
                if kind == .sqlite {
                    let base = dataDirectory + "/keyward.sqlite"
                    for file in [base, base + "-wal"] {
                        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                        #expect(bytes.range(of: Data(code.utf8)) == nil, "the code is in clear in \(file)")
                        #expect(bytes.range(of: Data(sentence.utf8)) == nil, "the message text is in clear in \(file)")
                    }
                }
                #expect(try smtp.received().isEmpty)
            }
        }
    }

    @Test func aDeliveredOrAbandonedMessageKeepsOnlyWhatSupportNeeds() async throws {
        let certificate = try TestCertificate()
        let options = certificate.serverOptions + ["--login", "keyward:relay-password", "--refuse", "gone@example.org"]
        try await SMTPTestServer.with(options) { smtp in
            let config = EmailDeliveryTests().config(smtpPort: smtp.port, certificate: certificate)
            try await withKeyward(config) { api, services in
                _ = try await api.register("kept@example.org")
                _ = try await api.register("gone@example.org")
                let database = try #require(services.database as? SQLKeywardDatabase)
                for _ in 0..<250 where try await services.database.stores.outbox.pendingCount() > 0 {
                    try await Task.sleep(for: .milliseconds(20))
                }
                let mail = try #require(try smtp.received().first)
                let code = String(try #require(mail.body.firstMatch(of: /\b(\d{6})\b/)?.1))
                let rows = try await database.textValues(in: "outbox")
                #expect(rows.count == 2)
                for row in rows {
                    #expect(!row.contains { $0.contains(code) || $0.contains("@example.org") && !$0.contains("•") })
                    #expect(row.contains("k•••t@example.org") || row.contains("g•••e@example.org"))
                }
            }
        }
    }

    @Test func theSQLiteFilesAreReadableByTheirOwnerAlone() async throws {
        var config = KeywardConfig.testing()
        config.databaseURL = nil
        let dataDirectory = config.dataDirectory
        try await withKeyward(config) { api, _ in
            _ = try await api.registerAndVerify("files@example.com")
            let base = dataDirectory + "/keyward.sqlite"
            for file in [base, base + "-wal", base + "-shm"] {
                let attributes = try FileManager.default.attributesOfItem(atPath: file)
                #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(file) is not 0600")
            }
            let directory = try FileManager.default.attributesOfItem(atPath: dataDirectory)
            #expect((directory[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        }
    }

    @Test func aSQLiteFileLeftReadableByAnEarlierRunIsMadePrivate() async throws {
        var config = KeywardConfig.testing()
        config.databaseURL = nil
        try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
        let base = config.dataDirectory + "/keyward.sqlite"
        #expect(FileManager.default.createFile(atPath: base, contents: nil, attributes: [.posixPermissions: 0o644]))
        try await withKeyward(config) { _, _ in
            let attributes = try FileManager.default.attributesOfItem(atPath: base)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aPendingRegistrationKeepsItsPasswordHashOutOfTheFlowPayload(kind: SQLDialectKind) async throws {
        let config = KeywardConfig.testing(databaseURL: try await TestDatabases.url(for: kind))
        try await withKeyward(config) { api, services in
            _ = try await api.register("pending@example.com")
            let database = try #require(services.database as? SQLKeywardDatabase)
            let flows = try await database.textValues(in: "flows")
            #expect(flows.count == 1)
            // The hash sits in its own column, and never in the payload.
            #expect(flows[0].contains { $0.hasPrefix("$argon2id$") })
            #expect(!flows[0].contains { $0.hasPrefix("{") && $0.contains("argon2") })
            _ = try await api.registerAndVerify("done@example.com")
            let all = try await database.textValues(in: "flows")
            #expect(all.filter { $0.contains { $0.hasPrefix("$argon2id$") } }.count == 1)
        }
    }
}
