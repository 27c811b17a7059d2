"""The unfamiliar-location warning: a sign-in through the pages from a network the account was
never used from is told to the owner by email, and the account page's activity names it, while
the network the account was registered from stays quiet. The notice's one link freezes the
account: opening it only asks, confirming signs every device out, and it works once. A new device
on a new network whose second factor was an authenticator code must be approved from the inbox."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from conftest import (MAILBOX_TIMEOUT, SERVER_SETTINGS, STRONG_PASSWORD, api_login, http, latest_code, mailbox,
                      new_context, newest_code, path_of, register, running_server, screenshot, session_token, sign_in,
                      sign_in_with_code, submit_form, unique_email, wait_for_message)

# The server believes the loopback proxy in front of it, so a browser context can present itself
# as a client elsewhere through the headers such a proxy adds.
PROXIED_SETTINGS = SERVER_SETTINGS + ["code.resendInterval=1", "server.trustedProxies=127.0.0.1",
                                      "server.countryHeader=CF-IPCountry"]


@pytest.fixture(scope="module")
def proxied_server():
    with running_server(PROXIED_SETTINGS) as base_url:
        yield base_url


def alerts_to(base_url: str, to: str) -> list[dict]:
    return [m for m in mailbox(base_url) if m.get("to") == to and "New sign-in" in (m.get("subject") or "")]


def wait_for_alert(base_url: str, to: str) -> dict:
    deadline = time.monotonic() + MAILBOX_TIMEOUT
    while not (found := alerts_to(base_url, to)):
        if time.monotonic() > deadline:
            pytest.fail(f"no new sign-in notice reached {to} within {MAILBOX_TIMEOUT:.0f} s")
        time.sleep(0.1)
    return found[0]


def test_a_sign_in_from_a_new_network_is_told_by_email_and_shown_in_the_activity(browser, proxied_server):
    email = unique_email("travel")
    home = new_context(browser, proxied_server)
    other_browser_at_home = new_context(browser, proxied_server)
    away = new_context(browser, proxied_server)
    try:
        register(home.new_page(), proxied_server, email)
        sign_in_with_code(other_browser_at_home.new_page(), proxied_server, email)

        away.set_extra_http_headers({"X-Forwarded-For": "203.0.113.9", "CF-IPCountry": "FR"})
        page = away.new_page()
        sign_in_with_code(page, proxied_server, email)
        alert = wait_for_alert(proxied_server, email)
        # The outbox delivers in order, so a notice for the sign-in at home would be here by now.
        assert len(alerts_to(proxied_server, email)) == 1, "a sign-in from the registration's network was warned of"
        assert "IP address: 203.0.113.9 (country: FR)" in alert["body"]
        assert "Forgot password?" in alert["body"]
        # Its one link is the freeze link.
        links = re.findall(r"https?://\S+", alert["body"])
        assert len(links) == 1 and re.fullmatch(re.escape(proxied_server) + r"/freeze/[A-Za-z0-9_-]{43}", links[0]), links

        activity = page.locator(".activity li .what").all_inner_texts()
        assert "Signed in from a new network (FR)" in activity, activity
        screenshot(page, "new-sign-in-activity")

        # "Not you?" The owner opens the link at home: the page only asks, and the stranger is still in.
        owner = home.new_page()
        owner.goto(links[0])
        assert owner.get_by_role("heading", name="Freeze your account").is_visible()
        page.reload()
        assert page.url.endswith("/account"), page.url
        owner.get_by_role("button", name="Freeze my account now").click()
        owner.wait_for_selector("#frozen")
        screenshot(owner, "frozen-from-a-notice")
        # Every device is out, and the link does not work twice.
        page.goto("/account")
        assert "/login" in page.url, page.url
        owner.goto(links[0])
        assert owner.get_by_role("heading", name="This link no longer works").is_visible()
        assert owner.locator("#freeze-account").count() == 0
    finally:
        for context in (home, other_browser_at_home, away):
            context.close()


def bind_authenticator_through_the_api(base_url: str, email: str) -> pyotp.TOTP:
    """Binds an authenticator app to the account with a fresh session of the JSON API."""
    token = session_token(api_login(base_url, email, STRONG_PASSWORD, "Set-up script"))
    auth = {"Authorization": f"Bearer {token}"}
    enrolment = http("POST", f"{base_url}/api/v1/account/totp", headers=auth)
    assert enrolment.status == 201, enrolment.body[:300]
    app = pyotp.TOTP(enrolment.json()["secret"].replace(" ", ""))
    confirmed = http("POST", f"{base_url}/api/v1/account/totp/confirm", json_body={"code": app.now()}, headers=auth)
    assert confirmed.status == 200, confirmed.body[:300]
    return app


def test_a_new_device_on_a_new_network_is_approved_from_the_inbox(browser, proxied_server):
    email = unique_email("approve")
    home = new_context(browser, proxied_server)
    away = new_context(browser, proxied_server)
    try:
        register(home.new_page(), proxied_server, email)
        app = bind_authenticator_through_the_api(proxied_server, email)
        time.sleep(30 - time.time() % 30 + 0.5)  # the set-up's step is spent: wait for the next one

        away.set_extra_http_headers({"X-Forwarded-For": "198.51.100.77", "CF-IPCountry": "JP"})
        page = away.new_page()
        before = latest_code(proxied_server, email)
        sign_in(page, email, STRONG_PASSWORD)
        assert path_of(page.url) == "/login/verify", page.url
        page.fill("#code", app.now())
        posted = submit_form(page, "Verify", "/login/verify")
        # The password and the app were right, but this browser has not signed in here before.
        assert posted.status == 302 and path_of(page.url) == "/login/approve-device", f"{posted.status} {page.url}"
        assert page.get_by_role("heading", name="Approve this device").is_visible()
        assert page.locator(".destination").inner_text().endswith("@example.com")
        code = newest_code(proxied_server, email, exclude=(before,))
        message = wait_for_message(proxied_server, email, "Was this you?")
        assert code in message["body"] and "198.51.100.77" in message["body"] and "JP" in message["body"]
        assert re.search(re.escape(proxied_server) + r"/freeze/[A-Za-z0-9_-]{43}", message["body"]), message["body"]
        screenshot(page, "approve-new-device")

        # A wrong code is said so and keeps the page; the right one signs in.
        page.fill("#code", f"{(int(code) + 1) % 1_000_000:06d}")
        wrong = submit_form(page, "Approve and sign in", "/login/approve-device")
        assert wrong.status == 422 and page.locator(".alert[data-code='code.invalid']").is_visible()
        page.fill("#code", code)
        approved = submit_form(page, "Approve and sign in", "/login/approve-device")
        assert approved.status == 302 and page.url == f"{proxied_server}/account", f"{approved.status} {page.url}"
        # Approved from the inbox: the owner was asked, not warned after the fact.
        assert not alerts_to(proxied_server, email), "an approved sign-in was also warned of"

        # The device is remembered: signing in again from it needs only the password and the app.
        page.context.clear_cookies(name="__Host-keyward_session")
        sign_in(page, email, STRONG_PASSWORD)
        page.fill("#code", app.at(time.time() + 30))
        again = submit_form(page, "Verify", "/login/verify")
        assert again.status == 302 and page.url == f"{proxied_server}/account", f"{again.status} {page.url}"
    finally:
        for context in (home, away):
            context.close()
