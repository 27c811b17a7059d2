""""Can't sign in?" in Chromium: linked from the sign-in, registration and recovery pages; the code
sent to the address given opens the findings, each with its way out, for a locked, restricted,
frozen, half-registered or authenticator-bound account, or one with nothing in the way; and the
page checks the browser itself: cookies blocked, a clock that is off, features missing."""

from __future__ import annotations

import json
import re
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyotp
import pytest

from conftest import (SHARED_SERVER_SETTINGS, STRONG_PASSWORD, api_login, http, latest_code, launch_options,
                      new_context, newest_code, path_of, register, running_server, screenshot, session_token,
                      sign_in, start_registration, submit_form, unique_email, wait_for_resend_interval)

OPERATOR_KEY = "help-tests-operator-key-0123456789abcdef"


@pytest.fixture(scope="module")
def help_server():
    with running_server(SHARED_SERVER_SETTINGS + [f"operator.apiKeys={OPERATOR_KEY}"]) as base_url:
        yield base_url


@pytest.fixture
def help_page(browser, help_server):
    context = new_context(browser, help_server)
    yield context.new_page()
    context.close()


def open_help(page, server: str, email: str) -> list[dict]:
    """From /login, follows "Can't sign in?", gives `email`, enters the code sent to it and returns
    the findings the page shows: code, title, detail, and the action's label and href."""
    page.goto("/login")
    page.locator("#cant-sign-in").click()
    page.wait_for_load_state()
    assert path_of(page.url) == "/help/sign-in", page.url
    wait_for_resend_interval(server, email)
    before = latest_code(server, email)
    page.fill("#identifier", email)
    submit_form(page, "Send me a code", "/help/sign-in")
    assert re.fullmatch(r"/help/sign-in/[0-9a-f-]{36}", path_of(page.url)), page.url
    assert page.locator(".destination").inner_text() == email
    page.fill("#code", newest_code(server, email, exclude=(before,)))
    posted = submit_form(page, "Show what stands in the way", path_of(page.url))
    assert posted.status == 200, f"the code answered {posted.status}"
    findings = []
    for item in page.locator("li.finding").all():
        action = item.locator("a.action")
        findings.append({
            "code": item.get_attribute("data-code"),
            "title": item.locator("h2").inner_text(),
            "detail": item.locator("p").first.inner_text(),
            "label": action.inner_text() if action.count() else None,
            "href": action.get_attribute("href") if action.count() else None,
        })
    return findings


def api_token(server: str, email: str) -> str:
    return session_token(api_login(server, email, STRONG_PASSWORD, "Help tests"))


def test_every_sign_in_registration_and_recovery_page_links_to_the_troubleshooter(help_page, help_server):
    for path in ("/login", "/register", "/recover"):
        help_page.goto(path)
        link = help_page.locator("#cant-sign-in")
        assert link.is_visible() and link.get_attribute("href") == "/help/sign-in", path


def test_a_locked_account_is_told_when_the_lock_ends_and_led_to_the_reset(help_page, help_server):
    email = unique_email("locked-out")
    register(help_page, help_server, email)
    help_page.context.clear_cookies()
    for _ in range(5):
        sign_in(help_page, email, "Wrong-Lantern-99")

    findings = open_help(help_page, help_server, email)
    lock = findings[0]
    assert lock["code"] == "account.locked", findings
    assert "locked until" in lock["detail"] and "UTC" in lock["detail"]
    assert lock["label"] == "Reset your password" and lock["href"] == f"{help_server}/recover"
    screenshot(help_page, "help-locked")
    help_page.locator("li.finding[data-code='account.locked'] a.action").click()
    help_page.wait_for_load_state()
    assert path_of(help_page.url) == "/recover"


def test_nothing_in_the_way_then_an_authenticator_then_a_restriction_then_a_freeze(help_page, help_server):
    email = unique_email("walk")
    register(help_page, help_server, email)
    help_page.context.clear_cookies()  # signed out, as someone who cannot sign in is
    findings = open_help(help_page, help_server, email)
    assert [f["code"] for f in findings] == ["nothing_found"]

    token = api_token(help_server, email)
    auth = {"Authorization": f"Bearer {token}"}
    enrolment = http("POST", f"{help_server}/api/v1/account/totp", headers=auth)
    app = pyotp.TOTP(enrolment.json()["secret"].replace(" ", ""))
    assert http("POST", f"{help_server}/api/v1/account/totp/confirm", json_body={"code": app.now()},
                headers=auth).status == 200
    findings = open_help(help_page, help_server, email)
    assert [f["code"] for f in findings] == ["authenticator.required", "hold.active", "nothing_found"], findings
    assert "Can't use your authenticator?" in findings[0]["detail"]
    assert findings[1]["detail"].startswith("An authenticator app was bound to your account on ")
    assert "withdrawals are paused until" in findings[1]["detail"]

    account_id = http("GET", f"{help_server}/api/v1/session", headers=auth).json()["accountId"]
    restricted = http("POST", f"{help_server}/api/v1/admin/accounts/{account_id}/restriction",
                      json_body={"reason": "Chargebacks"}, headers={"Authorization": f"Bearer {OPERATOR_KEY}"})
    assert restricted.status == 201, restricted.body[:300]
    findings = open_help(help_page, help_server, email)
    assert findings[0]["code"] == "account.restricted", findings
    assert "our team restricted the account" in findings[0]["detail"]
    assert findings[0]["href"] == f"{help_server}/support?topic=account_restricted"
    help_page.locator("li.finding[data-code='account.restricted'] a.action").click()
    help_page.wait_for_load_state()
    assert help_page.locator("select[name=topic]").input_value() == "account_restricted"

    lifted = http("DELETE", f"{help_server}/api/v1/admin/accounts/{account_id}/restriction",
                  json_body={"reason": "Reviewed"}, headers={"Authorization": f"Bearer {OPERATOR_KEY}"})
    assert lifted.status == 200, lifted.body[:300]
    # The restriction ended every session: sign in again, now with the app.
    session = api_login_with_app(help_server, email, app)
    assert http("POST", f"{help_server}/api/v1/account/freeze", headers={"Authorization": f"Bearer {session}"}).status == 200
    findings = open_help(help_page, help_server, email)
    assert findings[0]["code"] == "account.frozen" and "identity document" in findings[0]["detail"], findings
    assert findings[0]["href"] == f"{help_server}/support?topic=account_frozen"
    screenshot(help_page, "help-frozen")


def api_login_with_app(server: str, email: str, app: pyotp.TOTP) -> str:
    """A session of the JSON API signed in with the password and the authenticator app."""
    first = http("POST", f"{server}/api/v1/login", json_body={"identifier": email, "password": STRONG_PASSWORD})
    assert first.status == 200, first.body[:300]
    flow = first.json()["flowId"]
    time.sleep(30 - time.time() % 30 + 0.5)  # the step that bound the app is spent
    verified = http("POST", f"{server}/api/v1/login/{flow}/verify", json_body={"method": "totp", "code": app.now()})
    assert verified.status == 200, verified.body[:300]
    return verified.json()["session"]["token"]


def test_an_unfinished_registration_is_led_back_to_finish_it(help_page, help_server):
    email = unique_email("halfway")
    start_registration(help_page, email)
    help_page.context.clear_cookies()
    findings = open_help(help_page, help_server, email)
    assert [f["code"] for f in findings] == ["account.registration_incomplete"], findings
    assert findings[0]["label"] == "Finish registering" and findings[0]["href"] == f"{help_server}/register"


def browser_checks(page) -> dict[str, str]:
    """The browser checks the help page shows once they ran: each visible item's text by name."""
    page.wait_for_selector("#browser-checks[data-checked]", state="attached")
    return {item.get_attribute("data-check"): item.inner_text()
            for item in page.locator("#browser-checks li[data-check]").all() if item.is_visible()}


def test_a_working_browser_passes_the_checks(help_page, help_server):
    help_page.goto("/help/sign-in")
    shown = browser_checks(help_page)
    assert list(shown) == ["ok"], shown


def test_a_clock_five_minutes_ahead_is_told_by_how_much(browser, help_server):
    context = new_context(browser, help_server)
    try:
        page = context.new_page()
        page.clock.install(time=datetime.now(timezone.utc) + timedelta(minutes=5, seconds=10))
        page.goto("/help/sign-in")
        shown = browser_checks(page)
        assert list(shown) == ["clock"], shown
        assert "clock is 5 minutes ahead of ours" in shown["clock"] and "automatic" in shown["clock"]
        screenshot(page, "help-clock-ahead")
        behind = context.new_page()
        behind.clock.install(time=datetime.now(timezone.utc) - timedelta(minutes=12))
        behind.goto("/help/sign-in")
        assert "clock is 12 minutes behind ours" in browser_checks(behind)["clock"]
    finally:
        context.close()


def test_an_old_browser_is_told_what_it_lacks(browser, help_server):
    context = new_context(browser, help_server)
    try:
        context.add_init_script("window.fetch = undefined; window.TextEncoder = undefined;")
        page = context.new_page()
        page.goto("/help/sign-in")
        shown = browser_checks(page)
        assert list(shown) == ["features"], shown
        assert "lacks fetch, TextEncoder" in shown["features"]
    finally:
        context.close()


def test_blocked_cookies_are_found_by_the_page(playwright, help_server):
    # A Chromium profile whose content setting "cookies" is "block" (chrome://settings/cookies).
    profile = tempfile.TemporaryDirectory(prefix="keyward-help-nocookies-")
    (Path(profile.name) / "Default").mkdir()
    (Path(profile.name) / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"default_content_setting_values": {"cookies": 2}}}))
    blocked = playwright.chromium.launch_persistent_context(profile.name, base_url=help_server, **launch_options())
    try:
        page = blocked.pages[0] if blocked.pages else blocked.new_page()
        page.goto("/help/sign-in")
        shown = browser_checks(page)
        assert list(shown) == ["cookies"], shown
        assert "allow them in the browser's settings" in shown["cookies"]
        screenshot(page, "help-cookies-blocked")
    finally:
        blocked.close()
        profile.cleanup()
