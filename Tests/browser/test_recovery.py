"""Forgotten password and the account lock, driven through the real pages: "Forgot password?" on
the sign-in page, the reset code (wrong codes, resend and its countdown), the new password, and
what a reset does to sessions, the lock, the owner's mailbox and withdrawals."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from conftest import (COUNTDOWN_RESEND_INTERVAL, STRONG_PASSWORD, choose_new_password, enter_recovery_code,
                      mailbox, new_context, newest_code, next_code_allowed_at, path_of, register, request_reset_code,
                      screenshot, seconds_left, sign_in, sign_in_with_code, start_recovery, submit_form,
                      unique_email, wait_for_message, wait_until)

# A code to one address must wait the resend interval after the previous one (60 s by default),
# and registering sends one: a recovery started right after registering is refused. The recovery
# tests use a server whose interval is a few seconds, still long enough to watch the countdown tick.
RESEND_INTERVAL = COUNTDOWN_RESEND_INTERVAL
NEW_PASSWORD = "Copper-Harbour-82"
LOCKOUT_FAILURES = 5  # the default lockout.maxFailures
LOCKOUT_DURATION = timedelta(hours=2)  # the default lockout.duration
WITHDRAWAL_HOLD = timedelta(hours=24)  # the default holds.afterPasswordReset


@pytest.fixture
def recovery_server(countdown_server):
    """A server like the shared one, but whose resend interval is RESEND_INTERVAL seconds."""
    return countdown_server


@pytest.fixture
def recovery_page(countdown_page):
    return countdown_page


def register_for_recovery(page, server: str, label: str) -> tuple[str, str, float]:
    """Registers a new address through the pages; returns it, its registration code, and the time
    (epoch seconds) from which a reset code may be sent to it."""
    email = unique_email(label)
    register(page, server, email)
    return email, newest_code(server, email), next_code_allowed_at(server, email, RESEND_INTERVAL)


def parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def alert(page, code: str):
    return page.locator(f".alert[data-code='{code}']")


def retry_password(page, password: str):
    """Types another password into the sign-in form the page shows again after a refusal (the
    identifier is kept) and submits it; returns the response to the form post."""
    page.fill("input[name=password]", password)
    return submit_form(page, "Sign in", "/login")


# ---------------------------------------------------------------------------------------------
# 1. The whole reset
# ---------------------------------------------------------------------------------------------

def test_forgotten_password_reset_signs_out_everywhere_and_holds_withdrawals(browser, recovery_server,
                                                                             recovery_page):
    server = recovery_server
    # The owner's laptop: registered and still signed in when the password is reset elsewhere.
    laptop = recovery_page
    email, registration_code, ready = register_for_recovery(laptop, server, "forgot")

    phone_context = new_context(browser, server)
    try:
        page = phone_context.new_page()
        page.goto("/login")
        link = page.locator("#forgot-password")
        assert link.inner_text().strip() == "Forgot password?"
        with page.expect_navigation():
            link.click()
        assert page.url == f"{server}/recover"
        assert page.locator("h1").inner_text() == "Reset your password"
        screenshot(page, "recover")

        wait_until(ready)
        posted = request_reset_code(page, email)
        assert posted.status == 302, f"asking for a reset code answered {posted.status}"
        recovery_id = path_of(page.url).split("/")[-1]
        assert page.url == f"{server}/recover/{recovery_id}"
        assert page.locator("h1").inner_text() == "Enter your code"
        assert page.locator(".destination").inner_text() == email
        screenshot(page, "recover-code")
        code = newest_code(server, email, exclude=(registration_code,))
        assert re.fullmatch(r"\d{6}", code), f"unexpected code format {code!r}"
        reset_mail = wait_for_message(server, email, "password reset code")
        assert reset_mail["code"] == code

        posted = enter_recovery_code(page, recovery_id, code)
        assert posted.status == 302, f"the right code answered {posted.status}"
        assert page.url == f"{server}/recover/{recovery_id}"
        assert page.locator("h1").inner_text() == "Choose a new password"
        assert page.locator("input[name=code]").count() == 0
        screenshot(page, "recover-password")

        posted = choose_new_password(page, recovery_id, NEW_PASSWORD)
        assert posted.status == 302, f"the new password answered {posted.status}"
        assert page.url == f"{server}/login?reset=1"
        notice = page.locator(".notice").inner_text()
        assert "Your password was changed" in notice and "signed out" in notice
        # The finished recovery cannot be replayed: its page sends people to sign in.
        page.goto(f"/recover/{recovery_id}")
        assert page.url == f"{server}/login?reset=1"

        # The laptop's session ended with the reset.
        laptop.goto("/account")
        assert path_of(laptop.url) == "/login", f"the session opened before the reset still works: {laptop.url}"

        # The old password no longer signs in, the new one does.
        posted = sign_in(page, email, STRONG_PASSWORD)
        assert posted.status == 401, f"the old password answered {posted.status}"
        assert alert(page, "credentials.invalid").is_visible()
        posted = sign_in_with_code(page, server, email, NEW_PASSWORD)  # and the second step
        assert posted.status == 302, f"the new password answered {posted.status}"
        assert page.url == f"{server}/account"

        # The owner is told on their address, with the hold.
        changed = wait_for_message(server, email, "password was changed")
        assert "Every device was signed out" in changed["body"] and "Withdrawals are paused" in changed["body"]
        assert changed.get("code") is None

        # /account shows the withdrawal hold and the activity that led to it.
        holds = page.locator(".holds li[data-kind='withdrawal']")
        assert holds.count() == 1 and holds.is_visible(), "no withdrawal hold on /account after a reset"
        assert "after a password reset" in holds.inner_text()
        until = parse_utc(holds.locator("time").get_attribute("datetime"))
        expected = datetime.now(timezone.utc) + WITHDRAWAL_HOLD
        assert abs((until - expected).total_seconds()) < 120, f"hold until {until}, expected about {expected}"
        activity = page.locator("ul.activity li .what").all_inner_texts()
        for event in ["Password reset requested", "Password reset code accepted", "Password reset",
                      "Withdrawals paused", "Signed in"]:
            assert event in activity, f"{event!r} missing from the recent activity {activity}"
        assert activity.index("Password reset") < activity.index("Password reset requested"), \
            f"recent activity is not newest first: {activity}"
        screenshot(page, "account-holds")
    finally:
        phone_context.close()


# ---------------------------------------------------------------------------------------------
# 2. The code page: resend countdown, wrong and superseded codes
# ---------------------------------------------------------------------------------------------

def test_recovery_code_page_counts_down_to_resend_and_explains_wrong_codes(recovery_page, recovery_server):
    page, server = recovery_page, recovery_server
    email, registration_code, ready = register_for_recovery(page, server, "recover-code")
    page.context.clear_cookies()
    wait_until(ready)
    recovery_id = start_recovery(page, email)
    first_code = newest_code(server, email, exclude=(registration_code,))

    # Right after a code was sent, Resend waits for the interval and says how long.
    resend = page.locator("#resend")
    assert resend.is_disabled(), "Resend is usable right after a code was sent"
    first = seconds_left(page)
    assert 1 <= first <= RESEND_INTERVAL + 1, f"implausible wait {first} s"

    # The server enforces the wait too: a forced click is answered with how long to wait.
    resend.evaluate("el => { el.disabled = false; }")
    posted = submit_form(page, "Resend code", f"/recover/{recovery_id}/resend")
    assert posted.status == 429, f"an early resend answered {posted.status}"
    assert alert(page, "code.resend_too_soon").is_visible()
    assert resend.is_disabled()
    before = seconds_left(page)
    assert 1 <= before <= first
    if before > 1:  # it ticks down, once a second
        page.locator("#resend-countdown", has_text=f"in {before - 1} s.").wait_for(timeout=1_500)

    # When the wait is over the button works again, and a new code replaces the first one.
    page.locator("#resend:enabled").wait_for(timeout=(RESEND_INTERVAL + 2) * 1000)
    assert page.locator("#resend-countdown").inner_text().strip() == "You can ask for a new code now."
    posted = submit_form(page, "Resend code", f"/recover/{recovery_id}/resend")
    assert posted.status == 302, f"a resend after the wait answered {posted.status}"
    assert page.url == f"{server}/recover/{recovery_id}?resent=1"
    assert page.locator(".notice").inner_text().strip() == "A new code is on its way."
    assert resend.is_disabled(), "the countdown did not start again after the resend"
    second_code = newest_code(server, email, exclude=(registration_code, first_code))

    # A mistyped code, then the superseded first code: both are explained, with the tries left.
    wrong = f"{(int(second_code) + 1) % 1_000_000:06d}"
    if wrong == first_code:
        wrong = f"{(int(second_code) + 2) % 1_000_000:06d}"
    posted = enter_recovery_code(page, recovery_id, wrong)
    assert posted.status == 422, f"a wrong code answered {posted.status}"
    message = alert(page, "code.invalid")
    assert message.is_visible() and message.get_attribute("role") == "alert"
    assert "Wrong code" in message.inner_text() and "Tries left for this code: 4" in message.inner_text()
    assert page.locator("h1").inner_text() == "Enter your code", "a wrong code left the code page"
    assert page.input_value("input[name=code]") == ""
    screenshot(page, "recover-code-wrong")
    if first_code != second_code:
        posted = enter_recovery_code(page, recovery_id, first_code)
        assert posted.status == 422, f"the superseded code answered {posted.status}"
        assert "Tries left for this code: 3" in alert(page, "code.invalid").inner_text()

    posted = enter_recovery_code(page, recovery_id, second_code)
    assert posted.status == 302, f"the newest code answered {posted.status}"
    assert page.locator("h1").inner_text() == "Choose a new password"


# ---------------------------------------------------------------------------------------------
# 3. The lock, and how a reset lifts it
# ---------------------------------------------------------------------------------------------

def test_locked_account_says_wait_and_not_retry_and_a_reset_lifts_the_lock(recovery_page, recovery_server):
    page, server = recovery_page, recovery_server
    email, registration_code, ready = register_for_recovery(page, server, "locked")
    page.context.clear_cookies()

    posted = sign_in(page, email, "Wrong-Guess-1")
    for attempt in range(2, LOCKOUT_FAILURES + 1):
        assert posted.status == 401, f"wrong password {attempt - 1} answered {posted.status}"
        assert alert(page, "credentials.invalid").is_visible()
        posted = retry_password(page, f"Wrong-Guess-{attempt}")
    assert posted.status == 423, f"wrong password {LOCKOUT_FAILURES} answered {posted.status}"
    locked = alert(page, "account.locked")
    assert locked.is_visible() and locked.get_attribute("role") == "alert"
    assert alert(page, "credentials.invalid").count() == 0
    title = locked.locator("strong").inner_text()
    sentence = locked.locator("p").inner_text()
    assert title == "Account temporarily locked"
    assert "Wait until" in sentence and "do not retry" in sentence, f"no advice to wait: {sentence!r}"
    assert "every attempt extends the lock" in sentence
    assert "Forgot password?" in sentence and "lifts the lock" in sentence, f"no way out named: {sentence!r}"
    # The end of the lock, shown in the reader's time zone with how far away it is.
    end = locked.locator("p time[datetime]")
    assert end.count() == 1, f"no end of the lock in {sentence!r}"
    expected = datetime.now(timezone.utc) + LOCKOUT_DURATION
    until = parse_utc(end.get_attribute("datetime"))
    assert abs((until - expected).total_seconds()) < 120, f"locked until {until}, expected about {expected}"
    assert "(in 2 hours)" in end.inner_text() and "T" not in end.inner_text(), end.inner_text()
    assert page.input_value("input[name=identifier]") == email
    assert page.input_value("input[name=password]") == ""
    screenshot(page, "login-locked")

    # While locked even the right password does not sign in, and the owner was told.
    posted = retry_password(page, STRONG_PASSWORD)
    assert posted.status == 423, f"the right password during the lock answered {posted.status}"
    assert alert(page, "account.locked").is_visible()
    page.goto("/account")
    assert path_of(page.url) == "/login"
    notice = wait_for_message(server, email, "account was locked")
    assert "Forgot password?" in notice["body"] and "lifts the lock" in notice["body"], notice["body"]

    # "Forgot password?" from the locked page; the reset lifts the lock at once.
    with page.expect_navigation():
        page.locator("#forgot-password").click()
    wait_until(ready)
    posted = request_reset_code(page, email)
    assert posted.status == 302, f"asking for a reset code while locked answered {posted.status}"
    recovery_id = path_of(page.url).split("/")[-1]
    enter_recovery_code(page, recovery_id, newest_code(server, email, exclude=(registration_code,)))
    posted = choose_new_password(page, recovery_id, NEW_PASSWORD)
    assert posted.status == 302 and page.url == f"{server}/login?reset=1"

    posted = sign_in_with_code(page, server, email, NEW_PASSWORD)  # and the second step
    assert posted.status == 302, f"the new password after the reset answered {posted.status}"
    assert page.url == f"{server}/account"
    activity = page.locator("ul.activity li .what").all_inner_texts()
    assert f"Account locked after {LOCKOUT_FAILURES} failed sign-ins" in activity, activity
    assert "Lock lifted" in activity, activity
    failed = page.locator("ul.activity li.failed .what").all_inner_texts()
    assert failed.count("Failed sign-in") == LOCKOUT_FAILURES, f"failed sign-ins not marked: {failed}"


# ---------------------------------------------------------------------------------------------
# 4. A reset asked for right after registering (the default 60 s interval)
# ---------------------------------------------------------------------------------------------

def test_reset_asked_for_right_after_registering_says_how_long_to_wait(default_page, default_interval_server):
    page, server = default_page, default_interval_server
    email = unique_email("too-soon")
    register(page, server, email)
    page.context.clear_cookies()
    page.goto("/recover")
    posted = request_reset_code(page, email)
    assert posted.status == 429, f"a second code within the resend interval answered {posted.status}"
    retry_after = int(posted.headers.get("retry-after", "0"))
    assert 30 < retry_after <= 61, f"implausible Retry-After {retry_after}"
    assert path_of(page.url) == "/recover"
    message = alert(page, "code.resend_too_soon")
    assert message.is_visible()
    assert "Please wait before asking again" in message.inner_text()
    assert f"in {retry_after} seconds" in message.inner_text()
    assert "spam" in message.inner_text()
    assert page.input_value("input[name=identifier]") == email
    screenshot(page, "recover-too-soon")
    # Nothing was sent: the registration code is still the newest message.
    assert [m for m in mailbox(server) if m["to"] == email][0]["subject"].startswith("Keyward verification code")
