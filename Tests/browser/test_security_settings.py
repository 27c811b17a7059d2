"""The security settings, driven through the real pages: /account/security behind re-authentication
(password, then a code), binding an authenticator app from the key the page shows and signing in
with it, changing the phone number with codes to the new and the old number, the anti-phishing
code in emails, changing the password with and without keeping other devices signed in, and a
password reset that asks for the authenticator before the new password.

Authenticator codes come from ``pyotp`` fed with the key read off the page, as a phone would
compute them. Every test runs on the shared server (1 s resend interval), so no test waits for a
code longer than a second or two.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid
from urllib.parse import parse_qs, unquote, urlparse

import pyotp

from conftest import (click_for_post, SHOTS, STRONG_PASSWORD, choose_new_password, enter_login_code, enter_recovery_code,
                      latest_code, mailbox, mask_pattern, new_context, newest_code, password_step, path_of, register,
                      screenshot, sign_in, sign_in_with_code, start_recovery, submit_form, unique_email,
                      unique_phone, wait_for_message, wait_for_resend_interval)
from test_protections import check_security_headers

SECURITY = "/account/security"
# The forms shown only to a freshly confirmed session; the first is #bind-authenticator, or with an
# app bound #replace-authenticator and #remove-authenticator.
SENSITIVE_FORMS = ["#bind-authenticator, #replace-authenticator", "#password-form", "#phone-form", "#email-form",
                   "#anti-phishing-form"]
NEW_PASSWORD = "Copper-Meadow-83"
THIRD_PASSWORD = "Velvet-Harbour-29"
ANTI_PHISHING_PREFIX = "Your anti-phishing code: "
# How long a message the server queued takes at most to reach the development mailbox (the outbox
# worker polls every 200 ms); waited before concluding that no message was sent.
OUTBOX_SETTLE = 1.0


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def alert(page, code: str):
    return page.locator(f".alert[data-code='{code}']")


def sign_out(page):
    """Signs out with the button in the page's top bar."""
    posted = click_for_post(page, page.locator("header.topbar form[action='/logout'] button"), "/logout")
    assert posted.status in (302, 303) and path_of(page.url) == "/login", f"signing out left the page on {page.url}"


def messages_to(server: str, to: str, subject_contains: str = "") -> list[dict]:
    """The messages to ``to`` the mailbox holds now whose subject contains ``subject_contains``,
    newest first."""
    return [m for m in mailbox(server) if m.get("to") == to and subject_contains in (m.get("subject") or "")]


def wait_for_new_message(server: str, to: str, subject_contains: str, seen: int, timeout: float = 5.0) -> dict:
    """The newest message to ``to`` about ``subject_contains`` once there are more than ``seen`` of them."""
    deadline = time.monotonic() + timeout
    while True:
        found = messages_to(server, to, subject_contains)
        if len(found) > seen:
            return found[0]
        assert time.monotonic() < deadline, \
            f"no new message to {to} about {subject_contains!r} within {timeout:.0f} s (had {seen})"
        time.sleep(0.1)


def is_fresh(page) -> bool:
    """Whether /account/security, as the page shows it now, offers the sensitive forms (then all of
    them and no #confirm-form; otherwise #confirm-form and none of them)."""
    confirm_form = page.locator("#confirm-form").count()
    shown = [selector for selector in SENSITIVE_FORMS if page.locator(selector).count() == 1]
    assert (confirm_form, shown) in [(1, []), (0, SENSITIVE_FORMS)], \
        f"the security page shows #confirm-form {confirm_form} time(s) and the forms {shown}"
    return confirm_form == 0


def confirm_it_is_you(page, server: str, identifier: str, password: str = STRONG_PASSWORD):
    """Re-authenticates from /account/security: the password in #confirm-form, then the code the
    server sends at once to ``identifier``. Leaves the page on /account/security?done=confirmed."""
    page.goto(SECURITY)
    wait_for_resend_interval(server, identifier)
    before = latest_code(server, identifier)
    page.fill("#confirm-password", password)
    posted = submit_form(page, "Continue", f"{SECURITY}/confirm")
    assert posted.status == 302 and path_of(page.url) == f"{SECURITY}/confirm" and "sent=" in page.url, \
        f"the password answered {posted.status} and left the page on {page.url}"
    page.fill("#code", newest_code(server, identifier, exclude=(before,)))
    verified = submit_form(page, "Verify", f"{SECURITY}/confirm/verify")
    assert verified.status == 302 and page.url == f"{server}{SECURITY}?done=confirmed", \
        f"the code answered {verified.status} and left the page on {page.url}"
    assert is_fresh(page)


class AuthenticatorApp:
    """An authenticator app set up by typing in the key the page shows: SHA-1, six digits, 30 s
    steps, the parameters of the page's otpauth URI.

    The server accepts each step's code once and tolerates one step of clock drift either way. A
    person whose code was just used waits for the app to show the next one; this app instead gives
    the next step's code at once (what a phone whose clock runs a little ahead shows), waiting only
    when even that would be more than one step ahead of the server."""

    PERIOD = 30

    def __init__(self, key: str):
        self.totp = pyotp.TOTP(key.replace(" ", ""))
        self.last_step: int | None = None

    def code(self) -> str:
        step = int(time.time()) // self.PERIOD
        if self.last_step is not None and step <= self.last_step:
            step = self.last_step + 1
            time.sleep(max(0.0, (step - 1) * self.PERIOD - time.time()))  # at most one step ahead
        self.last_step = step
        return self.totp.at(step * self.PERIOD)

    def wrong_code(self) -> str:
        """A six-digit code that is no step's code anywhere near now: not within the ten minutes
        either way in which the server names a refused code as a clock that is off."""
        step = int(time.time()) // self.PERIOD
        near = {self.totp.at((step + offset) * self.PERIOD) for offset in range(-22, 23)}
        return next(c for c in (f"{d}" * 6 for d in range(10)) if c not in near)


def scan_qr_code(page, locator, name: str) -> str:
    """What a phone's camera reads from the QR code ``locator`` shows: its text, decoded by zbarimg
    from a screenshot of the element."""
    zbarimg = shutil.which("zbarimg")
    assert zbarimg, "zbarimg is not installed (apt-get install zbar-tools); it reads the QR code like a phone"
    SHOTS.mkdir(parents=True, exist_ok=True)
    image = SHOTS / f"{name}.png"
    locator.screenshot(path=str(image))
    result = subprocess.run([zbarimg, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(image)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.strip(), f"no QR code could be read from {image}: {result.stderr}"
    return result.stdout.strip()


def start_binding(page):
    """Presses #bind-authenticator (or #replace-authenticator) on a confirmed security page;
    returns the response: the page with the QR code and the key."""
    button = page.locator("#bind-authenticator, #replace-authenticator")
    posted = click_for_post(page, button, f"{SECURITY}/authenticator")
    # Post, then redirect to a page that shows the key: a reload shows the same key, not a new one.
    page.wait_for_load_state()
    assert posted.status == 303 and path_of(page.url) == f"{SECURITY}/authenticator", \
        f"binding answered {posted.status} on {page.url}"
    shown = page.locator("#totp-secret").inner_text()
    page.reload()
    assert page.locator("#totp-secret").inner_text() == shown, "reloading the key page made a new key"
    return posted


def bind_authenticator(page, server: str) -> tuple[AuthenticatorApp, str]:
    """Binds an authenticator app from a confirmed security page: reads the key, enters the app's
    code. Returns the app and the code that bound it."""
    start_binding(page)
    app = AuthenticatorApp(page.locator("#totp-secret").inner_text().strip())
    code = app.code()
    page.fill("#code", code)
    posted = submit_form(page, "Bind", f"{SECURITY}/authenticator/confirm")
    assert posted.status == 302 and page.url == f"{server}{SECURITY}?done=authenticator", \
        f"the app's code answered {posted.status} and left the page on {page.url}"
    return app, code


def assert_authenticator_step(page):
    """The second-step page as it is for an account with an authenticator: its code is asked for,
    and no code is offered or said to be sent by email or SMS."""
    assert path_of(page.url) == "/login/verify" and "sent=" not in page.url, page.url
    assert page.input_value("input[name=method]") == "totp"
    assert page.locator("label[for=code]").inner_text().strip() == "Authenticator code"
    assert "authenticator app" in page.locator("main").inner_text()
    assert page.locator("#resend").count() == 0 and page.locator(".send-other").count() == 0, \
        "the authenticator step offers codes by email or SMS"
    assert page.locator(".notice").count() == 0, "the authenticator step says a code was sent"


def assert_nothing_sent(server: str, to: str, count: int, since: float, what: str):
    """Requires that the mailbox still holds ``count`` messages to ``to``, judged at least
    OUTBOX_SETTLE seconds after ``since`` (time.monotonic()), when anything queued would be there."""
    time.sleep(max(0.0, since + OUTBOX_SETTLE - time.monotonic()))
    now = messages_to(server, to)  # newest first
    assert len(now) == count, f"{what}: {[m.get('subject') for m in now[:len(now) - count]]}"


def submit_code(page, code: str, path_suffix: str):
    """Enters ``code`` in #code and presses Verify; returns the response to the post."""
    page.fill("#code", code)
    return submit_form(page, "Verify", path_suffix)


def status_notice(page) -> str:
    """The text of the page's notice (not the holds)."""
    return page.locator(".notice[role=status]:not(.holds)").inner_text()


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# ---------------------------------------------------------------------------------------------
# 1. Binding an authenticator app, and signing in with it
# ---------------------------------------------------------------------------------------------

def test_authenticator_bound_from_the_key_on_the_page_is_then_asked_for_at_sign_in(page, server):
    email = unique_email("totp")
    register(page, server, email)
    confirm_it_is_you(page, server, email)
    assert page.locator("#factor-totp").inner_text().strip() == "Authenticator app: not bound"

    start_binding(page)
    assert page.locator("h1").inner_text() == "Bind an authenticator app"

    # The key, in groups of four for writing down...
    key = page.locator("#totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4})*( [A-Z2-7]{1,3})?", key), f"the key is not grouped base32: {key!r}"
    raw_key = key.replace(" ", "")
    assert len(raw_key) >= 32, f"the key holds fewer than 160 bits: {key!r}"
    # ...and the QR code: an SVG in the page itself (no image fetched from anywhere), labelled for
    # screen readers, that a phone's camera reads as the same key for this account.
    qr = page.locator(".qr svg")
    assert qr.count() == 1 and page.locator(".qr img, .qr object, .qr iframe").count() == 0, \
        "the QR code is not an inline SVG"
    assert qr.evaluate("el => el.namespaceURI") == "http://www.w3.org/2000/svg"
    assert qr.get_attribute("role") == "img" and "authenticator" in (qr.get_attribute("aria-label") or "")
    box = qr.bounding_box()
    assert box and box["width"] >= 150 and abs(box["width"] - box["height"]) < 1, f"the QR code is drawn at {box}"
    uri = scan_qr_code(page, qr, "authenticator-qr")
    parsed = urlparse(uri)
    query = parse_qs(parsed.query)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp", uri
    assert query["secret"] == [raw_key], f"the QR code holds another key than the page shows: {uri}"
    assert unquote(parsed.path) == f"/Keyward:{email}" and query["issuer"] == ["Keyward"], uri
    assert pyotp.parse_uri(uri).now() == pyotp.TOTP(raw_key).now()
    screenshot(page, "security-authenticator-key")

    # A wrong code is explained, and the same key stays on the page (it may already be in the app):
    # until the app is bound, the setup is not done.
    app = AuthenticatorApp(key)
    page.fill("#code", app.wrong_code())
    posted = submit_form(page, "Bind", f"{SECURITY}/authenticator/confirm")
    assert posted.status == 422 and alert(page, "totp.invalid").is_visible(), f"a wrong code answered {posted.status}"
    assert page.locator("#totp-secret").inner_text() == key, "a mistyped code lost the key being set up"

    # The app's code binds it: a hold, a notice to the owner, and sign-in now asks for the app.
    bound_with = app.code()
    page.fill("#code", bound_with)
    posted = submit_form(page, "Bind", f"{SECURITY}/authenticator/confirm")
    assert posted.status == 302 and page.url == f"{server}{SECURITY}?done=authenticator", page.url
    assert "authenticator app is bound" in status_notice(page)
    assert page.locator("#factor-totp").inner_text().startswith("Authenticator app: bound since")
    assert page.locator("#sign-in-methods").inner_text() == "your authenticator app"
    assert page.locator(".holds li[data-kind]").filter(has_text="authenticator").count() == 1, \
        "binding an authenticator placed no withdrawal hold on the page"
    assert page.locator("#replace-authenticator").is_visible() and page.locator("#remove-authenticator").is_visible()
    notice = wait_for_message(server, email, "authenticator app was bound")
    assert raw_key[:16] not in notice["body"] and key not in notice["body"]

    # Sign out and in again: the second step asks for the app's code, and no code is mailed.
    sign_out(page)
    already, since = len(messages_to(server, email)), time.monotonic()
    posted = sign_in(page, email, STRONG_PASSWORD)
    assert posted.status == 302, f"the right password answered {posted.status}"
    assert_authenticator_step(page)
    assert page.locator("#verification-unavailable").is_visible()
    screenshot(page, "login-verify-authenticator")

    posted = enter_login_code(page, app.wrong_code())
    assert posted.status == 422 and alert(page, "totp.invalid").is_visible(), f"a wrong code answered {posted.status}"
    assert "Wrong authenticator code" in alert(page, "totp.invalid").inner_text()
    posted = enter_login_code(page, bound_with)  # the code that bound the app, still within its 30 s
    assert posted.status == 422 and alert(page, "totp.reused").is_visible(), f"a used code answered {posted.status}"
    assert page.input_value("input[name=method]") == "totp", "after a refusal the step no longer asks for the app"

    posted = enter_login_code(page, app.code())
    assert posted.status == 302 and page.url == f"{server}/account", \
        f"the app's next code answered {posted.status} and left the page on {page.url}"
    assert_nothing_sent(server, email, already, since, "a sign-in with the authenticator sent messages")
    # Both steps of a sign-in count as confirming: the settings can be changed at once.
    page.goto(SECURITY)
    assert is_fresh(page), "a session that just signed in with the authenticator must confirm again"


# ---------------------------------------------------------------------------------------------
# 2. Re-authentication guards the sensitive forms; the key is shown once
# ---------------------------------------------------------------------------------------------

def test_settings_need_password_and_code_again_and_never_show_the_key_twice(page, server):
    email = unique_email("reauth")
    register(page, server, email)  # a session made by registering: no second step was done

    page.goto("/account")
    with page.expect_navigation():
        page.locator("#security-settings").click()
    assert page.url == f"{server}{SECURITY}"
    assert page.locator("h1").inner_text() == "Security settings"
    assert email in page.locator("#factor-email").inner_text()
    assert page.locator("#factor-phone").inner_text().strip() == "Phone: not bound"
    assert page.locator("#factor-anti-phishing").inner_text().strip() == "Anti-phishing code: not set"
    assert page.locator("#sign-in-methods").inner_text() == "a code by email"
    assert not is_fresh(page), "a session made by registering may change security settings without confirming"
    screenshot(page, "security-not-confirmed")

    # The server refuses a sensitive change from an unconfirmed session, whatever the page shows.
    csrf = page.locator("#confirm-form input[name=csrf]").input_value()
    forged = page.request.post(f"{SECURITY}/anti-phishing", form={"csrf": csrf, "code": "Forged-1234"}, max_redirects=0)
    assert forged.status == 403 and "reauth.required" in forged.text(), \
        f"an unconfirmed anti-phishing change answered {forged.status}"
    page.reload()
    assert page.locator("#factor-anti-phishing").inner_text().strip() == "Anti-phishing code: not set"

    # A wrong password is explained, and nothing opens.
    page.fill("#confirm-password", "Not-My-Password-1")
    posted = submit_form(page, "Continue", f"{SECURITY}/confirm")
    assert posted.status == 422, f"a wrong password answered {posted.status}"
    message = alert(page, "password.incorrect")
    assert message.is_visible() and message.get_attribute("role") == "alert"
    assert not is_fresh(page)

    # The right password leads to a second-step page like the sign-in one, saying what it is for.
    wait_for_resend_interval(server, email)
    before = latest_code(server, email)
    page.fill("#confirm-password", STRONG_PASSWORD)
    posted = submit_form(page, "Continue", f"{SECURITY}/confirm")
    assert posted.status == 302 and page.url == f"{server}{SECURITY}/confirm?sent=email", page.url
    assert page.locator("h1").inner_text() == "Verify it's you"
    assert "confirming a change to your security settings" in page.locator("main").inner_text()
    assert re.fullmatch(f"We sent a code to {mask_pattern(email)}\\.", page.locator(".notice").inner_text().strip())
    assert page.input_value("input[name=method]") == "email_code"
    assert page.locator("#resend").count() == 1
    code = newest_code(server, email, exclude=(before,))
    message = next(m for m in messages_to(server, email) if m.get("code") == code)
    assert "confirm a change to the security settings" in message["body"], message["body"]
    screenshot(page, "security-confirm")

    page.fill("#code", other_code(code))
    posted = submit_form(page, "Verify", f"{SECURITY}/confirm/verify")
    assert posted.status == 422 and alert(page, "code.invalid").is_visible(), f"a wrong code answered {posted.status}"
    page.goto(SECURITY)
    assert not is_fresh(page), "a wrong code confirmed the session"
    page.goto(f"{SECURITY}/confirm")
    page.fill("#code", code)
    posted = submit_form(page, "Verify", f"{SECURITY}/confirm/verify")
    assert posted.status == 302 and page.url == f"{server}{SECURITY}?done=confirmed", page.url
    assert "You can change your security settings" in status_notice(page)
    assert is_fresh(page)
    until = page.locator("p.muted:has(time[datetime])")
    assert until.count() == 1 and until.inner_text().startswith("Confirmed until"), "the page does not say until when"
    screenshot(page, "security-confirmed")

    # The key is shown while binding, and never again.
    start_binding(page)
    key = page.locator("#totp-secret").inner_text().strip()
    raw_key = key.replace(" ", "")
    app = AuthenticatorApp(key)
    page.fill("#code", app.code())
    assert submit_form(page, "Bind", f"{SECURITY}/authenticator/confirm").status == 302
    for path in [None, SECURITY, "/account"]:  # as bound, then opened again, then the account page
        if path:
            page.goto(path)
        html = page.content()
        assert page.locator("#totp-secret").count() == 0 and key not in html and raw_key not in html, \
            f"{path_of(page.url)} shows the key again after binding"
    # Replacing the app shows a new key, not the one bound.
    page.goto(SECURITY)
    start_binding(page)
    replacement = page.locator("#totp-secret").inner_text().strip()
    assert replacement.replace(" ", "") != raw_key, "replacing the authenticator shows the bound key again"
    with page.expect_navigation():
        page.get_by_role("link", name="Cancel").click()
    assert page.url == f"{server}{SECURITY}"
    assert raw_key not in page.content() and replacement not in page.content()


# ---------------------------------------------------------------------------------------------
# 3. Changing the phone number
# ---------------------------------------------------------------------------------------------

def send_phone_codes(page, phone: str):
    """Asks for the codes that bind ``phone`` from a confirmed security page; returns the response,
    the page asking for them."""
    page.fill("#phone", phone)
    posted = click_for_post(page, page.locator("#phone-form button[type=submit]"), f"{SECURITY}/phone")
    assert posted.status == 200 and page.locator("h1").inner_text() == "Confirm the new phone number", \
        f"asking for codes for {phone} answered {posted.status}: {page.locator('main').inner_text()[:300]}"
    return posted


def code_fields(page) -> list[str]:
    """The ids of the code inputs the page asks to fill in, in order."""
    return page.locator("form[action$='/verify'] input[inputmode=numeric]").evaluate_all("els => els.map(e => e.id)")


def test_phone_number_is_bound_then_changed_with_codes_to_the_new_and_the_old_number(page, server):
    email = unique_email("phone")
    register(page, server, email)
    confirm_it_is_you(page, server, email)

    # Binding a first number needs only the code sent to it.
    first = unique_phone()
    assert page.locator("#phone-old-unavailable").count() == 0
    send_phone_codes(page, first)
    assert code_fields(page) == ["newCode"], f"binding a first number asks for {code_fields(page)}"
    label = page.locator("label[for=newCode]").inner_text()
    assert label.startswith("Code sent by SMS to the new number (+") and "•" in label, label
    code = newest_code(server, first)
    message = next(m for m in messages_to(server, first) if m.get("code") == code)
    assert message["channel"] == "sms" and "add this address" in message["body"], message
    page.fill("#newCode", code)
    posted = submit_form(page, "Confirm", f"{SECURITY}/phone/verify")
    assert posted.status == 302 and page.url == f"{server}{SECURITY}?done=phone", page.url
    assert page.locator("#factor-phone .identifier").inner_text() == first
    assert page.locator("#sign-in-methods").inner_text() == "a code by email or a code by SMS"
    holds_before = page.locator(".holds li[data-kind]").count()
    # Binding it is announced, as an addition, to the number itself and to the email address.
    wait_for_message(server, first, "security alert")
    wait_for_message(server, email, "phone number was added to your account")
    alerts_to_first = len(messages_to(server, first, "security alert"))
    alerts_to_email = len(messages_to(server, email, "phone number of your account was changed"))

    # Changing it needs a code to the new number and one to the current number.
    second = unique_phone()
    assert page.locator("#phone-old-unavailable").is_visible()
    assert first in page.locator("label.check", has=page.locator("#phone-old-unavailable")).inner_text()
    wait_for_resend_interval(server, first)
    before_old = latest_code(server, first)
    send_phone_codes(page, second)
    assert code_fields(page) == ["newCode", "oldCode"], f"changing the number asks for {code_fields(page)}"
    label = page.locator("label[for=oldCode]").inner_text()
    assert label.startswith("Code sent by SMS to your current number (+") and "•" in label, label
    new_code = newest_code(server, second)
    old_code = newest_code(server, first, exclude=(before_old,))
    old_message = next(m for m in messages_to(server, first) if m.get("code") == old_code)
    assert old_message["channel"] == "sms" and "confirm a change" in old_message["body"], old_message
    screenshot(page, "security-phone-codes")

    # The two codes in each other's boxes are refused, and nothing changes.
    if new_code != old_code:
        page.fill("#newCode", old_code)
        page.fill("#oldCode", new_code)
        posted = submit_form(page, "Confirm", f"{SECURITY}/phone/verify")
        assert posted.status == 422 and alert(page, "code.invalid").is_visible(), \
            f"swapped codes answered {posted.status}"
        assert code_fields(page) == ["newCode", "oldCode"], "the page lost a field after the refusal"
        screenshot(page, "security-phone-swapped-codes")
        elsewhere = page.context.new_page()  # the settings in another tab meanwhile
        elsewhere.goto(SECURITY)
        assert elsewhere.locator("#factor-phone .identifier").inner_text() == first, "swapped codes changed the number"
        elsewhere.close()

    page.fill("#newCode", new_code)
    page.fill("#oldCode", old_code)
    posted = submit_form(page, "Confirm", f"{SECURITY}/phone/verify")
    assert posted.status == 302 and page.url == f"{server}{SECURITY}?done=phone", \
        f"the right codes answered {posted.status} and left the page on {page.url}"
    assert page.locator("#factor-phone .identifier").inner_text() == second
    assert first not in page.locator("ul.factors").inner_text()
    holds = page.locator(".holds li[data-kind]")
    assert holds.count() == holds_before + 1, "the change placed no withdrawal hold shown on the page"
    assert "phone number change" in holds.last.inner_text() and holds.last.locator("time[datetime]").count() == 1
    screenshot(page, "security-phone-changed")

    # The old number is told, and so are the new one and the email address.
    told = wait_for_new_message(server, first, "security alert", alerts_to_first)
    assert told["channel"] == "sms" and "phone number of your account was changed" in told["body"], told
    assert "Not you?" in told["body"]
    assert "phone number of your account was changed" in wait_for_message(server, second, "security alert")["body"]
    wait_for_new_message(server, email, "phone number of your account was changed", alerts_to_email)


# ---------------------------------------------------------------------------------------------
# 4. The anti-phishing code
# ---------------------------------------------------------------------------------------------

def test_anti_phishing_code_heads_every_later_email_and_no_sms(page, server):
    email = unique_email("phishing")
    register(page, server, email)
    confirm_it_is_you(page, server, email)
    phrase = f"Heron-{uuid.uuid4().hex[:6]}"

    page.fill("#anti-phishing-code", "no spaces!")
    posted = click_for_post(page, page.locator("#anti-phishing-form button[type=submit]"), f"{SECURITY}/anti-phishing")
    assert posted.status == 422 and alert(page, "anti_phishing_code.invalid").is_visible(), \
        f"an invalid anti-phishing code answered {posted.status}"

    page.fill("#anti-phishing-code", phrase)
    posted = click_for_post(page, page.locator("#anti-phishing-form button[type=submit]"), f"{SECURITY}/anti-phishing")
    assert posted.status == 302 and page.url == f"{server}{SECURITY}?done=anti-phishing", page.url
    assert page.locator("#factor-anti-phishing").inner_text().strip() == "Anti-phishing code: set"
    assert phrase not in page.content(), "the settings page shows the anti-phishing code"
    changed = wait_for_message(server, email, "anti-phishing code was changed")
    assert changed["body"].startswith(f"{ANTI_PHISHING_PREFIX}{phrase}\n"), changed["body"]

    # A phone number bound afterwards: its SMS (the code, the alert) carry no anti-phishing code.
    phone = unique_phone()
    send_phone_codes(page, phone)
    page.fill("#newCode", newest_code(server, phone))
    assert submit_form(page, "Confirm", f"{SECURITY}/phone/verify").status == 302
    phone_alert = wait_for_message(server, email, "phone number was added to your account")
    assert phone_alert["body"].startswith(f"{ANTI_PHISHING_PREFIX}{phrase}\n"), phone_alert["body"]
    wait_for_message(server, phone, "security alert")

    # The next sign-in: the code by email starts with the anti-phishing code; the one by SMS does not.
    sign_out(page)
    _, before = password_step(page, server, email)
    code = newest_code(server, email, exclude=(before,))
    sign_in_email = next(m for m in messages_to(server, email) if m.get("code") == code)
    assert sign_in_email["body"].startswith(f"{ANTI_PHISHING_PREFIX}{phrase}\n\n"), \
        f"the sign-in email does not start with the anti-phishing code: {sign_in_email['body']!r}"
    assert "sign in" in sign_in_email["body"]

    wait_for_resend_interval(server, phone)
    before_sms = latest_code(server, phone)
    send_sms = page.locator(".send-other[data-channel=sms]")
    assert re.search(mask_pattern(phone), send_sms.inner_text()), send_sms.inner_text()
    posted = click_for_post(page, send_sms, "/login/verify/send")
    assert posted.status == 302 and page.url == f"{server}/login/verify?sent=sms", page.url
    sms_code = newest_code(server, phone, exclude=(before_sms,))
    for message in messages_to(server, phone):
        assert message["channel"] == "sms"
        assert phrase not in message["body"] and "anti-phishing" not in message["body"], \
            f"an SMS carries the anti-phishing code: {message['body']!r}"
    posted = enter_login_code(page, sms_code)
    assert posted.status == 302 and page.url == f"{server}/account", page.url


# ---------------------------------------------------------------------------------------------
# 5. Changing the password
# ---------------------------------------------------------------------------------------------

def change_password(page, current: str, new: str, keep_others: bool):
    """Fills in and submits #password-form; returns the response to the post."""
    page.fill("#current-password", current)
    page.fill("#new-password", new)
    if keep_others:
        page.check("#password-form input[name=keepOtherSessions]")
    return submit_form(page, "Change password", f"{SECURITY}/password")


def test_password_change_signs_out_other_devices_unless_asked_to_keep_them(browser, page, server):
    email = unique_email("password")
    register(page, server, email)  # the laptop: signed in by registering
    laptop = page

    phone_context = new_context(browser, server)
    try:
        phone = phone_context.new_page()
        sign_in_with_code(phone, server, email)
        phone.goto(SECURITY)
        assert is_fresh(phone), "a session that just completed both sign-in steps must confirm again"
        assert phone.get_attribute("#current-password", "autocomplete") == "current-password"
        assert phone.get_attribute("#new-password", "autocomplete") == "new-password"
        assert not phone.is_checked("#password-form input[name=keepOtherSessions]")

        # A wrong current password is explained and changes nothing.
        posted = change_password(phone, "Not-My-Password-1", NEW_PASSWORD, keep_others=False)
        assert posted.status == 422 and alert(phone, "password.incorrect").is_visible(), \
            f"a wrong current password answered {posted.status}"
        laptop.goto("/account")
        assert laptop.url == f"{server}/account", "a refused password change signed the laptop out"

        # Changed without keeping other devices: the laptop is signed out, the phone is not.
        alerts = len(messages_to(server, email, "your password was changed"))
        posted = change_password(phone, STRONG_PASSWORD, NEW_PASSWORD, keep_others=False)
        assert posted.status == 302 and phone.url == f"{server}{SECURITY}?done=password", phone.url
        assert "Your password was changed" in status_notice(phone)
        assert phone.locator(".holds li[data-kind]").filter(has_text="password change").count() == 1, \
            "the password change placed no withdrawal hold shown on the page"
        told = wait_for_new_message(server, email, "your password was changed", alerts)
        assert "Withdrawals are paused" in told["body"]
        laptop.goto("/account")
        assert path_of(laptop.url) == "/login", "the other device is still signed in after the password change"
        phone.goto("/account")
        assert phone.url == f"{server}/account", "the device that changed the password was signed out"

        # The old password no longer signs in; the new one does.
        posted = sign_in(laptop, email, STRONG_PASSWORD)
        assert posted.status == 401 and path_of(laptop.url) == "/login", f"the old password answered {posted.status}"
        sign_in_with_code(laptop, server, email, NEW_PASSWORD)

        # Changed again, keeping other devices: the laptop stays signed in.
        phone.goto(SECURITY)
        posted = change_password(phone, NEW_PASSWORD, THIRD_PASSWORD, keep_others=True)
        assert posted.status == 302 and phone.url == f"{server}{SECURITY}?done=password", phone.url
        wait_for_new_message(server, email, "your password was changed", alerts + 1)
        laptop.goto("/account")
        assert laptop.url == f"{server}/account", "keepOtherSessions signed the other device out anyway"
        assert laptop.locator("table.sessions tbody tr").count() == 2
    finally:
        phone_context.close()


# ---------------------------------------------------------------------------------------------
# 6. Password recovery with an authenticator bound
# ---------------------------------------------------------------------------------------------

def recover_until_second_factor(page, server: str, label: str) -> tuple[str, AuthenticatorApp, str]:
    """Registers, binds an authenticator, signs out and enters the reset code of a recovery;
    returns the address, the app and the recovery id, the page on the recovery's next step."""
    email = unique_email(label)
    register(page, server, email)
    confirm_it_is_you(page, server, email)
    app, _ = bind_authenticator(page, server)
    wait_for_message(server, email, "authenticator app was bound")
    sign_out(page)
    wait_for_resend_interval(server, email)
    before = latest_code(server, email)
    recovery_id = start_recovery(page, email)
    posted = enter_recovery_code(page, recovery_id, newest_code(server, email, exclude=(before,)))
    assert posted.status == 302 and path_of(page.url) == f"/recover/{recovery_id}", \
        f"the reset code answered {posted.status} and left the page on {page.url}"
    return email, app, recovery_id


def test_recovery_with_an_authenticator_asks_for_its_code_before_the_new_password(page, server):
    email, app, recovery_id = recover_until_second_factor(page, server, "recover-totp")
    already, since = len(messages_to(server, email)), time.monotonic()

    # The reset code alone does not lead to the new password: the authenticator step comes first.
    assert page.locator("input[name=password]").count() == 0, "the reset code alone allows a new password"
    form = page.locator(f"form[action='/recover/{recovery_id}/second-factor']")
    assert form.count() == 1, "no authenticator form posting to the recovery's second factor"
    assert page.input_value("input[name=method]") == "totp"
    assert page.locator("label[for=code]").inner_text().strip() == "Authenticator code"
    assert "Your reset code was right" in page.locator("main").inner_text()
    assert page.locator("#resend").count() == 0 and page.locator(".send-other").count() == 0
    screenshot(page, "recover-authenticator")

    # Skipping the step by posting the new password is refused.
    csrf = form.locator("input[name=csrf]").input_value()
    skipped = page.request.post(f"/recover/{recovery_id}/password", form={"csrf": csrf, "password": NEW_PASSWORD},
                                max_redirects=0)
    assert skipped.status == 409 and "recovery.second_factor_required" in skipped.text(), \
        f"a new password without the authenticator answered {skipped.status}"

    posted = submit_code(page, app.wrong_code(), f"/recover/{recovery_id}/second-factor")
    assert posted.status == 422 and alert(page, "totp.invalid").is_visible(), f"a wrong code answered {posted.status}"
    assert page.locator("input[name=password]").count() == 0

    posted = submit_code(page, app.code(), f"/recover/{recovery_id}/second-factor")
    assert posted.status == 302 and path_of(page.url) == f"/recover/{recovery_id}", page.url
    assert page.locator("h1").inner_text() == "Choose a new password"
    assert_nothing_sent(server, email, already, since, "the authenticator step of the recovery sent messages")

    posted = choose_new_password(page, recovery_id, NEW_PASSWORD)
    assert posted.status == 302 and path_of(page.url) == "/login" and "reset=1" in page.url, page.url
    # The authenticator is still bound: the next sign-in asks for it.
    posted = sign_in(page, email, NEW_PASSWORD)
    assert posted.status == 302, f"the new password answered {posted.status}"
    assert_authenticator_step(page)


# ---------------------------------------------------------------------------------------------
# 7. Security headers on the settings pages
# ---------------------------------------------------------------------------------------------

def test_security_pages_send_security_headers_and_are_never_cached(page, server):
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    responses = []
    page.on("response", lambda r: responses.append(r) if r.request.resource_type == "document" else None)

    email = unique_email("security-headers")
    register(page, server, email)
    page.goto(SECURITY)                                           # not confirmed
    page.fill("#confirm-password", "Not-My-Password-1")
    assert submit_form(page, "Continue", f"{SECURITY}/confirm").status == 422
    wait_for_resend_interval(server, email)
    before = latest_code(server, email)
    page.fill("#confirm-password", STRONG_PASSWORD)
    assert submit_form(page, "Continue", f"{SECURITY}/confirm").status == 302   # the code page
    code = newest_code(server, email, exclude=(before,))
    assert submit_code(page, other_code(code), f"{SECURITY}/confirm/verify").status == 422
    page.goto(f"{SECURITY}/confirm")
    assert submit_code(page, code, f"{SECURITY}/confirm/verify").status == 302   # confirmed
    key_page = start_binding(page)                                # the key and the QR code
    page.fill("#code", AuthenticatorApp(page.locator("#totp-secret").inner_text()).wrong_code())
    assert submit_form(page, "Bind", f"{SECURITY}/authenticator/confirm").status == 422
    page.goto(SECURITY)
    send_phone_codes(page, unique_phone())                       # the page for the phone's codes

    visited = {path_of(r.url) for r in responses}
    for path in [SECURITY, f"{SECURITY}/confirm", f"{SECURITY}/confirm/verify", f"{SECURITY}/authenticator",
                 f"{SECURITY}/authenticator/confirm", f"{SECURITY}/phone"]:
        assert path in visited, f"{path} was not visited"
    for response in responses:
        check_security_headers(response.url, response.all_headers())
        if path_of(response.url).startswith(SECURITY) and response.status == 200:
            assert "no-store" in (response.headers.get("cache-control") or ""), \
                f"{response.url}: personal page may be cached (Cache-Control {response.headers.get('cache-control')!r})"
    assert "no-store" in (key_page.headers.get("cache-control") or ""), \
        "the page showing the authenticator key may be stored by the browser or a proxy"
    assert not violations, f"the security pages break their own CSP: {violations}"
