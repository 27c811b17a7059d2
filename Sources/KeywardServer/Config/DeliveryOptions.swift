public import Foundation
public import KeywardDelivery

/// The `delivery.smtp.*` keys as given. ``KeywardConfig/smtpSettings()`` checks them together.
public struct SMTPOptions: Sendable {
    /// The mail server, or `nil` for no SMTP delivery.
    public var host: String?
    /// Its port; `nil` means 465 for implicit TLS and 587 otherwise.
    public var port: Int?
    /// STARTTLS (default), implicit TLS, or none (a relay on this machine only).
    public var security: SMTPSettings.Security = .starttls
    /// The login, if the server wants one.
    public var username: String?
    /// Its password.
    public var password: String?
    /// The `From:` of every email.
    public var from: String?
    /// The name given in `EHLO`; `nil` means the host of the public URL.
    public var heloName: String?
    /// A PEM file of trusted certificates replacing the system's, or `nil`.
    public var trustRoots: String?
    /// Seconds one message's conversation may take.
    public var timeout: TimeInterval = 30

    /// No SMTP delivery.
    public init() {}
}

/// The `delivery.sms.*` keys as given. ``KeywardConfig/smsWebhookSettings()`` checks them.
public struct SMSWebhookOptions: Sendable {
    /// The gateway endpoint, or `nil` for no SMS delivery.
    public var url: String?
    /// Its bearer token, if it wants one.
    public var token: String?
    /// Seconds one request may take.
    public var timeout: TimeInterval = 15

    /// No SMS delivery.
    public init() {}
}

extension KeywardConfig {
    /// The SMS gateway settings in force, or `nil` when none is configured. Throws a
    /// ``StartupError`` naming the key to fix.
    public func smsWebhookSettings() throws -> SMSWebhookSettings? {
        guard let url = sms.url, !url.isEmpty else { return nil }
        do {
            return try SMSWebhookSettings(url: url, token: sms.token, timeout: sms.timeout)
        } catch {
            throw StartupError("\(error)")
        }
    }

    /// The SMTP settings in force, or `nil` when no mail server is configured. Throws a
    /// ``StartupError`` naming the key to fix when the settings cannot be used together.
    public func smtpSettings() throws -> SMTPSettings? {
        guard let host = smtp.host, !host.isEmpty else { return nil }
        guard let fromText = smtp.from, !fromText.isEmpty else {
            throw StartupError("delivery.smtp.from is required with delivery.smtp.host: the address every email comes from, such as \"Example Security <security@example.com>\"")
        }
        do {
            return try SMTPSettings(
                host: host, port: smtp.port ?? (smtp.security == .tls ? 465 : 587), security: smtp.security,
                username: smtp.username, password: smtp.password, from: try MailAddress(parsing: fromText),
                heloName: smtp.heloName ?? URL(string: effectivePublicURL)?.host ?? "localhost",
                trustRootsFile: smtp.trustRoots, timeout: smtp.timeout)
        } catch let invalid as MailAddress.Invalid {
            throw StartupError("delivery.smtp.from: \(invalid)")
        } catch {
            throw StartupError("\(error)")
        }
    }
}
