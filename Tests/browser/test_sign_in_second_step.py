"""The second step of signing in, driven through the real pages: after the right password the
server sends a code to the account's first channel and /login/verify asks for it; resend and its
countdown, wrong codes, the lock they count toward, SMS, the help page for people who cannot
complete the step, and where the login flow's id may and may not appear."""

from __future__ import annotations

import re
import time

import pytest

from conftest import (click_for_post, COUNTDOWN_RESEND_INTERVAL, STRONG_PASSWORD, enter_login_code, latest_code, mailbox, mask_pattern,
                      new_context, newest_code, password_step, path_of, register, screenshot, seconds_left, sign_in,
                      unique_email, unique_phone, wait_for_message)

FLOW_COOKIE = "__Host-keyward_login"
SESSION_COOKIE = "__Host-keyward_session"
LOCKOUT_FAILURES = 5  # the default lockout.maxFailures
FLOW_LIFETIME = 600  # the default login.flowLifetime


def alert(page, code: str):
    return page.locator(f".alert[data-code='{code}']")


def cookies_named(page, name: str) -> list[dict]:
    return [c for c in page.context.cookies() if c["name"] == name]


def cookie_attributes(set_cookie: str) -> tuple[str, str, dict[str, str]]:
    """The name, value and lower-cased attributes of one Set-Cookie header."""
    first, *attributes = [part.strip() for part in set_cookie.split(";")]
    name, _, value = first.partition("=")
    parsed = {}
    for attribute in attributes:
        key, _, attribute_value = attribute.partition("=")
        parsed[key.lower()] = attribute_value
    return name, value, parsed


def another_code(code: str, *avoid: str | None) -> str:
    """A six-digit code that is neither ``code`` nor any of ``avoid``."""
    for step in range(1, 10):
        candidate = f"{(int(code) + step) % 1_000_000:06d}"
        if candidate not in avoid:
            return candidate
    raise AssertionError("unreachable")


# ---------------------------------------------------------------------------------------------
# 1. Email code, end to end; the flow id stays in an HttpOnly cookie
# ---------------------------------------------------------------------------------------------

def test_sign_in_by_email_code_lands_on_account_and_keeps_the_flow_out_of_every_url(browser, page, server):
    email = unique_email("two-step")
    register(page, server, email)
    page.context.clear_cookies()

    # Without a sign-in under way there is no second step to show.
    page.goto("/login/verify")
    assert path_of(page.url) == "/login", f"/login/verify without a flow left the page on {page.url}"

    visited = []  # every URL the browser asked for or showed, redirects and Referer included

    def note_request(request):
        visited.append(request.url)
        if request.headers.get("referer"):
            visited.append(request.headers["referer"])

    page.on("request", note_request)
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    flow_cookies = []
    page.on("response", lambda response: flow_cookies.extend(
        (response.url, h["value"]) for h in response.headers_array()
        if h["name"].lower() == "set-cookie" and h["value"].startswith(f"{FLOW_COOKIE}=")))

    posted, before = password_step(page, server, email)
    assert page.url == f"{server}/login/verify?sent=email"
    assert page.locator("h1").inner_text() == "Verify it's you"
    notice = page.locator(".notice").inner_text().strip()
    assert re.fullmatch(f"We sent a code to {mask_pattern(email)}\\.", notice), f"unexpected notice {notice!r}"
    assert email not in page.content(), "the second-step page shows the whole address"
    assert page.input_value("input[name=method]") == "email_code"
    assert page.get_attribute("#code", "autocomplete") == "one-time-code"
    # One identifier, one channel: nothing to switch to.
    assert page.locator(".send-other").count() == 0
    assert re.search(mask_pattern(email), page.locator("#resend").inner_text())
    assert page.locator("#verification-unavailable").is_visible()
    screenshot(page, "login-verify")

    code = newest_code(server, email, exclude=(before,))
    assert re.fullmatch(r"\d{6}", code), f"unexpected code format {code!r}"
    message = next(m for m in mailbox(server) if m.get("code") == code and m["to"] == email)
    assert "sign in" in message["body"], f"the code's message does not say what it is for: {message['body']!r}"

    # The flow cookie, as sent by the server with the redirect to the second step...
    assert posted.url.endswith("/login") and any(url == posted.url for url, _ in flow_cookies), \
        "the password step set no login flow cookie"
    name, flow_id, attributes = cookie_attributes(next(v for url, v in flow_cookies if url == posted.url))
    assert len(flow_id) >= 16, f"implausible flow id {flow_id!r}"
    assert "secure" in attributes and "httponly" in attributes, f"flags missing: {attributes}"
    assert attributes.get("samesite", "").lower() == "lax", f"SameSite is not Lax: {attributes}"
    assert attributes.get("path") == "/" and "domain" not in attributes, attributes
    assert 0 < int(attributes.get("max-age", "0")) <= FLOW_LIFETIME, f"the flow cookie outlives the flow: {attributes}"
    # ...and as the browser stored it, out of reach of scripts.
    stored = cookies_named(page, FLOW_COOKIE)
    assert len(stored) == 1 and stored[0]["value"] == flow_id
    assert stored[0]["secure"] and stored[0]["httpOnly"] and stored[0]["sameSite"] == "Lax" and stored[0]["path"] == "/"
    assert "keyward_login" not in page.evaluate("document.cookie"), "scripts can read the login flow cookie"
    assert flow_id not in page.content(), "the second-step page holds the flow id"

    verified = enter_login_code(page, code)
    assert verified.status == 302, f"the right code answered {verified.status}"
    assert page.url == f"{server}/account"
    assert email in page.locator("ul.identifiers").inner_text()
    assert len(cookies_named(page, SESSION_COOKIE)) == 1, "no session cookie after the second step"
    assert cookies_named(page, FLOW_COOKIE) == [], "the finished login flow's cookie is kept"

    leaks = [url for url in visited if flow_id in url]
    assert not leaks, f"the flow id appeared in URLs: {leaks}"
    assert any(path_of(url) == "/login/verify" for url in visited)  # the listener did see the step

    # The finished flow cannot be used again, even by someone who copied its cookie.
    thief = new_context(browser, server)
    try:
        other = thief.new_page()
        thief.add_cookies([{**stored[0]}])
        other.goto("/login/verify")
        assert alert(other, "flow.completed").is_visible(), "a finished login flow still shows its second step"
        assert other.locator("#code").count() == 0
        other.goto("/account")
        assert path_of(other.url) == "/login", "a copied flow cookie signed another browser in"
    finally:
        thief.close()


# ---------------------------------------------------------------------------------------------
# 2. Resend and its countdown; wrong and superseded codes
# ---------------------------------------------------------------------------------------------

def test_second_step_counts_down_to_resend_and_explains_wrong_codes(countdown_page, countdown_server):
    page, server = countdown_page, countdown_server
    email = unique_email("two-step-resend")
    register(page, server, email)
    page.context.clear_cookies()
    _, before = password_step(page, server, email)
    masked = mask_pattern(email)

    # Right after the code was sent, Resend waits for the interval and says how long.
    resend = page.locator("#resend")
    assert resend.is_disabled(), "Resend is usable right after a code was sent"
    assert re.fullmatch(f"Resend code to {masked}", resend.inner_text().strip()), resend.inner_text()
    first = seconds_left(page)
    assert 1 <= first <= COUNTDOWN_RESEND_INTERVAL + 1, f"implausible wait {first} s"

    # The server enforces the wait too: a forced click is answered with how long to wait.
    resend.evaluate("el => { el.disabled = false; }")
    posted = click_for_post(page, resend, "/login/verify/send")
    assert posted.status == 429, f"an early resend answered {posted.status}"
    assert alert(page, "code.resend_too_soon").is_visible()
    assert page.locator("h1").inner_text() == "Verify it's you"
    assert resend.is_disabled()
    assert 1 <= seconds_left(page) <= first
    first_code = newest_code(server, email, exclude=(before,))

    # When the wait is over the button works again, and a new code replaces the first one.
    page.locator("#resend:enabled").wait_for(timeout=(COUNTDOWN_RESEND_INTERVAL + 3) * 1000)
    assert page.locator("#resend-countdown").inner_text().strip() == "You can ask for a new code now."
    posted = click_for_post(page, resend, "/login/verify/send")
    assert posted.status == 302, f"a resend after the wait answered {posted.status}"
    assert page.url == f"{server}/login/verify?sent=email"
    assert re.fullmatch(f"We sent a code to {masked}\\.", page.locator(".notice").inner_text().strip())
    assert resend.is_disabled(), "the countdown did not start again after the resend"
    second_code = newest_code(server, email, exclude=(before, first_code))

    # A mistyped code, then the superseded first code: both are explained, with the tries left,
    # and the page keeps working.
    posted = enter_login_code(page, another_code(second_code, first_code))
    assert posted.status == 422, f"a wrong code answered {posted.status}"
    message = alert(page, "code.invalid")
    assert message.is_visible() and message.get_attribute("role") == "alert"
    assert "Wrong code" in message.inner_text() and "Tries left for this code: 4" in message.inner_text(), message.inner_text()
    assert page.locator("h1").inner_text() == "Verify it's you", "a wrong code left the second step"
    assert page.input_value("#code") == ""
    assert page.input_value("input[name=method]") == "email_code"
    assert page.locator("#resend").count() == 1 and page.locator("#verification-unavailable").is_visible()
    screenshot(page, "login-verify-wrong-code")
    if first_code != second_code:
        posted = enter_login_code(page, first_code)
        assert posted.status == 422, f"the superseded code answered {posted.status}"
        assert "Tries left for this code: 3" in alert(page, "code.invalid").inner_text()

    posted = enter_login_code(page, second_code)
    assert posted.status == 302, f"the newest code answered {posted.status}"
    assert page.url == f"{server}/account"


# ---------------------------------------------------------------------------------------------
# 3. An account registered by phone: SMS; the help page for an impossible second step
# ---------------------------------------------------------------------------------------------

def test_sign_in_by_phone_gets_the_code_by_sms_and_offers_help_when_verification_is_unavailable(page, server):
    phone = unique_phone()
    register(page, server, phone)
    page.context.clear_cookies()
    _, before = password_step(page, server, phone)
    assert page.url == f"{server}/login/verify?sent=sms"
    notice = page.locator(".notice").inner_text().strip()
    assert re.fullmatch(f"We sent a code to {mask_pattern(phone)}\\.", notice), f"unexpected notice {notice!r}"
    assert phone not in page.content(), "the second-step page shows the whole phone number"
    assert page.input_value("input[name=method]") == "sms_code"
    # An account has only the identifier it registered with, so there is no email to send to instead.
    assert page.locator(".send-other").count() == 0
    code = newest_code(server, phone, exclude=(before,))
    message = next(m for m in mailbox(server) if m.get("code") == code and m["to"] == phone)
    assert message["channel"] == "sms", f"the sign-in code went out by {message['channel']}"
    screenshot(page, "login-verify-sms")

    # Methods the account does not have cannot be forced through the form.
    csrf = page.locator("form[action='/login/verify'] input[name=csrf]").input_value()
    forged = page.request.post("/login/verify/send", form={"csrf": csrf, "channel": "email"}, max_redirects=0)
    assert forged.status == 422 and "second_factor.method_unavailable" in forged.text(), \
        f"asking for an email code on a phone-only account answered {forged.status}"
    forged = page.request.post("/login/verify", form={"csrf": csrf, "method": "totp", "code": "123456"},
                               max_redirects=0)
    assert forged.status == 422 and "second_factor.method_unavailable" in forged.text(), \
        f"an authenticator code on an account without one answered {forged.status}"

    # No phone at hand: the link explains what can be done.
    with page.expect_navigation():
        page.locator("#verification-unavailable").click()
    assert page.url == f"{server}/login/verification-unavailable"
    assert page.locator("h1").inner_text() == "Security verification unavailable?"
    options = page.locator("main ol li")
    assert options.count() >= 3, "the help page lists no options"
    text = page.locator("main").inner_text()
    for words in ["authenticator", "code by email", "support", "identity documents", "withdrawals are paused"]:
        assert words in text, f"the help page does not mention {words!r}"
    assert "never ask for your password or codes" in text
    back = page.get_by_role("link", name="Back to sign in")
    assert back.get_attribute("href") == "/login"
    screenshot(page, "login-verification-unavailable")

    # Coming back, the sign-in is still under way and the code still works.
    page.go_back()
    assert path_of(page.url) == "/login/verify"
    posted = enter_login_code(page, code)
    assert posted.status == 302, f"the SMS code answered {posted.status}"
    assert page.url == f"{server}/account"
    assert phone in page.locator("ul.identifiers").inner_text()


# ---------------------------------------------------------------------------------------------
# 4. Wrong codes count toward the sign-in lock
# ---------------------------------------------------------------------------------------------

def enter_wrong_codes(page, code: str, count: int) -> list:
    """Enters ``count`` wrong codes on /login/verify; returns the responses to the posts."""
    answers = []
    for _ in range(count):
        answers.append(enter_login_code(page, another_code(code)))
        if answers[-1].status != 422:
            break
    return answers


def test_wrong_codes_lock_the_account_even_across_sign_ins(page, server):
    email = unique_email("two-step-lock")
    register(page, server, email)
    page.context.clear_cookies()

    # Three wrong codes in one sign-in...
    _, before = password_step(page, server, email)
    code = newest_code(server, email, exclude=(before,))
    answers = enter_wrong_codes(page, code, 3)
    assert [a.status for a in answers] == [422] * 3, [a.status for a in answers]
    assert alert(page, "code.invalid").is_visible()

    # ...and starting again with the right password does not wipe them out: two more lock.
    _, before = password_step(page, server, email)
    code = newest_code(server, email, exclude=(before,))
    answers = enter_wrong_codes(page, code, LOCKOUT_FAILURES - 3)
    assert [a.status for a in answers] == [422] * (LOCKOUT_FAILURES - 4) + [423], \
        f"wrong codes {[a.status for a in answers]} after 3 in an earlier sign-in"
    assert "Account temporarily locked" in page.locator("main").inner_text()
    assert page.locator("#code").count() == 0, "the locked sign-in still asks for a code"
    screenshot(page, "login-verify-locked")

    # The lock is the sign-in lock: the right password is refused on /login with the usual message.
    page.context.clear_cookies()
    posted = sign_in(page, email, STRONG_PASSWORD)
    assert posted.status == 423, f"the right password after the lock answered {posted.status}"
    assert alert(page, "account.locked").is_visible()
    page.goto("/account")
    assert path_of(page.url) == "/login"
    notice = wait_for_message(server, email, "account was locked")
    assert "Forgot password?" in notice["body"], notice["body"]


def test_a_lock_reached_on_the_second_step_is_explained_and_ends_the_step(page, server):
    email = unique_email("two-step-lock-page")
    register(page, server, email)
    page.context.clear_cookies()
    _, before = password_step(page, server, email)
    code = newest_code(server, email, exclude=(before,))
    answers = enter_wrong_codes(page, code, LOCKOUT_FAILURES)
    assert [a.status for a in answers] == [422] * (LOCKOUT_FAILURES - 1) + [423], [a.status for a in answers]

    # Explained like a lock met on /login: what happened, until when (in the reader's time), and
    # the way out.
    locked = alert(page, "account.locked")
    assert locked.is_visible() and locked.get_attribute("role") == "alert"
    assert locked.locator("time[datetime]").count() == 1, "the end of the lock is not shown as a time"
    assert page.locator("#forgot-password").is_visible()

    # The sign-in that ran into the lock is over: no code form, and no more codes sent.
    page.goto("/login/verify")
    assert page.locator("#code").count() == 0, "the locked sign-in still asks for a code"
    assert page.locator("#resend").count() == 0, "the locked sign-in still offers to send codes"


# ---------------------------------------------------------------------------------------------
# 5. A sign-in right after registering (the default 60 s interval): no code yet, a countdown
# ---------------------------------------------------------------------------------------------

def sign_in_right_after_registering(page, server: str, label: str) -> tuple[str, str]:
    """Registers a new address and at once submits its password; returns the address and its
    registration code (the code sent less than the resend interval before the sign-in)."""
    email = unique_email(label)
    register(page, server, email)
    registration_code = latest_code(server, email)
    page.context.clear_cookies()
    posted = sign_in(page, email, STRONG_PASSWORD)
    assert posted.status == 302, f"the right password answered {posted.status}"
    return email, registration_code


def test_sign_in_right_after_registering_sends_no_code_until_the_interval_is_over(default_page,
                                                                                 default_interval_server):
    page, server = default_page, default_interval_server
    email, registration_code = sign_in_right_after_registering(page, server, "two-step-too-soon")
    # The registration code went out moments ago, so none is sent now and the page does not say so.
    assert page.url == f"{server}/login/verify", f"a code was sent within the resend interval: {page.url}"
    assert page.locator(".notice").count() == 0, "the page says a code was sent"
    send = page.locator("#resend")
    assert re.fullmatch(f"Send code to {mask_pattern(email)}", send.inner_text().strip()), send.inner_text()
    screenshot(page, "login-verify-too-soon")

    # Asking now is answered with how long to wait, counted down on a disabled button; nothing is sent.
    send.evaluate("el => { el.disabled = false; }")  # as if the countdown were ignored
    posted = click_for_post(page, send, "/login/verify/send")
    assert posted.status == 429, f"a send within the resend interval answered {posted.status}"
    retry_after = int(posted.headers.get("retry-after", "0"))
    assert 30 < retry_after <= 61, f"implausible Retry-After {retry_after}"
    message = alert(page, "code.resend_too_soon")
    assert message.is_visible() and f"in {retry_after} seconds" in message.inner_text(), message.inner_text()
    assert page.locator("h1").inner_text() == "Verify it's you"
    assert send.is_disabled()
    first = seconds_left(page)
    assert retry_after - 1 <= first <= retry_after, f"countdown {first} s, Retry-After {retry_after} s"
    page.wait_for_timeout(1_100)
    second = seconds_left(page)
    assert 1 <= first - second <= 2, f"countdown went from {first} to {second} in 1.1 s"
    assert send.is_disabled()
    assert latest_code(server, email) == registration_code, "a code was sent within the resend interval"

    # The registration code, still fresh in the mailbox, does not sign in.
    posted = enter_login_code(page, registration_code)
    assert posted.status == 409, f"the registration code answered {posted.status} on the second step"
    assert alert(page, "second_factor.code_not_sent").is_visible()
    assert not cookies_named(page, SESSION_COOKIE)


def test_sign_in_right_after_registering_shows_the_wait_at_once(default_page, default_interval_server):
    page, server = default_page, default_interval_server
    sign_in_right_after_registering(page, server, "two-step-too-soon-countdown")
    assert page.url == f"{server}/login/verify"
    assert page.locator("#resend").is_disabled(), "'Send code to …' is usable within the resend interval"
    assert 30 < seconds_left(page) <= 61


def test_the_page_says_when_the_code_left_and_where_to_look(browser, context, server):
    email = unique_email("where")
    registering = new_context(browser, server)
    register(registering.new_page(), server, email)
    registering.close()
    page = context.new_page()
    password_step(page, server, email)
    newest_code(server, email)  # in the mailbox; the outbox records it sent a moment later
    delivery = page.locator("#code-delivery")
    deadline = time.monotonic() + 5
    while True:
        page.reload()
        if delivery.get_attribute("data-state") == "sent":
            break
        assert time.monotonic() < deadline, f"the page never said the code was sent: {delivery.inner_text()}"
        time.sleep(0.1)
    text = delivery.inner_text()
    assert "your email provider accepted it" in text and "spam" in text, text
    # The time is shown in the reader's zone; the exact UTC time stays in the attribute.
    when = delivery.locator("time")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", when.get_attribute("datetime"))
    assert when.inner_text() != when.get_attribute("datetime")
    screenshot(page, "code-delivery-sent")
