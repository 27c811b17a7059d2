import ArgumentParser
import Foundation
import Hummingbird
import KeywardServer
import KeywardDelivery
import KeywardStorage
import Logging

/// The `keyward` command: serve, migrate, list configuration, and manage support staff.
@main
struct Keyward: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyward",
        abstract: "Keyward, a self-hosted account-security server.",
        subcommands: [Serve.self, Migrate.self, ConfigList.self, StaffCommand.self],
        defaultSubcommand: Serve.self)
}

/// Options shared by every command that reads configuration.
struct ConfigOptions: ParsableArguments {
    @Option(help: "Address to listen on (KEYWARD_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (KEYWARD_PORT; default 8080).")
    var port: Int?

    @Option(name: .customLong("data-dir"), help: "Data directory for SQLite and generated keys (KEYWARD_DATA_DIR; default ./.keyward).")
    var dataDir: String?

    @Option(help: "Database URL, postgres://user:pass@host/db or sqlite:///path (KEYWARD_DATABASE_URL; default SQLite in the data directory).")
    var database: String?

    @Option(help: "development or production (KEYWARD_MODE; default development).")
    var mode: String?

    @Option(help: "A JSON file of configuration keys (see `keyward config`).")
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Set any configuration key, e.g. --set login.revealAccountExistence=false.", valueName: "key=value"))
    var settings: [String] = []

    /// Defaults, then the file, then the environment, then the command line.
    func load() throws -> KeywardConfig {
        var result = KeywardConfig()
        if let config { try result.apply(file: config) }
        try result.apply(environment: ProcessInfo.processInfo.environment)
        if let host { try result.set("server.host", to: host) }
        if let port { try result.set("server.port", to: String(port)) }
        if let dataDir { try result.set("storage.dataDir", to: dataDir) }
        if let database { try result.set("storage.databaseURL", to: database) }
        if let mode { try result.set("mode", to: mode) }
        for setting in settings {
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--set takes key=value, got \(setting)") }
            try result.set(parts[0], to: parts[1])
        }
        return result
    }
}

/// The application for `config`, or a one-line reason and exit status 1.
func buildOrFail(_ config: KeywardConfig) async -> (application: some ApplicationProtocol, services: KeywardServices) {
    do {
        return try await buildApplication(config: config)
    } catch {
        fail(error)
    }
}

/// Writes a line to standard output at once (unbuffered, so it shows even when piped).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Prints a configuration problem in one line and exits non-zero.
func fail(_ error: any Error) -> Never {
    FileHandle.standardError.write(Data("keyward: \(error)\n".utf8))
    exit(1)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (the default command).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config: KeywardConfig
        do { config = try options.load() } catch { fail(error) }
        let built = await buildOrFail(config)
        let dataPath = URL(fileURLWithPath: config.dataDirectory).standardizedFileURL.path
        say("Keyward listening on http://\(config.host):\(config.port) (\(config.mode.rawValue) mode)")
        say("Data directory: \(dataPath)")
        say("Database: \(config.databaseURL == nil ? "SQLite at \(dataPath)/keyward.sqlite" : "PostgreSQL")")
        let smtp = try? config.smtpSettings()
        let sms = try? config.smsWebhookSettings()
        if let smtp {
            say("Email: SMTP to \(smtp.host):\(smtp.port) (\(smtp.security.rawValue)) from \(smtp.from.address)")
        }
        if let sms {
            say("SMS: posted to the gateway at \(sms.url.host ?? sms.url.absoluteString)")
        }
        let undelivered = [smtp == nil ? "email" : nil, sms == nil ? "SMS" : nil].compactMap { $0 }.joined(separator: " and ")
        if !undelivered.isEmpty {
            if config.usesDevelopmentMailbox {
                say("Development mailbox (\(undelivered)): http://\(config.host):\(config.port)/dev/mailbox")
            } else {
                say("Warning: no \(undelivered) delivery is configured; those codes and notices wait in the outbox and are retried until it is.")
            }
        }
        let openFiles = OpenFileLimit.raise(toHold: config.maxConnections)
        if openFiles < config.maxConnections + OpenFileLimit.reserve {
            say("Warning: this process may open only \(openFiles) files, fewer than server.maxConnections (\(config.maxConnections)) needs; raise the limit (ulimit -n) or lower server.maxConnections, or connections beyond it wait unanswered.")
        }
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(config.host)
        if !loopback && !config.effectivePublicURL.hasPrefix("https://") {
            say("Warning: browsers keep Keyward's Secure cookies over plain HTTP only on localhost; serve it behind HTTPS and set KEYWARD_PUBLIC_URL=https://…, or sign-in pages will report that cookies are disabled.")
        }
        try await built.application.runService()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply database migrations and exit.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config: KeywardConfig
        do { config = try options.load() } catch { fail(error) }
        do {
            if config.databaseURL == nil {
                try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            }
            let database = try await DatabaseConnector.open(url: config.effectiveDatabaseURL, logger: Logger(label: "keyward.migrate"))
            let applied = try await database.migrate()
            try await database.close()
            print(applied.isEmpty ? "Migrations: nothing to apply." : "Migrations applied: \(applied.map(String.init).joined(separator: ", ")).")
        } catch {
            fail(error)
        }
    }
}

struct ConfigList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "List every configuration key.")

    func run() async throws {
        for key in ConfigKey.all {
            print("\(key.name)\n    env \(key.environment)\n    \(key.summary)")
        }
    }
}
