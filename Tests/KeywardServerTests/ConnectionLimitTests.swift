import Foundation
import HummingbirdTesting
import KeywardServer
import KeywardTestSupport
import Testing

/// Half-sent requests and idle connections are closed, and no one client can hold so many
/// connections that others go unserved. Every client here is a bounded loopback connection.
@Suite struct ConnectionLimitTests {
    static func config(maxConnections: Int = 100, perClient: Int = 50, headerTimeout: TimeInterval = 1) -> KeywardConfig {
        var config = KeywardConfig.testing()
        config.headerTimeout = headerTimeout
        config.idleTimeout = headerTimeout + 1
        config.maxConnections = maxConnections
        config.maxConnectionsPerClient = perClient
        return config
    }

    static let halfRequest = "GET /healthz HTTP/1.1\r\nHost: keyward.test\r\nUser-Agent: slow\r\n"
    static let fullRequest = "GET /healthz HTTP/1.1\r\nHost: keyward.test\r\n\r\n"

    @Test func aHalfSentRequestIsAnswered408AndClosedOnceTheHeaderTimeoutPasses() async throws {
        try await withKeyward(Self.config()) { api, _ in
            let port = try #require(api.client.port)
            let started = ContinuousClock.now
            let half = try RawConnection(port: port)
            half.send(Self.halfRequest)
            let silent = try RawConnection(port: port)
            let (answer, closed) = try await half.read(for: .seconds(6))
            let waited = ContinuousClock.now - started
            #expect(closed)
            #expect(answer.hasPrefix("HTTP/1.1 408"))
            #expect(waited >= .milliseconds(900) && waited < .seconds(5), "closed after \(waited)")
            let (silentAnswer, silentClosed) = try await silent.read(for: .seconds(3))
            #expect(silentClosed)
            #expect(silentAnswer.hasPrefix("HTTP/1.1 408"))

            // Headers that trickle in but arrive within the timeout are served.
            let slow = try RawConnection(port: port)
            slow.send("GET /healthz HTTP/1.1\r\n")
            try await Task.sleep(for: .milliseconds(400))
            slow.send("Host: keyward.test\r\n\r\n")
            #expect(try await slow.read(for: .seconds(3), until: "\r\n\r\n").text.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func aConnectionLeftIdleAfterItsResponseIsClosedAtTheIdleTimeout() async throws {
        try await withKeyward(Self.config()) { api, _ in
            let connection = try RawConnection(port: try #require(api.client.port))
            connection.send(Self.fullRequest)
            #expect(try await connection.read(for: .seconds(3), until: "\r\n\r\n").text.hasPrefix("HTTP/1.1 200"))
            // Still open well after the header timeout: silence between requests is allowed...
            let early = try await connection.read(for: .milliseconds(1300))
            #expect(!early.closed)
            // ...until the idle timeout.
            let late = try await connection.read(for: .seconds(4))
            #expect(late.closed)
        }
    }

    /// Which of `connections` the server answered 503 and closed at once (the server accepts
    /// connections in its own order, so which ones is not known in advance).
    static func refusals(among connections: [RawConnection]) async throws -> (refused: Int, open: [RawConnection]) {
        var refused = 0, open: [RawConnection] = []
        try await Task.sleep(for: .seconds(1))
        for connection in connections {
            let answer = try await connection.read(for: .milliseconds(20))
            if answer.closed {
                #expect(answer.text.hasPrefix("HTTP/1.1 503") && answer.text.contains("Retry-After: 1"), "\(answer.text)")
                refused += 1
            } else {
                #expect(answer.text.isEmpty)
                open.append(connection)
            }
        }
        return (refused, open)
    }

    /// Long enough that no half-sent request of the two tests below times out while they look,
    /// however busy the machine running the whole suite is.
    static let patientHeaderTimeout: TimeInterval = 10

    @Test func oneClientHoldingItsShareOfConnectionsCrowdsOutNoOneElse() async throws {
        try await withKeyward(Self.config(maxConnections: 100, perClient: 5, headerTimeout: Self.patientHeaderTimeout)) { api, _ in
            let port = try #require(api.client.port)
            let hog = try (0..<7).map { _ in try RawConnection(port: port, from: "127.0.0.5") }
            for connection in hog { connection.send(Self.halfRequest) }
            let (refused, held) = try await Self.refusals(among: hog)
            #expect(refused == 2)
            #expect(held.count == 5)

            let other = try RawConnection(port: port, from: "127.0.0.6")
            other.send(Self.fullRequest)
            #expect(try await other.read(for: .seconds(3), until: "\r\n\r\n").text.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func beyondTheServersLimitNewConnectionsAreAnswered503UntilSlotsFree() async throws {
        try await withKeyward(Self.config(maxConnections: 6, perClient: 50, headerTimeout: Self.patientHeaderTimeout)) { api, _ in
            let port = try #require(api.client.port)
            let many = try (0..<9).map { index in try RawConnection(port: port, from: "127.0.1.\(index + 1)") }
            for connection in many { connection.send(Self.halfRequest) }
            // The test client may hold a connection of its own, which counts too.
            let (refused, held) = try await Self.refusals(among: many)
            #expect((3...4).contains(refused))
            #expect(held.count == 9 - refused)
            // The header timeout frees every slot the half-sent requests held.
            for connection in held { #expect(try await connection.read(for: .seconds(Self.patientHeaderTimeout + 5)).closed) }
            let later = try RawConnection(port: port, from: "127.0.2.1")
            later.send(Self.fullRequest)
            #expect(try await later.read(for: .seconds(3), until: "\r\n\r\n").text.hasPrefix("HTTP/1.1 200"))
        }
    }
}
