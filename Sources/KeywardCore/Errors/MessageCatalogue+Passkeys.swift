extension MessageCatalogue {
    /// Sentences for passkeys.
    static let englishPasskeys: [String: Entry] = [
        "passkey.invalid": Entry(
            title: "Passkey answer not understood",
            detail: "Your browser's passkey answer was incomplete or damaged. Try again; if it keeps failing, update your browser or use another way to confirm."),
        "passkey.challenge_mismatch": Entry(
            title: "Passkey answer is for another attempt",
            detail: "This passkey answer belongs to an earlier or different attempt. Start again and use your passkey once, on this page."),
        "passkey.origin_mismatch": Entry(
            title: "Passkey used on the wrong site",
            detail: "The passkey was used from a page that is not ours. Only use your passkey on our own address; if a link brought you here, it may be a phishing site."),
        "passkey.rp_id_mismatch": Entry(
            title: "Passkey is for another site",
            detail: "The passkey that answered belongs to another website. Choose the passkey you made for this account."),
        "passkey.user_verification_required": Entry(
            title: "Unlock your passkey",
            detail: "Your device did not confirm it was you (with your PIN, fingerprint or face). Try again and unlock the passkey when your device asks."),
        "passkey.unknown": Entry(
            title: "Passkey not recognised",
            detail: "That passkey is not registered to this account. Choose another passkey, or use another way to confirm."),
        "passkey.signature_invalid": Entry(
            title: "Passkey check failed",
            detail: "The passkey's signature did not match. Try again; if it keeps failing, remove this passkey in your security settings and add it again."),
        "passkey.sign_count_regressed": Entry(
            title: "Passkey may have been copied",
            detail: "This passkey's counter went backwards, a sign that it may have been copied, so it was refused. Use another way to confirm, then remove this passkey and check your account."),
        "passkey.algorithm_unsupported": Entry(
            title: "Passkey type not supported",
            detail: "This passkey uses a kind of key we do not accept. Create the passkey on another device or with another password manager."),
        "passkey.attestation_unsupported": Entry(
            title: "Passkey type not supported",
            detail: "Your authenticator described itself in a way we do not accept. Try again; most browsers and password managers work."),
        "passkey.attestation_invalid": Entry(
            title: "Passkey could not be checked",
            detail: "The new passkey's own signature did not verify, so it was not added. Try again, or use another device."),
        "passkey.already_registered": Entry(
            title: "Passkey already added",
            detail: "This passkey is registered already. You can rename or remove it in your security settings."),
        "passkey.limit_reached": Entry(
            title: "Too many passkeys",
            detail: "You have {limit} passkeys, the most an account may have. Remove one you no longer use, then add the new one."),
        "passkey.not_found": Entry(
            title: "Passkey not found",
            detail: "You have no passkey with that id. Reload your security settings to see your passkeys."),
        "passkey.name_invalid": Entry(
            title: "Passkey name not accepted",
            detail: "Give the passkey a name of 1 to 64 characters, such as \u{201C}Work laptop\u{201D}."),
    ]
}
