extension MessageCatalogue {
    /// Sentences for restricted and frozen accounts.
    static let englishRestrictions: [String: Entry] = [
        "account.restricted": Entry(
            title: "Account restricted",
            detail: "Risk control restricted your account to protect it, so it cannot sign in and withdrawals are paused. Open a support request about a restricted account; support will review it and tell you what they need."),
        "account.frozen": Entry(
            title: "Account frozen",
            detail: "This account is frozen, as its owner asked, so nobody can sign in. To unfreeze it, open a support request about a frozen account with a photo of your identity document and a selfie.",
            action: "Ask support to unfreeze it"),
        "restriction.not_found": Entry(
            title: "Nothing to lift",
            detail: "The account has no restriction of that kind in force."),
    ]
}
