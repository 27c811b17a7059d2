import Foundation
import Glibc

/// What a test server (a script in `Tests/support`) writes down about each request it accepts.
public protocol RecordedByTestServer: Decodable, Sendable {
    /// The script's file name in `Tests/support`.
    static var script: String { get }
}

/// A real SMTP server (aiosmtpd, `Tests/support/smtp_server.py`), for one test.
public typealias SMTPTestServer = RecordingTestServer<ReceivedMail>

/// A stand-in SMS gateway (a real HTTP server, `Tests/support/sms_gateway.py`), for one test.
public typealias SMSGatewayTestServer = RecordingTestServer<ReceivedSMS>

/// A server from `Tests/support` running in its own process for one test, with what it
/// accepted readable as `Record`s.
public struct RecordingTestServer<Record: RecordedByTestServer>: @unchecked Sendable {
    /// The port it listens on, on 127.0.0.1.
    public let port: Int
    private let process: Process
    private let outbox: URL

    /// Starts the server with the script's `options` and waits until it listens. Blocks its
    /// thread; ``with(_:_:)`` calls it on a thread of its own.
    private init(_ options: [String]) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tests/support/\(Record.script)")
        outbox = FileManager.default.temporaryDirectory.appendingPathComponent("keyward-\(Record.script)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outbox, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, "--out", outbox.path] + options
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                throw ExternalCommand.Failure(description: "\(Record.script) did not start (are the Python packages installed? pip install -r Tests/requirements.txt)")
            }
            line.append(chunk)
        }
        let words = String(decoding: line, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard words.count == 2, words[0] == "ready", let port = Int(words[1]) else {
            throw ExternalCommand.Failure(description: "\(Record.script) said \(String(decoding: line, as: UTF8.self))")
        }
        self.port = port
    }

    /// Everything accepted so far, oldest first.
    public func received() throws -> [Record] {
        let names = try FileManager.default.contentsOfDirectory(atPath: outbox.path)
            .filter { $0.hasSuffix(".json") }.sorted { Int($0.dropLast(5))! < Int($1.dropLast(5))! }
        return try names.map {
            try JSONDecoder().decode(Record.self, from: Data(contentsOf: outbox.appendingPathComponent($0)))
        }
    }

    /// Everything accepted so far once there are at least `count` records, waiting up to 5 seconds for
    /// a sender that works in the background (the outbox).
    public func received(atLeast count: Int) async throws -> [Record] {
        for _ in 0..<250 {
            let messages = try received()
            if messages.count >= count { return messages }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ExternalCommand.Failure(description: "\(Record.script) received \(try received().count) messages, not \(count)")
    }

    /// Ends the server and removes what it wrote. Blocks its thread, as `init` does.
    private func stop() {
        // SIGKILL: the child inherits the test process's blocked signals, SIGTERM among them.
        kill(process.processIdentifier, SIGKILL)
        // Polled rather than waitUntilExit(), which can wait forever off the main thread on Linux.
        for _ in 0..<500 where process.isRunning { usleep(10_000) }
        try? FileManager.default.removeItem(at: outbox)
    }

    /// Runs `body` with a server started with `options`, stopping it afterwards.
    public static func with<T>(_ options: [String], _ body: (RecordingTestServer) async throws -> T) async throws -> T {
        let server = try await onOwnThread { try RecordingTestServer(options) }
        do {
            let result = try await body(server)
            try await onOwnThread { server.stop() }
            return result
        } catch {
            try await onOwnThread { server.stop() }
            throw error
        }
    }

    /// Runs blocking `work` (waiting on a process) on a new thread, so that it never holds one of
    /// the few threads Swift concurrency runs every test's tasks on.
    private static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}

/// What the SMTP server wrote down about one accepted message, decoded by Python's email parser.
public struct ReceivedMail: RecordedByTestServer {
    public static let script = "smtp_server.py"

    /// The envelope sender.
    public let mailFrom: String
    /// The envelope recipients.
    public let rcptTos: [String]
    /// Whether the message came over TLS.
    public let tls: Bool
    /// The user name the client logged in with, if any.
    public let login: String?
    /// Each header, decoded.
    public let headers: [String: String]
    /// The subject, decoded.
    public let subject: String
    /// The text, decoded, with `\n` line ends.
    public let body: String
    /// Such as `text/plain`.
    public let contentType: String
    /// Such as `utf-8`.
    public let charset: String?
    /// The longest line of the message as sent, in bytes.
    public let longestLine: Int
    /// The message as sent.
    public let raw: String
}

/// What the SMS gateway wrote down about one SMS.
public struct ReceivedSMS: RecordedByTestServer {
    public static let script = "sms_gateway.py"

    /// The JSON body Keyward posted.
    public struct Payload: Decodable, Sendable {
        /// The outbox message id.
        public let messageId: String
        /// The phone number.
        public let to: String
        /// The text.
        public let text: String
    }

    /// The request path.
    public let path: String
    /// The request headers, names in lower case.
    public let headers: [String: String]
    /// The body.
    public let payload: Payload
}

/// A self-signed certificate for `localhost`, made with `openssl` for one test.
public struct TestCertificate: Sendable {
    /// The PEM certificate file, also the trust root a client needs.
    public let certificate: String
    /// The PEM private key file.
    public let key: String

    /// Makes a new certificate and key.
    public init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyward-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        certificate = directory.appendingPathComponent("cert.pem").path
        key = directory.appendingPathComponent("key.pem").path
        _ = try ExternalCommand.run([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost"])
    }

    /// The options that make the test server present this certificate.
    public var serverOptions: [String] { ["--cert", certificate, "--key", key] }
}
