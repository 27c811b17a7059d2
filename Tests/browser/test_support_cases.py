"""Support cases, driven through the real pages: a lost authenticator reported from the second step
of a sign-in (the email code proves the request, then an ID and a selfie go up and the case goes to
support), a lost phone reported from "Contact support" without the password, and what the case page
refuses: a file that is not what its name says, and a browser that did not open the case.

Images are made by Chromium's own canvas, so they are real PNG and JPEG files.
"""

from __future__ import annotations

import base64
import re
import time
from datetime import datetime, timedelta, timezone

from conftest import (STRONG_PASSWORD, click_for_post, latest_code, mailbox, mask_pattern, new_context, newest_code,
                      path_of, register, screenshot, sign_in, submit_form, unique_email, wait_for_message,
                      wait_for_resend_interval)
from test_security_settings import bind_authenticator, confirm_it_is_you, sign_out

CASE_COOKIE = "__Host-keyward_case"
LOGIN_FLOW_COOKIE = "__Host-keyward_login"
CASE_COOKIE_LIFETIME = 30 * 86400
RESPONSE_HOURS = 48  # the default support.responseHours
CASE_PATH = re.compile(r"/support/cases/([0-9a-f-]{36})")
UTC_TEXT = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d) UTC")


def alert(page, code: str):
    return page.locator(f".alert[data-code='{code}']")


def canvas_image(context, mime: str) -> bytes:
    """A small real image of type ``mime`` (``image/png`` or ``image/jpeg``) drawn by Chromium."""
    scratch = context.new_page()
    try:
        data_url = scratch.evaluate("""mime => {
            const canvas = document.createElement('canvas');
            canvas.width = 48; canvas.height = 32;
            const draw = canvas.getContext('2d');
            draw.fillStyle = '#2a6'; draw.fillRect(0, 0, 48, 32);
            draw.fillStyle = '#fff'; draw.fillRect(8, 8, 20, 12);
            return canvas.toDataURL(mime);
        }""", mime)
    finally:
        scratch.close()
    prefix = f"data:{mime};base64,"
    assert data_url.startswith(prefix), f"Chromium made no {mime}: {data_url[:40]!r}"
    return base64.b64decode(data_url[len(prefix):])


def case_id_of(page) -> str:
    found = CASE_PATH.fullmatch(path_of(page.url))
    assert found, f"not on a case page: {page.url}"
    return found.group(1)


def cookie_attributes(set_cookie: str) -> tuple[str, str, dict[str, str]]:
    """The name, value and lower-cased attributes of one Set-Cookie header."""
    first, *attributes = [part.strip() for part in set_cookie.split(";")]
    name, _, value = first.partition("=")
    parsed = {}
    for attribute in attributes:
        key, _, attribute_value = attribute.partition("=")
        parsed[key.lower()] = attribute_value
    return name, value, parsed


def set_cookies(response, name: str) -> list[str]:
    return [h["value"] for h in response.headers_array()
            if h["name"].lower() == "set-cookie" and h["value"].startswith(f"{name}=")]


def requirement(page, kind: str):
    return page.locator(f".requirements li[data-type='{kind}']")


def upload(page, case_id: str, kind: str, name: str, mime: str, content: bytes):
    """Chooses what the file shows, picks the file as a phone or computer would, presses Upload;
    returns the response to the upload."""
    page.select_option("#document-type", kind)
    page.set_input_files("#document-file", files=[{"name": name, "mimeType": mime, "buffer": content}])
    return submit_form(page, "Upload", f"/support/cases/{case_id}/documents")


# ---------------------------------------------------------------------------------------------
# 1. Authenticator lost: from the second step to a case in review
# ---------------------------------------------------------------------------------------------

def test_lost_authenticator_opens_a_case_from_the_second_step_and_goes_to_support_with_id_and_selfie(page, server):
    email = unique_email("case-totp")
    register(page, server, email)
    confirm_it_is_you(page, server, email)
    bind_authenticator(page, server)
    sign_out(page)

    # The password is right; the phone with the app is gone.
    posted = sign_in(page, email, STRONG_PASSWORD)
    assert posted.status == 302 and path_of(page.url) == "/login/verify", page.url
    with page.expect_navigation():
        page.get_by_role("link", name="Security verification unavailable?").click()
    assert path_of(page.url) == "/login/verification-unavailable"
    # Only what the account has can be ticked: its authenticator app and its email address.
    boxes = page.locator("#unavailable-form input[type=checkbox]")
    assert sorted(boxes.evaluate_all("els => els.map(e => e.name)")) == ["unavailable-email", "unavailable-totp"]
    assert re.search(mask_pattern(email), page.locator("label[class=check]", has=page.locator("#unavailable-email"))
                     .inner_text()), "the email box does not say which address"
    assert email not in page.content(), "the page shows the whole address"
    page.check("#unavailable-totp")
    page.fill("#description", "My phone was stolen with the authenticator app on it.")
    continued = submit_form(page, "Continue", "/login/verification-unavailable")
    assert continued.status == 200 and page.locator("h1").inner_text() == "Confirm with what still works"
    assert "Authenticator app" in page.locator("#unavailable-summary").inner_text()

    # The email address still works: a code to it proves the request.
    send = page.get_by_role("button", name=re.compile(r"^Send a code to "))
    assert re.fullmatch("Send a code to " + mask_pattern(email), send.inner_text().strip()), send.inner_text()
    wait_for_resend_interval(server, email)
    before = latest_code(server, email)
    sent = click_for_post(page, send, "/login/verification-unavailable/send-code")
    assert sent.status == 200 and re.search(mask_pattern(email), page.locator(".notice").inner_text())
    screenshot(page, "support-unavailable-proof")
    code = newest_code(server, email, exclude=(before,))
    page.fill("#code", code)
    opened = submit_form(page, "Open the case", "/login/verification-unavailable")
    assert opened.status == 303, f"the right code answered {opened.status}"
    case_id = case_id_of(page)

    # The case's key stays in this browser only, out of reach of scripts; the sign-in is over.
    headers = set_cookies(opened, CASE_COOKIE)
    assert len(headers) == 1, f"opening the case set {len(headers)} case cookies"
    _, token, attributes = cookie_attributes(headers[0])
    assert len(token) >= 43
    assert "secure" in attributes and "httponly" in attributes and attributes.get("samesite", "").lower() == "strict", attributes
    assert attributes.get("path") == "/" and "domain" not in attributes, attributes
    assert int(attributes.get("max-age", "0")) == CASE_COOKIE_LIFETIME, attributes
    assert "keyward_case" not in page.evaluate("document.cookie")
    assert not [c for c in page.context.cookies() if c["name"] == LOGIN_FLOW_COOKIE], "the sign-in is still under way"
    assert token not in page.content()

    assert page.locator("#case-id").inner_text() == case_id
    assert page.locator("#case-topic").inner_text() == "Authenticator app or passkey lost"
    assert page.locator("#case-status").get_attribute("data-status") == "open"
    assert "Keep this browser" in page.locator(".notice").inner_text()
    for kind in ["id_front", "selfie"]:
        assert requirement(page, kind).get_attribute("data-satisfied") == "no"
    selfie_help = page.locator("#selfie-help").inner_text()
    assert "holding your ID" in selfie_help and "today" in selfie_help and "Keyward" in selfie_help, selfie_help
    file_input = page.locator("#document-file")
    assert file_input.get_attribute("accept") == "image/*,application/pdf"
    assert file_input.get_attribute("capture") == "environment"
    assert page.locator("#upload-form").get_attribute("enctype") == "multipart/form-data"
    notice = wait_for_message(server, email, "support case")
    assert case_id in f"{notice['subject']} {notice['body']}" and token not in notice["body"]

    # Too early: support would have nothing to check, and the page says what is missing.
    refused = submit_form(page, "Send to support", f"/support/cases/{case_id}/submit")
    assert refused.status == 422 and alert(page, "case.requirements_missing").is_visible()
    missing = page.locator("#missing-requirements li")
    assert missing.all_inner_texts() == ["Front of your ID", "Selfie holding your ID"]

    id_front = canvas_image(page.context, "image/png")
    posted = upload(page, case_id, "id_front", "id-front.png", "image/png", id_front)
    assert posted.status == 303 and path_of(page.url) == f"/support/cases/{case_id}", page.url
    assert "Your file was received" in page.locator(".notice").inner_text()
    assert requirement(page, "id_front").get_attribute("data-satisfied") == "yes"
    assert requirement(page, "selfie").get_attribute("data-satisfied") == "no"
    # The selfie is what is still needed, so it is what the form offers next.
    assert page.locator("#document-type").input_value() == "selfie"
    selfie = canvas_image(page.context, "image/jpeg")
    posted = upload(page, case_id, "selfie", "selfie.jpg", "image/jpeg", selfie)
    assert posted.status == 303
    for kind in ["id_front", "selfie"]:
        assert requirement(page, kind).get_attribute("data-satisfied") == "yes", f"{kind} is not shown as received"

    # The documents are listed by what they are, never shown or linked.
    documents = page.locator("ul.documents li")
    assert documents.count() == 2
    front, face = documents.nth(0).inner_text(), documents.nth(1).inner_text()
    assert front.startswith("Front of your ID") and "PNG" in front and f"{len(id_front)} bytes" in front, front
    assert face.startswith("Selfie holding your ID") and "JPEG" in face, face
    assert page.locator("ul.documents a, ul.documents img").count() == 0

    page.fill("#message-body", "I can also show a utility bill if that helps.")
    posted = submit_form(page, "Send message", f"/support/cases/{case_id}/messages")
    assert posted.status == 303 and page.locator("ol.thread li.from-person").count() == 1
    assert "utility bill" in page.locator("ol.thread").inner_text()

    before_submit = datetime.now(timezone.utc)
    submitted = submit_form(page, "Send to support", f"/support/cases/{case_id}/submit")
    assert submitted.status == 303
    status = page.locator("#case-status")
    assert status.get_attribute("data-status") == "in_review" and status.inner_text().startswith("In review"), \
        status.inner_text()
    answer = UTC_TEXT.search(page.locator("#respond-by").inner_text())
    assert answer, f"no answer time in UTC: {page.locator('#respond-by').inner_text()!r}"
    respond_by = datetime.strptime(answer.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)
    expected = before_submit + timedelta(hours=RESPONSE_HOURS)
    assert abs((respond_by - expected).total_seconds()) < 120, f"support answers by {respond_by}, expected {expected}"
    assert page.get_by_role("button", name="Send to support").count() == 0
    screenshot(page, "support-case-in-review")


# ---------------------------------------------------------------------------------------------
# 2. Phone lost, password forgotten too: "Contact support" with a code to the email address
# ---------------------------------------------------------------------------------------------

def test_phone_lost_without_the_password_opens_a_case_through_contact_support_and_a_code(page, server):
    email = unique_email("case-phone")
    register(page, server, email)
    page.context.clear_cookies()

    page.goto("/login")
    with page.expect_navigation():
        page.get_by_role("link", name="Contact support").click()
    assert path_of(page.url) == "/support"
    explained = page.locator("#code-explained").inner_text()
    assert "If an account uses that address or number, we send a code to it" in explained, explained
    topics = page.locator("#topic option").evaluate_all("els => els.map(e => e.value)")
    assert topics == ["", "account_restricted", "account_frozen", "phone_lost", "email_lost", "other"], topics

    # An address no account uses is answered exactly alike, and nothing is sent.
    page.fill("#identifier", "nobody-" + email)
    page.select_option("#topic", "phone_lost")
    page.fill("#description", "My number was cancelled.")
    posted = submit_form(page, "Send me a code", "/support")
    assert posted.status == 303 and re.fullmatch(r"/support/cases/[0-9a-f-]{36}/verify", path_of(page.url)), page.url
    assert ("nobody-" + email) in page.locator(".destination").inner_text()

    page.goto("/support")
    page.fill("#identifier", email)
    page.select_option("#topic", "phone_lost")
    page.fill("#description", "My phone number was cancelled and I forgot my password.")
    wait_for_resend_interval(server, email)
    before = latest_code(server, email)
    posted = submit_form(page, "Send me a code", "/support")
    assert posted.status == 303
    verify_path = path_of(page.url)
    assert re.fullmatch(r"/support/cases/[0-9a-f-]{36}/verify", verify_path), page.url
    assert page.locator(".destination").inner_text() == email
    first = newest_code(server, email, exclude=(before,))
    assert not [m for m in mailbox(server) if m.get("to") == "nobody-" + email], "a code went to an unknown address"

    # Resend once the interval is over: only the newest code works.
    resend = page.locator("#resend")
    page.wait_for_function("() => !document.getElementById('resend').disabled", timeout=10_000)
    wait_for_resend_interval(server, email)
    posted = click_for_post(page, resend, "/resend")
    assert posted.status == 303 and path_of(page.url) == verify_path and "new code" in page.locator(".notice").inner_text()
    second = newest_code(server, email, exclude=(before, first))
    page.fill("#code", first)
    wrong = submit_form(page, "Open the case", verify_path)
    assert wrong.status in (410, 422) and page.locator(".alert").count() == 1, f"a superseded code answered {wrong.status}"
    page.fill("#code", second)
    opened = submit_form(page, "Open the case", verify_path)
    assert opened.status == 303
    case_id = case_id_of(page)
    assert verify_path == f"/support/cases/{case_id}/verify"
    assert set_cookies(opened, CASE_COOKIE), "no case cookie was set"
    assert page.locator("#case-topic").inner_text() == "Phone number lost"
    assert page.locator("#case-status").inner_text().startswith("Open")
    assert [requirement(page, kind).count() for kind in ["id_front", "selfie"]] == [1, 1]
    # The code page of an opened case leads to the case.
    page.goto(verify_path)
    assert path_of(page.url) == f"/support/cases/{case_id}"
    screenshot(page, "support-case-open")


# ---------------------------------------------------------------------------------------------
# 3. Refusals: a disguised file, a forged upload, a browser that did not open the case
# ---------------------------------------------------------------------------------------------

def test_case_page_refuses_a_disguised_file_and_opens_only_on_the_device_it_was_opened_on(browser, page, server):
    email = unique_email("case-refusals")
    register(page, server, email)
    page.goto("/support")
    # Signed in: no address to give, and a lost authenticator can be reported here too.
    assert page.locator("#identifier").count() == 0
    assert "authenticator_lost" in page.locator("#topic option").evaluate_all("els => els.map(e => e.value)")
    page.select_option("#topic", "account_frozen")
    page.fill("#description", "I froze my account by mistake.")
    opened = submit_form(page, "Open a case", "/support")
    assert opened.status == 303
    case_id = case_id_of(page)
    case_url = page.url.split("?", 1)[0]

    # A text file named like a photo is judged by its bytes and refused, with the catalogue's sentence.
    refused = upload(page, case_id, "id_front", "passport.jpg", "image/jpeg", b"This is not a photo of anything.\n")
    assert refused.status == 415, f"a text file named .jpg answered {refused.status}"
    shown = alert(page, "document.type_unsupported")
    assert shown.is_visible()
    assert "Upload a photo (JPEG or PNG) or a PDF. Other files, whatever their name, are refused." in shown.inner_text()
    assert page.locator("#no-documents").is_visible() and page.locator("ul.documents li").count() == 0

    # An upload without the page's form token is refused before the file is stored.
    forged = page.request.post(f"/support/cases/{case_id}/documents", max_redirects=0, multipart={
        "type": "id_front",
        "file": {"name": "id.png", "mimeType": "image/png", "buffer": canvas_image(page.context, "image/png")},
    })
    assert forged.status == 403 and "csrf.invalid" in forged.text(), f"a forged upload answered {forged.status}"
    page.goto(case_url)
    assert page.locator("ul.documents li").count() == 0, "a forged upload was stored"

    # Another browser, without this one's session or case key, is told where the case opens.
    stranger_context = new_context(browser, server)
    try:
        stranger = stranger_context.new_page()
        response = stranger.goto(case_url)
        assert response.status in (401, 404)
        assert stranger.locator("h1").inner_text() == "This case opens only on the device it was opened on"
        assert "I froze my account" not in stranger.content() and case_id not in stranger.locator("main").inner_text()
        assert stranger.locator("#upload-form, #submit-form, #message-form").count() == 0
        link = stranger.get_by_role("link", name="Open a new case")
        assert link.get_attribute("href") == "/support"
        screenshot(stranger, "support-case-elsewhere")
    finally:
        stranger_context.close()
