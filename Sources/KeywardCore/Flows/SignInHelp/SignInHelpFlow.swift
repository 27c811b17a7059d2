public import Foundation

/// "Can't sign in?": the person gave an email address or phone number and waits for the code sent
/// to it; the right code shows them, in their own words, what stands between them and their account.
public enum SignInHelpFlow: FlowKind {
    /// Where the help stands.
    public enum State: String, Sendable {
        /// The code was sent (or, for an identifier no account has in strict mode, pretended to be).
        case codeSent = "code_sent"
        /// The code was right and the findings were shown.
        case completed
    }

    public typealias Context = NoFlowContext

    public static let kind = Flow.Kind.signInHelp
    public static let completedState = State.completed
    public static let errors = FlowErrors(notFound: .helpNotFound, expired: .helpExpired, completed: .helpCompleted)
}

/// A troubleshooter started: where its code went and when another may be asked for.
public struct SignInHelpStarted: Sendable, Equatable {
    /// The id the code is entered against.
    public let helpId: String
    /// How the code travels: the identifier's own channel.
    public let channel: DeliveryChannel
    /// When another code may be asked for.
    public let resendAvailableAt: Date
}
