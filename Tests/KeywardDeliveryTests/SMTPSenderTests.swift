import Foundation
import Glibc
import KeywardCore
import KeywardDelivery
import KeywardTestSupport
import Testing

@Suite("SMTP delivery to a real mail server")
struct SMTPSenderTests {
    let clock = TestClock()
    let from = try! MailAddress(parsing: "Example Exchange Security <security@example.test>")

    func settings(port: Int, security: SMTPSettings.Security = .starttls, login: (String, String)? = nil,
                  trust: TestCertificate? = nil, timeout: TimeInterval = 10) throws -> SMTPSettings {
        try SMTPSettings(host: "localhost", port: port, security: security, username: login?.0, password: login?.1,
                         from: from, heloName: "keyward.test", trustRootsFile: trust?.certificate, timeout: timeout)
    }

    func message(to destination: String = "ana@example.org", subject: String = "Your sign-in code",
                 body: String = "Your code is 123456.") -> OutboxMessage {
        OutboxMessage(id: "m\(UInt64.random(in: 1...UInt64.max))", channel: .email, destination: destination,
                      subject: subject, body: body, code: nil, accountId: nil, createdAt: clock.now())
    }

    @Test func aMessageCrossesStartTLSAndALoginAndArrivesExactlyAsWritten() async throws {
        let certificate = try TestCertificate()
        let body = """
            Your anti-phishing code: Grüße-42

            Übermäßig lange Zeile, die weit über sechsundsiebzig Zeichen hinausgeht, damit weiche Umbrüche nötig werden — 🔐 ok.
            .a line that starts with a dot
            .
            trailing spaces stay   
            = signs = stay =3D
            """
        let subject = "Sicherheitshinweis: Ihr Konto wurde gesperrt — bitte prüfen Sie die letzten Anmeldungen 🔐"
        try await SMTPTestServer.with(certificate.serverOptions + ["--login", "keyward:s3cret pass"]) { server in
            let sender = try SMTPSender(settings: settings(port: server.port, login: ("keyward", "s3cret pass"), trust: certificate), clock: clock)
            let outgoing = message(subject: subject, body: body)
            try await sender.send(outgoing)

            let received = try #require(try server.received().first)
            #expect(received.tls && received.login == "keyward")
            #expect(received.mailFrom == "security@example.test" && received.rcptTos == ["ana@example.org"])
            #expect(received.subject == subject)
            #expect(received.body == body + "\n", "\(Array(received.body.utf8)) \(Array(body.utf8))")
            #expect(received.contentType == "text/plain" && received.charset == "utf-8")
            #expect(received.headers["From"] == "Example Exchange Security <security@example.test>")
            #expect(received.headers["To"] == "ana@example.org")
            #expect(received.headers["Message-ID"] == "<\(outgoing.id)@example.test>")
            #expect(received.headers["Auto-Submitted"] == "auto-generated")
            #expect(received.headers["Date"] == "Mon, 21 Sep 2026 14:13:20 +0000")
            #expect(received.longestLine <= 78)
            // RFC 2045: whitespace ending a line is encoded, or a relay could strip it.
            #expect(received.raw.contains("trailing spaces stay  =20\r\n"))
            #expect(received.raw.unicodeScalars.allSatisfy { $0.isASCII })
        }
    }

    @Test func implicitTLSDeliversFromTheFirstByte() async throws {
        let certificate = try TestCertificate()
        try await SMTPTestServer.with(certificate.serverOptions + ["--implicit-tls"]) { server in
            let sender = try SMTPSender(settings: settings(port: server.port, security: .tls, trust: certificate), clock: clock)
            try await sender.send(message())
            #expect(try server.received().map(\.tls) == [true])
        }
    }

    @Test func aServerWithoutStartTLSNeverGetsTheMessageInTheClear() async throws {
        try await SMTPTestServer.with([]) { server in
            let sender = try SMTPSender(settings: settings(port: server.port), clock: clock)
            let failure = await deliveryFailure { try await sender.send(message()) }
            #expect(failure?.isPermanent == false)
            #expect(failure?.description.contains("does not offer STARTTLS") == true)
            #expect(try server.received().isEmpty)
        }
    }

    @Test func aCertificateThatIsNotTrustedIsRefusedBeforeAnythingIsSent() async throws {
        let certificate = try TestCertificate()
        try await SMTPTestServer.with(certificate.serverOptions) { server in
            // The system's trust roots do not include the test's self-signed certificate.
            let sender = try SMTPSender(settings: settings(port: server.port), clock: clock)
            let failure = await deliveryFailure { try await sender.send(message()) }
            #expect(failure?.isPermanent == false)
            #expect(try server.received().isEmpty)
        }
    }

    @Test func aRecipientRefusedForGoodIsPermanentAndOneRefusedForNowIsRetried() async throws {
        let certificate = try TestCertificate()
        let options = certificate.serverOptions + ["--refuse", "gone@example.org", "--defer", "busy@example.org"]
        try await SMTPTestServer.with(options) { server in
            let sender = try SMTPSender(settings: settings(port: server.port, trust: certificate), clock: clock)
            let gone = await deliveryFailure { try await sender.send(message(to: "gone@example.org")) }
            #expect(gone?.isPermanent == true)
            #expect(gone?.description.contains("550") == true)
            let busy = await deliveryFailure { try await sender.send(message(to: "busy@example.org")) }
            #expect(busy?.isPermanent == false)
            #expect(busy?.description.contains("451") == true)
            #expect(try server.received().isEmpty)
        }
    }

    @Test func aRefusedLoginIsRetriedAndNeverNamesThePassword() async throws {
        let certificate = try TestCertificate()
        try await SMTPTestServer.with(certificate.serverOptions + ["--login", "keyward:right-password"]) { server in
            let sender = try SMTPSender(settings: settings(port: server.port, login: ("keyward", "wrong-password"), trust: certificate), clock: clock)
            let failure = await deliveryFailure { try await sender.send(message()) }
            #expect(failure?.isPermanent == false)
            #expect(failure?.description.contains("AUTH") == true, "\(String(describing: failure))")
            #expect(failure?.description.contains("wrong-password") == false)
            #expect(try server.received().isEmpty)
        }
    }

    @Test func aServerThatNeverAnswersTimesOut() async throws {
        try await SMTPTestServer.with(["--silent"]) { server in
            let sender = try SMTPSender(settings: settings(port: server.port, timeout: 1), clock: clock)
            let started = Date()
            let failure = await deliveryFailure { try await sender.send(message()) }
            #expect(failure?.description.contains("did not finish within 1 seconds") == true)
            // A server that never answers would hold the send forever; a loaded machine may add a
            // few seconds to the one allowed, never twenty.
            #expect(Date().timeIntervalSince(started) < 20)
        }
    }

    @Test func nothingIsSentWhenNoServerListens() async throws {
        // A socket bound to a port but not listening: connections to it are refused, and no
        // other test can take the port meanwhile.
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                try #require(bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0)
            }
        }
        let sender = try SMTPSender(settings: settings(port: Int(UInt16(bigEndian: address.sin_port))), clock: clock)
        let failure = await deliveryFailure { try await sender.send(message()) }
        #expect(failure?.isPermanent == false)
        #expect(failure?.description.contains("could not connect") == true, "\(String(describing: failure))")
    }

    @Test func anAddressThatIsNotAnEmailIsGivenUpOnAtOnce() async throws {
        let sender = try SMTPSender(settings: settings(port: 25), clock: clock)
        let failure = await deliveryFailure { try await sender.send(message(to: "+4915112345678")) }
        #expect(failure?.isPermanent == true)
    }

    @Test func plainSMTPIsOnlyForARelayOnThisMachineAndNeverCarriesAPassword() throws {
        #expect(throws: SMTPSettings.Invalid.self) {
            try SMTPSettings(host: "smtp.example.org", port: 25, security: .none, username: nil, password: nil,
                             from: from, heloName: "k", trustRootsFile: nil, timeout: 10)
        }
        #expect(throws: SMTPSettings.Invalid.self) {
            try SMTPSettings(host: "127.0.0.1", port: 25, security: .none, username: "u", password: "p",
                             from: from, heloName: "k", trustRootsFile: nil, timeout: 10)
        }
        _ = try SMTPSettings(host: "localhost", port: 25, security: .none, username: nil, password: nil,
                             from: from, heloName: "k", trustRootsFile: nil, timeout: 10)
    }

    @Test func fromAddressesAreParsedAndHeaderBreakingTextIsRefused() throws {
        let named = try MailAddress(parsing: "  \"Example\" <no-reply@example.org> ")
        #expect(named.name == "Example" && named.address == "no-reply@example.org" && named.domain == "example.org")
        #expect(try MailAddress(parsing: "no-reply@example.org").name == nil)
        for bad in ["no-reply", "a@b", "a b@example.org", "<a@example.org>\r\nBcc: x@y.org", "a@example.org>", "@example.org"] {
            #expect(throws: MailAddress.Invalid.self) { try MailAddress(parsing: bad) }
        }
    }
}
