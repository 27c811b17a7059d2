extension MessageCatalogue {
    /// Sentences of the "Can't sign in?" troubleshooter: its errors, and each finding it can show a
    /// person about their own account (`help.<finding>`), with the words of the link to the way out.
    static let englishSignInHelp: [String: Entry] = [
        "help.not_found": Entry(
            title: "Check not found",
            detail: "This sign-in check does not exist. Start again from \u{201C}Can't sign in?\u{201D}."),
        "help.expired": Entry(
            title: "Check expired",
            detail: "The code for this sign-in check was not entered in time. Start again from \u{201C}Can't sign in?\u{201D} to get a new one."),
        "help.completed": Entry(
            title: "Check already done",
            detail: "The code for this sign-in check was already accepted. Start again from \u{201C}Can't sign in?\u{201D} to see the findings as they are now."),

        "help.account.frozen": Entry(
            title: "Your account is frozen",
            detail: "The account was frozen on {time}, from a \u{201C}this wasn't me\u{201D} link or the account page, so nobody can sign in and withdrawals are paused. To unfreeze it, open a support request about a frozen account with a photo of your identity document and a selfie.",
            action: "Ask support to unfreeze it"),
        "help.account.restricted": Entry(
            title: "Your account is restricted",
            detail: "On {time} {why} Sign-in is refused even with the right password, and withdrawals are paused, until support reviews the account. Open a support request about a restricted account; support will tell you what they need.",
            action: "Ask support to review it"),
        "help.restricted.risk.credential_stuffing": Entry(
            title: "Credential stuffing",
            detail: "your password was used from a network that was trying many other people's accounts at the same moment: it has probably leaked. Choose a new password you use nowhere else once you are back in."),
        "help.restricted.risk.location_velocity": Entry(
            title: "Sign-ins from many places",
            detail: "your account signed in from more countries or networks within an hour than one person travels, which is how a shared or stolen account looks."),
        "help.restricted.risk.operator": Entry(
            title: "Restricted by our team",
            detail: "our team restricted the account while they look into its activity."),
        "help.account.locked": Entry(
            title: "Too many wrong passwords or codes",
            detail: "Your account is locked until {until} after several wrong passwords or codes. Every attempt meanwhile extends the lock, so stop trying: wait until then, or reset your password now, which lifts the lock at once.",
            action: "Reset your password"),
        "help.device.locked": Entry(
            title: "One of your devices is locked out",
            detail: "A device that signed in before tried too many wrong passwords or codes and is locked out until {until}. Other devices are not affected; resetting your password lifts the lock at once.",
            action: "Reset your password"),
        "help.recovery.paused": Entry(
            title: "Password reset paused",
            detail: "Too many wrong reset codes were entered, so resetting the password is paused until {until}. Wait until then and ask for one new code; if you did not try, someone may be targeting your account.",
            action: "Reset your password later"),
        "help.account.registration_incomplete": Entry(
            title: "Registration not finished",
            detail: "You started registering on {time} but the code was never entered, so the account is not active yet. Register again with the same email address or phone number: it sends a new code and finishes the same registration.",
            action: "Finish registering"),
        "help.delivery.failed": Entry(
            title: "Our messages do not reach you",
            detail: "The last message to {destination} (\u{201C}{subject}\u{201D}, {time}) could not be delivered{said}. {check}",
            action: "Contact support"),
        "help.delivery.retrying": Entry(
            title: "A message to you is delayed",
            detail: "The last message to {destination} (\u{201C}{subject}\u{201D}, {time}) was not accepted yet{said} and is being retried, so it may arrive late. Do not ask for more codes meanwhile: each new code replaces the one on its way.",
            action: "Contact support"),
        "help.delivery.check.email": Entry(
            title: "Email",
            detail: "Check that the address is spelled right, that the mailbox is not full, and that mail from us is not blocked or sorted into spam."),
        "help.delivery.check.sms": Entry(
            title: "SMS",
            detail: "Check that the phone has signal and can receive SMS from short numbers (some carriers block them; roaming can too), and that the number is still yours."),
        "help.rate_limited.recent": Entry(
            title: "Asked too often",
            detail: "Requests were refused on {time} for coming too often. Wait until {until} before asking again: trying sooner only restarts the wait.",
            action: "Sign in after the wait"),
        "help.failures.recent": Entry(
            title: "Wrong attempts are counting",
            detail: "{count} wrong password{s} or code{s} since {time}. After {max} the account locks for a while, so check the keyboard language and Caps Lock, or reset the password instead of guessing.",
            action: "Reset your password"),
        "help.sign_in.unfamiliar": Entry(
            title: "A sign-in from somewhere new",
            detail: "Your account was signed in to on {time} from a {place} ({ip}). If that was not you, freeze the account now: every device is signed out and withdrawals stop until support checks it with you.",
            action: "Freeze my account"),
        "help.place.country": Entry(title: "country", detail: "country it was not used from before"),
        "help.place.network": Entry(title: "network", detail: "new network on a device that had not signed in before"),
        "help.authenticator.required": Entry(
            title: "Your authenticator app is needed",
            detail: "Signing in asks for the code of the authenticator app you bound. On a new phone, the key you saved when you set it up restores the app; codes fail when the phone's clock is off, so set its time to automatic. Lost the app and the key? Sign in with your password and choose \u{201C}Can't use your authenticator?\u{201D} to ask support to reset it.",
            action: "Sign in"),
        "help.hold.active": Entry(
            title: "Withdrawals are paused for now",
            detail: "{change} on {time}, so withdrawals are paused until {until} in case it was not you. Signing in is not affected."),
        "help.change.password.reset": Entry(title: "Password reset", detail: "Your password was reset"),
        "help.change.other": Entry(title: "Security change", detail: "A security setting of your account was changed"),
        "help.nothing_found": Entry(
            title: "Nothing on our side stops you",
            detail: "Your account is active, not locked and not restricted, and our messages to you were delivered. Check the browser checks on this page, type the password carefully (keyboard language, Caps Lock), or reset it.",
            action: "Reset your password"),
    ]
}
