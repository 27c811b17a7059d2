public import Foundation

/// Where Keyward posts the SMS it sends: an HTTPS endpoint of the platform's SMS gateway (or of
/// an adapter in front of a provider), which receives `{"messageId", "to", "text"}` as JSON.
public struct SMSWebhookSettings: Sendable {
    /// Settings that would expose messages or cannot work.
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        /// One line naming the setting and what to do instead.
        public let description: String
    }

    /// The endpoint.
    public let url: URL
    /// Sent as `Authorization: Bearer …` when set.
    public let token: String?
    /// Seconds one request may take.
    public let timeout: TimeInterval

    /// Settings checked: the URL must be `https`, or `http` only to this machine, since the
    /// messages carry sign-in codes.
    public init(url text: String, token: String?, timeout: TimeInterval) throws {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty,
              scheme == "https" || scheme == "http" else {
            throw Invalid(description: "delivery.sms.webhookURL: \(text) is not an http(s) URL such as https://sms.example.com/send")
        }
        guard scheme == "https" || isLoopbackHost(host) else {
            throw Invalid(description: "delivery.sms.webhookURL must use https (plain http only to this machine): messages carry sign-in codes")
        }
        self.url = url
        self.token = token
        self.timeout = timeout
    }
}
