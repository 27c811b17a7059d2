extension MessageCatalogue {
    /// Sentences for second factors, re-authentication and security settings.
    static let englishSecurity: [String: Entry] = [
        "second_factor.method_invalid": Entry(
            title: "Unknown verification method",
            detail: "Choose one of the verification methods offered: email_code, sms_code, totp, passkey or recovery_code."),
        "second_factor.method_unavailable": Entry(
            title: "Method not available here",
            detail: "This verification method is not available for this step. Use one of the methods offered; with an authenticator app bound, its code is required."),
        "second_factor.unavailable": Entry(
            title: "No verification method available",
            detail: "Your account has no verified email, phone or authenticator to confirm this step. Contact support to restore access."),
        "second_factor.code_not_sent": Entry(
            title: "No code sent yet",
            detail: "No code has been sent for this step yet. Press \u{201C}Send code\u{201D}, then enter the code from that new message; codes from earlier messages do not work here."),
        "recovery_code.invalid": Entry(
            title: "Wrong recovery code",
            detail: "That is not one of your unused recovery codes. Each code works once; type one from the list you saved when you made them (spaces, dashes and capitals do not matter)."),
        "totp.invalid": Entry(
            title: "Wrong authenticator code",
            detail: "The authenticator code is wrong or has expired. Enter the 6-digit code your app shows now; if codes keep failing, check that your phone's time is set automatically."),
        "totp.clock_skew": Entry(
            title: "Your phone's clock is off",
            detail: "That code was right for a different time: your phone's clock is about {drift}. Set your phone's date and time to automatic (network time), then enter the code the app shows; the code was not accepted and counts as a wrong attempt."),
        "totp.reused": Entry(
            title: "Code already used",
            detail: "This authenticator code was already used. Wait for your app to show the next code, then enter that."),
        "flow.not_found": Entry(
            title: "Step not found",
            detail: "This step does not exist or belongs to someone else. Start again."),
        "flow.expired": Entry(
            title: "Took too long",
            detail: "This step expired before it was finished. Start again from the beginning."),
        "device_approval.pending": Entry(
            title: "Approve this device",
            detail: "Your second factor was accepted. Enter the code we just sent to approve this device and finish signing in."),
        "device_approval.not_pending": Entry(
            title: "Second step first",
            detail: "This sign-in still needs its second factor. Enter that first; a device approval code comes after it when one is needed."),
        "flow.completed": Entry(
            title: "Already done",
            detail: "This step was already completed. Start again if you need to do it once more."),
        "reauth.required": Entry(
            title: "Confirm it is you",
            detail: "For this change, enter your password and your verification code again. This confirmation lasts a few minutes."),
        "password.incorrect": Entry(
            title: "Current password is wrong",
            detail: "The current password you entered is wrong. Enter it again, or sign out and use \u{201C}Forgot password?\u{201D} if you no longer know it."),
        "authenticator.not_pending": Entry(
            title: "Start the setup again",
            detail: "There is no authenticator setup waiting for a code. Start binding the authenticator again to get a new key."),
        "authenticator.not_bound": Entry(
            title: "No authenticator bound",
            detail: "Your account has no authenticator app bound, so there is nothing to remove."),
        "anti_phishing_code.invalid": Entry(
            title: "Anti-phishing code not accepted",
            detail: "Choose 4 to 20 letters, digits, dashes or underscores. It will appear in every email we send you; only you and we know it."),
        "recovery.second_factor_required": Entry(
            title: "One more check",
            detail: "Your code was right. Before choosing a new password, confirm with your authenticator app, or with the code we send to your other phone number or email address."),
        "contact.unchanged": Entry(
            title: "Nothing to change",
            detail: "This is already the phone number or email address of your account."),
        "contact.kind_mismatch": Entry(
            title: "Wrong kind of address",
            detail: "Enter a phone number in international format for the phone, or an email address for the email."),
        "contact.old_code_required": Entry(
            title: "Code for the current one needed",
            detail: "Enter the code sent to your current phone number or email address as well. If you can no longer receive it, start the change again in the security settings and tick \u{201C}I can no longer receive codes\u{201D}."),
        "contact.code_required": Entry(
            title: "Code missing",
            detail: "Enter every code this change asks for ({field} is missing): the one sent to the new address and the others listed on the page."),
        "contact.support_required": Entry(
            title: "Support needed",
            detail: "Without access to your current phone number or email and without an authenticator app, this change cannot be made here. Open a support request to prove your identity."),
    ]
}
