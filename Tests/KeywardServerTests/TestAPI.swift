import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KeywardCore
import KeywardServer
import KeywardTestSupport
import NIOCore

/// A decoded answer from the server.
struct Reply {
    let status: Int
    let headers: HTTPFields
    let text: String

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    var list: [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String: Any]] ?? []
    }

    subscript(key: String) -> Any? { json[key] }

    var code: String? { json["code"] as? String }
}

/// Requests against a running test application.
struct TestAPI {
    let client: any TestClientProtocol

    func call(_ method: HTTPRequest.Method, _ path: String, json: [String: Any]? = nil, body: String? = nil,
              token: String? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        var fields = headers
        var buffer: ByteBuffer?
        if let json {
            buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            fields[.contentType] = "application/json"
        } else if let body {
            buffer = ByteBuffer(string: body)
            if fields[.contentType] == nil { fields[.contentType] = "application/json" }
        }
        if let token { fields[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: path, method: method, headers: fields, body: buffer) { response in
            Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: response.body))
        }
    }

    /// The newest code sent to `destination`, waiting for the outbox to deliver it (at most 5 s).
    func newestCode(for destination: String, after previous: String? = nil) async throws -> String {
        for _ in 0..<250 {
            let messages = try await call(.get, "/dev/mailbox.json").list
            if let code = messages.first(where: { $0["to"] as? String == destination })?["code"] as? String,
               code != previous {
                return code
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("no code reached \(destination)")
    }

    /// Every message delivered to `destination`, newest first.
    func messages(to destination: String) async throws -> [[String: Any]] {
        try await call(.get, "/dev/mailbox.json").list.filter { $0["to"] as? String == destination }
    }

    /// Registers and returns the registration id.
    func register(_ identifier: String, password: String = "Tr4velling-Lynx") async throws -> String {
        let reply = try await call(.post, "/api/v1/registrations", json: ["identifier": identifier, "password": password])
        guard reply.status == 201, let id = reply["registrationId"] as? String else {
            throw TestFailure("registration failed: \(reply.status) \(reply.text)")
        }
        return id
    }

    /// Registers, verifies with the mailed code, and returns the account id and session token.
    func registerAndVerify(_ identifier: String, password: String = "Tr4velling-Lynx",
                           destination: String? = nil) async throws -> (accountId: String, token: String) {
        let id = try await register(identifier, password: password)
        let code = try await newestCode(for: destination ?? identifier.lowercased())
        let reply = try await call(.post, "/api/v1/registrations/\(id)/verify", json: ["code": code])
        guard reply.status == 200, let accountId = reply["accountId"] as? String,
              let token = (reply["session"] as? [String: Any])?["token"] as? String
        else { throw TestFailure("verification failed: \(reply.status) \(reply.text)") }
        return (accountId, token)
    }

    /// Signs in and returns the reply.
    func login(_ identifier: String, _ password: String = "Tr4velling-Lynx", deviceName: String? = nil) async throws -> Reply {
        var body: [String: Any] = ["identifier": identifier, "password": password]
        if let deviceName { body["deviceName"] = deviceName }
        return try await call(.post, "/api/v1/login", json: body)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Builds the real application with `config` and `clock`, runs it live on an ephemeral port, and
/// hands `body` a client for it.
func withKeyward<T: Sendable>(
    _ config: KeywardConfig = .testing(), clock: TestClock = TestClock(),
    _ body: @escaping @Sendable (TestAPI, KeywardServices) async throws -> T
) async throws -> T {
    let (application, services) = try await buildApplication(config: config, clock: clock)
    return try await application.test(.live) { client in
        try await body(TestAPI(client: client), services)
    }
}

/// ``withKeyward(_:clock:_:)`` for tests that return nothing.
func withKeyward(
    _ config: KeywardConfig = .testing(), clock: TestClock = TestClock(),
    _ body: @escaping @Sendable (TestAPI, KeywardServices) async throws -> Void
) async throws {
    let (application, services) = try await buildApplication(config: config, clock: clock)
    try await application.test(.live) { client in
        try await body(TestAPI(client: client), services)
    }
}
