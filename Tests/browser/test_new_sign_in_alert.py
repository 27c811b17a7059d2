"""The unfamiliar-location warning: a sign-in through the pages from a network the account was
never used from is told to the owner by email, and the account page's activity names it, while
the network the account was registered from stays quiet. The notice's one link freezes the
account: opening it only asks, confirming signs every device out, and it works once."""

from __future__ import annotations

import re
import time

import pytest

from conftest import (MAILBOX_TIMEOUT, SERVER_SETTINGS, mailbox, new_context, register, running_server,
                      screenshot, sign_in_with_code, unique_email)

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
