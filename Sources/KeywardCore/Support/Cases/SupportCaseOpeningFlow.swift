/// A case opened from the "Can't sign in?" page, without the password: it waits for the code sent
/// to the email address or phone number the person gave, and becomes the case (under the same id)
/// when the code is right.
public enum SupportCaseOpeningFlow: FlowKind {
    /// Where the opening stands.
    public enum State: String, Sendable {
        /// The code was sent (or, for an identifier no account has, pretended to be).
        case codeSent = "code_sent"
        /// The code was right and the case opened.
        case completed
    }

    /// What the opening remembers until the code comes.
    public struct Context: Codable, Sendable, Equatable {
        /// What the person needs help with.
        public var topic: SupportCase.Topic
        /// The person's own words.
        public var description: String
    }

    public static let kind = Flow.Kind.supportCaseOpening
    public static let completedState = State.completed
    public static let errors = FlowErrors(notFound: .caseNotFound, expired: .caseOpeningExpired,
                                          completed: .caseOpeningCompleted)
}

/// The limits of the support desk.
public struct SupportSettings: Sendable, Equatable {
    /// The largest document accepted, in bytes (default 10 MiB).
    public var maxDocumentBytes: Int
    /// The most documents one case may hold (default 10).
    public var maxDocuments: Int
    /// Hours support has to answer a case sent for review (default 48).
    public var responseHours: Int
    /// Days a closed case's documents are kept before their content is erased (default 90).
    public var documentRetentionDays: Int
    /// Cases one account may open a day (default 5).
    public var casesPerAccountPerDay: Int

    /// The defaults.
    public init(maxDocumentBytes: Int = 10 << 20, maxDocuments: Int = 10, responseHours: Int = 48,
                documentRetentionDays: Int = 90, casesPerAccountPerDay: Int = 5) {
        self.maxDocumentBytes = maxDocumentBytes
        self.maxDocuments = maxDocuments
        self.responseHours = responseHours
        self.documentRetentionDays = documentRetentionDays
        self.casesPerAccountPerDay = casesPerAccountPerDay
    }
}
