public import Foundation

/// How Keyward reaches its mail server.
public struct SMTPSettings: Sendable {
    /// How the connection is protected.
    public enum Security: String, Sendable, CaseIterable {
        /// Plain connection upgraded with STARTTLS before anything else is said (port 587).
        /// A server that does not offer STARTTLS is refused, never used in the clear.
        case starttls
        /// TLS from the first byte (port 465).
        case tls
        /// No encryption: only for a relay on this machine (a loopback host), and never with a password.
        case none
    }

    /// Settings that contradict each other or would expose mail or credentials.
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        /// One line naming the setting and what to do instead.
        public let description: String
    }

    /// The mail server's host name (checked against its certificate).
    public var host: String
    /// Its port.
    public var port: Int
    /// STARTTLS, implicit TLS, or none.
    public var security: Security
    /// The account to log in with (AUTH PLAIN or LOGIN), or `nil` for none.
    public var username: String?
    /// Its password.
    public var password: String?
    /// The `From:` of every message and the envelope sender.
    public var from: MailAddress
    /// The name Keyward gives itself in `EHLO`.
    public var heloName: String
    /// A PEM file of certificates to trust instead of the system's (for a private relay), or `nil`.
    public var trustRootsFile: String?
    /// Seconds one message's whole conversation may take.
    public var timeout: TimeInterval

    /// Settings checked for the rules that keep mail and credentials safe.
    public init(host: String, port: Int, security: Security, username: String?, password: String?,
                from: MailAddress, heloName: String, trustRootsFile: String?, timeout: TimeInterval) throws {
        if security == .none && !isLoopbackHost(host) {
            throw Invalid(description: "delivery.smtp.security=none is allowed only for a relay on this machine (localhost, 127.0.0.1 or ::1), not \(host); use starttls or tls")
        }
        if security == .none && username != nil {
            throw Invalid(description: "delivery.smtp.username needs delivery.smtp.security starttls or tls: a password is never sent unencrypted")
        }
        if security != .none && (host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }) {
            throw Invalid(description: "delivery.smtp.host must be the host name the mail server's certificate names, not the address \(host)")
        }
        if (username == nil) != (password == nil) {
            throw Invalid(description: "delivery.smtp.username and delivery.smtp.password are set together or not at all")
        }
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.from = from
        self.heloName = heloName
        self.trustRootsFile = trustRootsFile
        self.timeout = timeout
    }
}

/// Whether `host` names this machine (`localhost`, 127.0.0.0/8 or `::1`): the only place
/// Keyward sends anything unencrypted.
func isLoopbackHost(_ host: String) -> Bool {
    host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
}
