extension MessageCatalogue {
    /// Sentences for support cases and their documents.
    static let englishSupport: [String: Entry] = [
        "case.not_found": Entry(
            title: "Case not found",
            detail: "We found no case with that number that this link or key opens. Open the case from the device you opened it on, or open a new one."),
        "case.token_required": Entry(
            title: "Case key missing",
            detail: "This case opens only with the key you were given when it opened. Use the device you opened it on, or open a new case."),
        "case.opening_expired": Entry(
            title: "Code expired",
            detail: "The time to enter the code ran out. Start again to get a new code."),
        "case.opening_completed": Entry(
            title: "Case already opened",
            detail: "This code was accepted already and the case is open. Continue on the case page."),
        "case.closed": Entry(
            title: "Case closed",
            detail: "This case was decided and is closed, so nothing more can be added. Open a new case if you still need help."),
        "case.already_submitted": Entry(
            title: "Already with support",
            detail: "Support has this case already. We will answer by the time shown on the case page; you can still add a message."),
        "case.topic_invalid": Entry(
            title: "Choose what you need help with",
            detail: "Choose one of the topics offered: restricted account, frozen account, phone lost, email lost, or something else (and, when you are signed in, a lost authenticator app)."),
        "case.description_invalid": Entry(
            title: "Tell us what happened",
            detail: "Describe the problem in 1 to 4,000 characters, so that support knows where to start."),
        "case.message_invalid": Entry(
            title: "Message not sent",
            detail: "Write a message of 1 to 4,000 characters."),
        "case.unavailable_invalid": Entry(
            title: "Choose what you can no longer use",
            detail: "Choose among the verification methods your account has: authenticator app (totp), passkey, phone (sms) or email."),
        "case.proof_required": Entry(
            title: "Confirm with what still works",
            detail: "Before the case opens, enter the code we send to a verification method you still have ({channels})."),
        "case.requirements_missing": Entry(
            title: "Documents still needed",
            detail: "Before support can review the case, upload {missingText}."),
        "document.type_unsupported": Entry(
            title: "File type not accepted",
            detail: "Upload a photo (JPEG or PNG) or a PDF. Other files, whatever their name, are refused."),
        "document.too_large": Entry(
            title: "File too large",
            detail: "The file is larger than {limit} bytes. Take the photo at a lower resolution, or compress the PDF, and upload it again."),
        "document.limit_reached": Entry(
            title: "Too many files",
            detail: "A case can hold {limit} files. Write to support in the case if something else is needed."),
        "document.kind_invalid": Entry(
            title: "Say what the file shows",
            detail: "Choose what the file shows: the front of your ID (id_front), its back (id_back), a selfie (selfie) or something else (other)."),
        "document.upload_invalid": Entry(
            title: "Upload not understood",
            detail: "Send the file as a form upload with its type and the file. Reload the page and try again."),
        "staff.exists": Entry(
            title: "Already on the staff",
            detail: "A member of staff with this email address exists already. List the staff to see their role and state."),
        "staff.not_found": Entry(
            title: "No such member of staff",
            detail: "No member of staff has this email address. Check the address, or add them."),
        "staff.enrolment_invalid": Entry(
            title: "Enrolment link not valid",
            detail: "This enrolment link was used already or is out of date. Ask an administrator for a new one."),
        "staff.enrolment_incomplete": Entry(
            title: "Set your password first",
            detail: "Choose your password on the enrolment page first; it then shows the key for your authenticator app."),
        "staff.credentials_invalid": Entry(
            title: "Sign-in refused",
            detail: "The email address, password or authenticator code is not right, or this staff account may not sign in. Check them and try again with a new code."),
        "staff.session_required": Entry(
            title: "Staff sign-in needed",
            detail: "This is for signed-in support staff. Sign in to the staff console with your password and authenticator app."),
        "staff.role_insufficient": Entry(
            title: "Not allowed for your role",
            detail: "Your role may not do this. Ask a reviewer or an administrator."),
        "staff.self_approval": Entry(
            title: "A second person must approve",
            detail: "You proposed this action, so someone else must approve it. Ask another reviewer."),
        "staff.action_invalid": Entry(
            title: "Action not understood",
            detail: "Choose one of the actions offered and give what it needs: a reason, and a new phone number, email address or message where it asks for one."),
        "staff.action_not_found": Entry(
            title: "Action not found",
            detail: "There is no action with that id. Reload the list of actions waiting for approval."),
        "staff.action_not_pending": Entry(
            title: "Action already decided",
            detail: "This action was applied already. Reload the case to see where it stands."),
        "staff.action_not_applicable": Entry(
            title: "Nothing to undo",
            detail: "The account is not in the state this action undoes. Check the account's diagnosis on the case page."),
        "case.no_contact_pending": Entry(
            title: "Nothing to confirm",
            detail: "Support has not set a new phone number or email address on this case, or it was confirmed already."),
        "document.not_found": Entry(
            title: "Document not found",
            detail: "There is no such document on this case, or it was erased after the case closed."),
        "notice.case_code_sent": Entry(
            title: "Code sent",
            detail: "We sent a code to {destination}. Enter it below to open the case."),
        "notice.case_opened": Entry(
            title: "Case opened",
            detail: "Your case is open. Keep this browser: the case opens only on this device, or when you are signed in."),
        "notice.case_message_added": Entry(
            title: "Message added",
            detail: "Your message is in the case. Support reads it with the case."),
        "notice.case_document_added": Entry(
            title: "File received",
            detail: "Your file was received and stored encrypted. Only support can open it; it is not shown here again."),
        "notice.case_contact_confirmed": Entry(
            title: "Confirmed",
            detail: "Your new contact is confirmed and replaces the old one. Every device was signed out: sign in again with it."),
        "notice.case_contact_code_sent": Entry(
            title: "Code sent",
            detail: "We sent a new code. Enter it below; the earlier one no longer works."),
        "notice.case_submitted": Entry(
            title: "Sent to support",
            detail: "Your case is with support now. We will answer by the time shown below."),
    ]
}
