/// Writes the text of every message Keyward sends.
public struct MessageComposer: Sendable {
    /// Why a code is being sent, which decides the wording.
    public enum CodeReason: Sendable {
        case registration
    }

    /// The subject and text of one message.
    public struct Composed: Sendable {
        /// Email subject.
        public let subject: String
        /// Text.
        public let body: String
    }

    /// The platform's name as people know it, shown in every message.
    public let platformName: String

    /// A composer naming `platformName`.
    public init(platformName: String) {
        self.platformName = platformName
    }

    /// The message carrying a one-time code.
    public func codeMessage(code: String, reason: CodeReason, to identifier: Identifier, validMinutes: Int) -> Composed {
        switch (reason, identifier.channel) {
        case (.registration, .email):
            return Composed(
                subject: "\(platformName) verification code: \(code)",
                body: """
                Your \(platformName) verification code is \(code).

                Enter it on the registration page to finish creating your account. It works for \(validMinutes) minutes and only once.

                If you did not try to register, ignore this message; no account is created without the code. \(platformName) staff will never ask you for this code.
                """)
        case (.registration, .sms):
            return Composed(
                subject: "\(platformName) verification code",
                body: "\(platformName): your verification code is \(code). Valid \(validMinutes) min. Never share it, not even with support.")
        }
    }
}
