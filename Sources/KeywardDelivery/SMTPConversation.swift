import Foundation
import KeywardCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One SMTP session (RFC 5321) that hands one message to the mail server: greeting, EHLO,
/// STARTTLS (RFC 3207) or implicit TLS, AUTH PLAIN or LOGIN (RFC 4954), MAIL, RCPT, DATA, QUIT.
///
/// Failures are ``DeliveryFailure``s: a 5xx answer to RCPT or to the message itself is permanent
/// (the server will not take this message); everything else — connection trouble, 4xx answers,
/// a refused login, a server without STARTTLS — is temporary, so the outbox retries. No error
/// or log line ever holds the password or the message's text.
struct SMTPConversation: Sendable {
    let settings: SMTPSettings
    /// The TLS client context, or `nil` when `security` is `none`.
    let tls: NIOSSLContext?

    /// Delivers `data` (a rendered message with CRLF line ends) from `sender` to `recipient`,
    /// giving up after `settings.timeout` seconds. Once the server has accepted the message this
    /// returns normally, whatever happens while saying goodbye, so a message is never sent twice
    /// because the connection was slow to close.
    func deliver(sender: String, recipient: String, data: String) async throws {
        let timeout = settings.timeout
        let accepted = Acceptance()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await converse(sender: sender, recipient: recipient, data: data, accepted: accepted) }
                group.addTask {
                    try await Task.sleep(for: .seconds(timeout))
                    throw DeliveryFailure("the mail server \(settings.host) did not finish within \(Int(timeout)) seconds", permanent: false)
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } catch let failure as DeliveryFailure {
            if !accepted.value { throw failure }
        } catch {
            if !accepted.value {
                throw DeliveryFailure("the conversation with the mail server \(settings.host) failed: \(error)", permanent: false)
            }
        }
    }

    private func converse(sender: String, recipient: String, data: String, accepted: Acceptance) async throws {
        let channel = try await connect()
        try await channel.executeThenClose { inbound, outbound in
            var session = Session(replies: SMTPReplyReader(inbound), outbound: outbound, host: settings.host)
            try await session.expect(220, after: "connecting")
            var extensions = try await session.hello(settings.heloName)
            if settings.security == .starttls {
                guard extensions.keys.contains("STARTTLS") else {
                    throw DeliveryFailure("the mail server \(settings.host) does not offer STARTTLS; mail is never sent to it unencrypted", permanent: false)
                }
                try await session.command("STARTTLS", expect: 220, after: "STARTTLS")
                try await startTLS(on: channel.channel)
                extensions = try await session.hello(settings.heloName)
            }
            if let username = settings.username, let password = settings.password {
                try await session.authenticate(username: username, password: password,
                                               mechanisms: extensions["AUTH"] ?? [])
            }
            try await session.command("MAIL FROM:<\(sender)>", expect: 250, after: "MAIL FROM")
            try await session.command("RCPT TO:<\(recipient)>", expect: 250...251, after: "RCPT TO", permanentWhenRefused: true)
            try await session.command("DATA", expect: 354, after: "DATA")
            try await session.send(Self.dotStuffed(data) + ".\r\n")
            try await session.expect(250, after: "the message", permanentWhenRefused: true)
            accepted.value = true
            // The message is accepted; a failed goodbye changes nothing.
            _ = try? await session.command("QUIT", expect: 221, after: "QUIT")
        }
    }

    private func connect() async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let tls = settings.security == .tls ? self.tls : nil
        let host = settings.host
        do {
            return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(Int64(min(settings.timeout, 15))))
                .connect(host: host, port: settings.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(
                                NIOSSLClientHandler(context: tls, serverHostname: host))
                        }
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw DeliveryFailure("could not connect to the mail server \(host):\(settings.port): \(error)", permanent: false)
        }
    }

    /// Puts TLS under the conversation after the server's 220 to STARTTLS; nothing is written in
    /// the clear after that point.
    private func startTLS(on channel: any Channel) async throws {
        guard let tls else { return }
        let host = settings.host
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: host),
                                                           position: .first)
        }.get()
    }

    /// RFC 5321 section 4.5.2: a line starting with "." gets another, so the message cannot end
    /// the data early.
    static func dotStuffed(_ data: String) -> String {
        var text = data.hasSuffix("\r\n") ? data : data + "\r\n"
        if text.hasPrefix(".") { text = "." + text }
        return text.replacingOccurrences(of: "\r\n.", with: "\r\n..")
    }

    /// Whether the server has taken the message, shared with the timeout.
    private final class Acceptance: Sendable {
        private let state = Mutex(false)
        var value: Bool {
            get { state.withLock { $0 } }
            set { state.withLock { $0 = newValue } }
        }
    }

    /// The commands and replies of one connection.
    private struct Session {
        var replies: SMTPReplyReader
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        let host: String

        mutating func send(_ text: String) async throws {
            try await outbound.write(ByteBuffer(string: text))
        }

        @discardableResult
        mutating func expect(_ accepted: ClosedRange<Int>, after step: String, permanentWhenRefused: Bool = false) async throws -> SMTPReply {
            let reply = try await replies.next()
            guard accepted.contains(reply.code) else {
                throw DeliveryFailure("the mail server \(host) answered \(step) with \(reply.summary)",
                                      permanent: permanentWhenRefused && reply.code >= 500)
            }
            return reply
        }

        @discardableResult
        mutating func expect(_ accepted: Int, after step: String, permanentWhenRefused: Bool = false) async throws -> SMTPReply {
            try await expect(accepted...accepted, after: step, permanentWhenRefused: permanentWhenRefused)
        }

        /// Sends `line` and checks the reply; `step` names it in errors instead of the line, which
        /// may hold credentials.
        @discardableResult
        mutating func command(_ line: String, expect accepted: ClosedRange<Int>, after step: String,
                              permanentWhenRefused: Bool = false) async throws -> SMTPReply {
            try await send(line + "\r\n")
            return try await expect(accepted, after: step, permanentWhenRefused: permanentWhenRefused)
        }

        @discardableResult
        mutating func command(_ line: String, expect accepted: Int, after step: String,
                              permanentWhenRefused: Bool = false) async throws -> SMTPReply {
            try await command(line, expect: accepted...accepted, after: step, permanentWhenRefused: permanentWhenRefused)
        }

        /// EHLO; returns the offered extensions, keyword to parameters.
        mutating func hello(_ name: String) async throws -> [String: [String]] {
            let reply = try await command("EHLO \(name)", expect: 250, after: "EHLO")
            var extensions: [String: [String]] = [:]
            for line in reply.lines.dropFirst() {
                let words = line.split(separator: " ").map { String($0).uppercased() }
                if let keyword = words.first { extensions[keyword] = Array(words.dropFirst()) }
            }
            return extensions
        }

        /// AUTH PLAIN when offered, otherwise AUTH LOGIN.
        mutating func authenticate(username: String, password: String, mechanisms: [String]) async throws {
            if mechanisms.contains("PLAIN") {
                let token = Data("\0\(username)\0\(password)".utf8).base64EncodedString()
                try await command("AUTH PLAIN \(token)", expect: 235, after: "AUTH PLAIN")
            } else if mechanisms.contains("LOGIN") {
                try await command("AUTH LOGIN", expect: 334, after: "AUTH LOGIN")
                try await command(Data(username.utf8).base64EncodedString(), expect: 334, after: "the user name")
                try await command(Data(password.utf8).base64EncodedString(), expect: 235, after: "the password")
            } else {
                throw DeliveryFailure("the mail server \(host) offers no login Keyward can use (PLAIN or LOGIN); it offers: \(mechanisms.joined(separator: " "))", permanent: false)
            }
        }
    }
}
