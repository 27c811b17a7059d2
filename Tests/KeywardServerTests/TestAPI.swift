import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KeywardCore
import KeywardServer
import KeywardTestSupport
import NIOCore
import Testing

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

    /// The CSRF cookie this page sets (as a `Cookie` header value) and the token its forms carry.
    func csrf() throws -> (cookie: String, token: String) {
        let cookie = try #require(headers[values: .setCookie].first { $0.hasPrefix("__Host-keyward_csrf=") })
        let field = try #require(text.range(of: #"name="csrf" value="[0-9a-f]+""#, options: .regularExpression))
        return (String(cookie.split(separator: ";")[0]), String(text[field].split(separator: "\"")[3]))
    }
}

/// Requests against a running test application.
struct TestAPI {
    let client: any TestClientProtocol
    /// The clock the application reads.
    let clock: TestClock

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

    /// A code sent to `destination` other than `previous`, waiting for the outbox to deliver it (at
    /// most 5 s). Messages sent at the same instant of the test clock come back in no set order, so
    /// callers name the code they already know rather than rely on order.
    func newestCode(for destination: String, after previous: String? = nil) async throws -> String {
        try await newestCode(for: destination, excluding: previous.map { [$0] } ?? [])
    }

    /// A code sent to `destination` that is not in `known`, waiting for it (at most 5 s).
    func newestCode(for destination: String, excluding known: Set<String>) async throws -> String {
        for _ in 0..<250 {
            let messages = try await call(.get, "/dev/mailbox.json").list
            for message in messages where message["to"] as? String == destination {
                if let code = message["code"] as? String, !code.isEmpty, !known.contains(code) { return code }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("no code reached \(destination)")
    }

    /// Every code delivered to `destination` so far.
    func knownCodes(to destination: String) async throws -> Set<String> {
        Set(try await messages(to: destination).compactMap { $0["code"] as? String }.filter { !$0.isEmpty })
    }

    /// Every message delivered to `destination`, newest first.
    func messages(to destination: String) async throws -> [[String: Any]] {
        try await call(.get, "/dev/mailbox.json").list.filter { $0["to"] as? String == destination }
    }

    /// Registers and returns the registration id.
    /// The newest message to `destination` whose subject contains `subject` and whose body contains
    /// `body` (each when given), waiting for the outbox to deliver it (at most 5 s); `nil` if none came.
    func message(to destination: String, subject: String? = nil, body: String? = nil) async throws -> [String: Any]? {
        for _ in 0..<250 {
            if let found = try await messages(to: destination).first(where: { message in
                subject.map { (message["subject"] as? String)?.contains($0) == true } ?? true
                    && body.map { (message["body"] as? String)?.contains($0) == true } ?? true
            }) {
                return found
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

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

    /// Both steps of a sign-in: the password, then a code by email or SMS (the first offered), waiting
    /// out the resend interval on the clock when a code went to the destination just before. Returns
    /// the last reply: the session on success, or the refusal of whichever step refused.
    func signIn(_ identifier: String, _ password: String = "Tr4velling-Lynx", deviceName: String? = nil,
                deviceId: String? = nil, destination: String? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        let first = try await login(identifier, password, deviceName: deviceName, deviceId: deviceId, headers: headers)
        guard first.status == 200, let flowId = first["flowId"] as? String,
              let method = (first["methods"] as? [String])?.first(where: { $0 != "totp" })
        else { return first }
        let to = destination ?? identifier.lowercased()
        let known = try await knownCodes(to: to)
        let sent = try await sendCode(flowId: flowId, path: "login", channel: method == "sms_code" ? "sms" : "email",
                                      headers: headers)
        guard sent.status == 202 else { return sent }
        let code = try await newestCode(for: to, excluding: known)
        return try await call(.post, "/api/v1/login/\(flowId)/verify", json: ["method": method, "code": code], headers: headers)
    }

    /// Asks for a code in a second-factor flow (`login` or `account/reauth`), first moving the clock
    /// past the resend interval when the destination had a code moments ago.
    func sendCode(flowId: String, path: String, channel: String, token: String? = nil,
                  headers: HTTPFields = [:]) async throws -> Reply {
        let reply = try await call(.post, "/api/v1/\(path)/\(flowId)/send-code", json: ["channel": channel], token: token,
                                   headers: headers)
        guard reply.code == "code.resend_too_soon", let wait = reply["retryAfter"] as? Int else { return reply }
        clock.advance(by: TimeInterval(wait))
        return try await call(.post, "/api/v1/\(path)/\(flowId)/send-code", json: ["channel": channel], token: token,
                              headers: headers)
    }

    /// The session token of a successful ``signIn(_:_:deviceName:destination:)``.
    func signedInToken(_ identifier: String, _ password: String = "Tr4velling-Lynx", deviceName: String? = nil) async throws -> String {
        let reply = try await signIn(identifier, password, deviceName: deviceName)
        guard let token = (reply["session"] as? [String: Any])?["token"] as? String else {
            throw TestFailure("sign-in failed: \(reply.status) \(reply.text)")
        }
        return token
    }

    /// The password step of a sign-in, returning the reply.
    func login(_ identifier: String, _ password: String = "Tr4velling-Lynx", deviceName: String? = nil,
               deviceId: String? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        var body: [String: Any] = ["identifier": identifier, "password": password]
        if let deviceName { body["deviceName"] = deviceName }
        if let deviceId { body["deviceId"] = deviceId }
        return try await call(.post, "/api/v1/login", json: body, headers: headers)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Builds the real application with `config` and `clock`, runs it live on an ephemeral port, and
/// hands `body` a client for it. A scratch PostgreSQL database in `config` is dropped afterwards,
/// unless `keepDatabase` (for a test that runs a second application on it).
func withKeyward<T: Sendable>(
    _ config: KeywardConfig = .testing(), clock: TestClock = TestClock(), keepDatabase: Bool = false,
    _ body: @escaping @Sendable (TestAPI, KeywardServices) async throws -> T
) async throws -> T {
    let result: Result<T, any Error>
    do {
        let (application, services) = try await buildApplication(config: config, clock: clock)
        result = .success(try await application.test(.live) { client in
            try await body(TestAPI(client: client, clock: clock), services)
        })
    } catch {
        result = .failure(error)
    }
    if !keepDatabase { try await TestDatabases.dropIfScratch(config.databaseURL) }
    return try result.get()
}

/// ``withKeyward(_:clock:keepDatabase:_:)`` for tests that return nothing.
func withKeyward(
    _ config: KeywardConfig = .testing(), clock: TestClock = TestClock(), keepDatabase: Bool = false,
    _ body: @escaping @Sendable (TestAPI, KeywardServices) async throws -> Void
) async throws {
    _ = try await withKeyward(config, clock: clock, keepDatabase: keepDatabase) { api, services -> Bool in
        try await body(api, services)
        return true
    }
}
