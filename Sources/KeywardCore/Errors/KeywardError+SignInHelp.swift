extension KeywardError {
    /// No "Can't sign in?" help has that id.
    public static let helpNotFound = KeywardError(code: "help.not_found", status: 404)
    /// The help waited too long for its code; start again.
    public static let helpExpired = KeywardError(code: "help.expired", status: 410)
    /// The help's code was accepted already and its findings shown; start again to see them anew.
    public static let helpCompleted = KeywardError(code: "help.completed", status: 409)
}

