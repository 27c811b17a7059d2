"""Registration, sign-in, sign-out and the session list, driven through the real pages."""

from __future__ import annotations

import re

from conftest import (STRONG_PASSWORD, api_login, http, newest_code, register, screenshot, session_token,
                      sign_in, sign_in_with_code, start_registration, unique_email)


def session_rows(page):
    return page.locator("table.sessions tbody tr[data-session-id]")


def test_registering_again_moments_later_returns_to_the_code_already_sent(default_page, default_interval_server):
    # The 60 s resend interval: registering again within it sends no second code.
    page, server = default_page, default_interval_server
    email = unique_email("again")
    first_id = start_registration(page, email)
    code = newest_code(server, email)

    # The page was closed; the person registers again with the same password.
    second_id = start_registration(page, email)
    assert second_id == first_id
    notice = page.locator(".notice").inner_text()
    assert "already sent" in notice, f"no word of the code already sent: {notice!r}"
    assert page.locator(".alert").count() == 0
    assert page.locator("#resend").is_disabled(), "a new code is offered before the resend interval"
    screenshot(page, "register-code-already-sent")
    page.fill("input[name=code]", code)
    with page.expect_navigation():
        page.get_by_role("button", name="Verify").click()
    assert page.url == f"{server}/account"


def test_register_verify_sign_out_sign_in_and_revoke_another_session(page, server):
    email = unique_email("alice")

    # Register: /register -> /register/{id} -> code from the mailbox -> /account.
    registration_id = start_registration(page, email)
    assert page.url == f"{server}/register/{registration_id}"
    assert page.locator(".destination").inner_text() == email
    screenshot(page, "register-verify")
    code = newest_code(server, email)
    assert re.fullmatch(r"\d{6}", code), f"unexpected code format {code!r}"
    page.fill("input[name=code]", code)
    with page.expect_navigation():
        page.get_by_role("button", name="Verify").click()
    assert page.url == f"{server}/account"
    assert email in page.locator("ul.identifiers").inner_text()
    assert session_rows(page).count() == 1
    assert any(c["name"] == "__Host-keyward_session" for c in page.context.cookies()), "no session cookie stored"

    # Sign out, then sign in again with the same email and password.
    with page.expect_navigation():
        page.locator("#sign-out").click()
    assert page.url.startswith(f"{server}/login")
    assert page.locator(".notice").inner_text().strip() == "You are signed out."
    page.goto("/account")
    assert page.url.startswith(f"{server}/login"), "/account is still reachable after signing out"

    # Both steps: the password, then the code the server sends to the address.
    posted = sign_in_with_code(page, server, email)
    assert posted.status == 302, f"sign-in answered {posted.status}"
    assert page.url == f"{server}/account"
    assert email in page.locator("ul.identifiers").inner_text()
    first_rows = session_rows(page)
    assert first_rows.count() == 1, "the ended session is still listed"
    this_session_id = first_rows.first.get_attribute("data-session-id")

    # A second session for the same account, as an app would open it (password, then a code).
    answer = api_login(server, email, STRONG_PASSWORD, device_name="Work laptop (browser test)")
    other_token = session_token(answer)
    bearer = {"Authorization": f"Bearer {other_token}"}
    assert http("GET", f"{server}/api/v1/session", headers=bearer).status == 200

    page.reload()
    rows = session_rows(page)
    assert rows.count() == 2, "the new session is not listed on /account"
    screenshot(page, "account")
    other_row = page.locator("tr[data-session-id]", has_text="Work laptop (browser test)")
    assert other_row.count() == 1
    other_id = other_row.get_attribute("data-session-id")
    assert other_id and other_id != this_session_id
    # The current session cannot be signed out from the list; only the other one has a button.
    assert page.locator(f"tr[data-session-id='{this_session_id}'] .revoke").count() == 0
    assert page.locator(f"tr[data-session-id='{this_session_id}']").inner_text().find("this device") >= 0

    with page.expect_navigation():
        other_row.locator("button.revoke").click()
    assert page.url == f"{server}/account"
    assert session_rows(page).count() == 1, "the revoked session is still listed"
    assert page.locator(f"tr[data-session-id='{other_id}']").count() == 0
    assert page.locator(f"tr[data-session-id='{this_session_id}']").count() == 1

    revoked = http("GET", f"{server}/api/v1/session", headers=bearer)
    assert revoked.status == 401, f"a revoked session token still works: {revoked.status}"
    # The browser's own session is untouched.
    page.goto("/account")
    assert page.url == f"{server}/account"


def test_wrong_password_shows_wrong_sign_in_details(page, server):
    email = unique_email("bob")
    register(page, server, email)
    page.context.clear_cookies()

    posted = sign_in(page, email, STRONG_PASSWORD + "x")
    assert posted.status == 401, f"wrong password answered {posted.status}"
    assert page.url.startswith(f"{server}/login")
    alert = page.get_by_role("alert").filter(has_text="Wrong sign-in details")
    assert alert.is_visible()
    assert alert.get_attribute("data-code") == "credentials.invalid"
    # The identifier is kept, the password is not echoed back.
    assert page.input_value("input[name=identifier]") == email
    assert page.input_value("input[name=password]") == ""
    assert STRONG_PASSWORD not in page.content()
    screenshot(page, "login-error")
    page.goto("/account")
    assert page.url.startswith(f"{server}/login"), "a wrong password signed the browser in"


def test_unknown_account_says_account_does_not_exist(page, server):
    posted = sign_in(page, unique_email("nobody"), STRONG_PASSWORD)
    assert posted.status == 404, f"unknown account answered {posted.status}"
    alert = page.locator(".alert[data-code='account.not_found']")
    assert alert.is_visible()
    assert "Account does not exist" in alert.inner_text()


def test_weak_password_lists_every_broken_rule(page, server):
    # "wkuzq": too short, no uppercase letter, no digit, and it is the email's local part.
    page.goto("/register")
    screenshot(page, "register")
    page.fill("input[name=identifier]", "wkuzq@example.com")
    page.fill("input[name=password]", "wkuzq")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/register")) as posted:
        page.get_by_role("button", name="Send verification code").click()
    assert posted.value.status == 422, f"weak password answered {posted.value.status}"
    page.wait_for_load_state()
    assert page.url == f"{server}/register", "a weak password started a registration"
    alert = page.locator(".alert[data-code='password.invalid']")
    assert alert.is_visible()
    assert page.locator("ul.violations").count() == 1, "the broken rules are not one flat list"
    assert page.get_attribute("input[name=password]", "aria-invalid") == "true"
    items = page.locator("ul.violations li[data-code]")
    codes = sorted(items.nth(i).get_attribute("data-code") for i in range(items.count()))
    assert codes == sorted(["password.too_short", "password.needs_uppercase", "password.needs_digit",
                            "password.contains_identifier"])
    for i in range(items.count()):
        assert items.nth(i).inner_text().strip(), "a broken rule is listed without an explanation"
    assert page.input_value("input[name=identifier]") == "wkuzq@example.com"
    screenshot(page, "register-weak-password")
