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
        "freeze.link_invalid": Entry(
            title: "This link no longer works",
            detail: "Freeze links work once and for 7 days. If you still think someone else is in your account, sign in and freeze it from your account page, or reset your password with \u{201C}Forgot password?\u{201D} and contact support."),
        "restriction.not_found": Entry(
            title: "Nothing to lift",
            detail: "The account has no restriction of that kind in force."),
    ]
}
