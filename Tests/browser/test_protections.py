"""Browser-facing protections: refused cookies, CSRF, security headers and cookie flags, the
resend countdown, and how a rate-limit refusal is shown."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import pytest

from conftest import (FAST_HASHING, STRONG_PASSWORD, enter_login_code, enter_recovery_code, launch_options,
                      new_context, newest_code, next_code_allowed_at, password_step, path_of, register,
                      running_server, screenshot, seconds_left, sign_in, start_recovery, start_registration,
                      submit_form, unique_email, wait_until)

STRONG_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
EVIL_ORIGIN = "http://evil.example"


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


# ---------------------------------------------------------------------------------------------
# 1. Cookies disabled
# ---------------------------------------------------------------------------------------------

def test_sign_in_with_cookies_blocked_explains_that_cookies_are_needed(page, server, playwright):
    email = unique_email("nocookies")
    register(page, server, email)

    # A Chromium profile whose content setting "cookies" is "block" (chrome://settings/cookies,
    # "Block all cookies"): the browser stores no cookie and so sends none back.
    profile = tempfile.TemporaryDirectory(prefix="keyward-nocookies-")
    (Path(profile.name) / "Default").mkdir()
    (Path(profile.name) / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"default_content_setting_values": {"cookies": 2}}}))
    blocked = playwright.chromium.launch_persistent_context(profile.name, base_url=server, **launch_options())
    try:
        blocked.set_default_timeout(10_000)
        blocked_page = blocked.pages[0] if blocked.pages else blocked.new_page()
        cookie_headers = []
        blocked_page.on("request", lambda r: cookie_headers.append(r.headers.get("cookie")))

        posted = sign_in(blocked_page, email, STRONG_PASSWORD)
        assert blocked.cookies() == [], "the profile did not block cookies; the test proves nothing"
        assert posted.request.headers.get("cookie") is None
        assert posted.status == 400, f"sign-in without cookies answered {posted.status}"
        assert blocked_page.url.startswith(f"{server}/login")
        # The server's own explanation, not only the script's hint (#cookie-warning).
        alert = blocked_page.locator(".alert[data-code='cookies.disabled']:not(#cookie-warning)")
        assert alert.count() == 1 and alert.is_visible(), "no explanation that cookies must be enabled"
        text = alert.inner_text()
        assert "Cookies are disabled" in text and "Enable cookies" in text
        assert blocked_page.input_value("input[name=identifier]") == email
        screenshot(blocked_page, "login-cookies-disabled")
    finally:
        blocked.close()
        profile.cleanup()


# ---------------------------------------------------------------------------------------------
# 2. CSRF
# ---------------------------------------------------------------------------------------------

def assert_form_expired(response_status: int, html: str):
    assert response_status == 403, f"expected 403, got {response_status}"
    assert "Form expired" in html, "the refusal does not say the form expired"


def assert_still_signed_in(page, server):
    page.goto("/account")
    assert page.url == f"{server}/account", "the refused form post ended the session anyway"


def test_form_post_without_csrf_token_is_refused(page, server):
    register(page, server, unique_email("csrf-missing"))
    # Same browser, same cookies, but the form fields lack `csrf`.
    response = page.request.post("/logout", form={"identifier": "x"}, max_redirects=0)
    assert_form_expired(response.status, response.text())
    response = page.request.post("/logout", form={"csrf": ""}, max_redirects=0)
    assert_form_expired(response.status, response.text())
    assert_still_signed_in(page, server)


def test_form_post_with_tampered_csrf_token_is_refused(page, server):
    email = unique_email("csrf-tampered")
    register(page, server, email)
    page.context.clear_cookies()
    page.goto("/login")
    token = page.locator("form[action='/login'] input[name=csrf]").input_value()
    assert len(token) >= 16
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    page.locator("form[action='/login'] input[name=csrf]").evaluate("(el, v) => { el.value = v; }", tampered)
    page.fill("input[name=identifier]", email)
    page.fill("input[name=password]", STRONG_PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/login")) as posted:
        page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_load_state()
    assert_form_expired(posted.value.status, page.content())
    screenshot(page, "form-expired")
    assert not any(c["name"] == "__Host-keyward_session" for c in page.context.cookies()), \
        "a tampered token still signed the browser in"


def test_form_auto_submitted_from_another_site_is_refused(page, server):
    register(page, server, unique_email("csrf-cross-site"))
    page.goto("/account")
    real_token = page.locator("#sign-out").locator("xpath=..").locator("input[name=csrf]").input_value()

    # A page on another site that signs the victim out as soon as it loads. Even the victim's own
    # token (as if leaked) must not make a cross-site post acceptable.
    attack = f"""<!doctype html><html><body>
      <form id="f" method="post" action="{server}/logout">
        <input type="hidden" name="csrf" value="{real_token}">
      </form>
      <script>document.getElementById("f").submit();</script>
    </body></html>"""
    page.route(f"{EVIL_ORIGIN}/**", lambda route: route.fulfill(status=200, content_type="text/html", body=attack))
    with page.expect_response(lambda r: r.request.method == "POST" and r.url == f"{server}/logout") as posted:
        page.goto(f"{EVIL_ORIGIN}/win-a-prize")
    page.wait_for_load_state()
    assert posted.value.request.headers.get("origin") == EVIL_ORIGIN  # it really came from elsewhere
    assert_form_expired(posted.value.status, page.content())
    assert_still_signed_in(page, server)


# ---------------------------------------------------------------------------------------------
# 3. Security headers and the session cookie
# ---------------------------------------------------------------------------------------------

def check_security_headers(url: str, headers: dict):
    csp = headers.get("content-security-policy")
    assert csp, f"{url}: no Content-Security-Policy"
    directives = csp_directives(csp)
    assert directives.get("frame-ancestors") == ["'none'"], f"{url}: CSP frame-ancestors is not 'none': {csp}"
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts is not None, f"{url}: CSP restricts no script source: {csp}"
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and "*" not in scripts, \
        f"{url}: CSP allows inline or any script: {csp}"
    assert headers.get("x-content-type-options") == "nosniff", f"{url}: no X-Content-Type-Options: nosniff"
    assert headers.get("referrer-policy") in STRONG_REFERRER_POLICIES, \
        f"{url}: weak or missing Referrer-Policy {headers.get('referrer-policy')!r}"


def cookie_attributes(set_cookie: str) -> tuple[str, dict[str, str]]:
    first, *attributes = [part.strip() for part in set_cookie.split(";")]
    name = first.split("=", 1)[0]
    parsed = {}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        parsed[key.lower()] = value
    return name, parsed


def test_every_page_sends_security_headers_and_the_session_cookie_is_locked_down(page, server):
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    responses = []
    page.on("response", lambda r: responses.append(r))

    email = unique_email("headers")
    registration_id = start_registration(page, email)
    page.goto("/register")
    page.goto("/login")
    page.goto("/dev/mailbox")
    page.goto("/no-such-page")
    page.goto(f"/register/{registration_id}")
    page.goto("/register/no-such-registration")

    session_cookies = []

    def keep_session_cookie(response):
        for header in response.headers_array():
            if header["name"].lower() == "set-cookie" and header["value"].startswith("__Host-keyward_session="):
                session_cookies.append((response.url, header["value"]))

    page.on("response", keep_session_cookie)
    page.context.clear_cookies()
    email = unique_email("headers-signed-in")
    register(page, server, email)  # a session from finishing a registration
    page.goto("/account")

    # The sign-in pages, second step included: the code page as sent, after a wrong code and
    # without a flow; the help page for a second step that cannot be done; then a real sign-in
    # (a session from the second step).
    page.context.clear_cookies()
    page.goto("/login/verify")  # no flow: back to /login
    _, before = password_step(page, server, email)
    code = newest_code(server, email, exclude=(before,))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert enter_login_code(page, wrong).status == 422
    page.goto("/login/verification-unavailable")
    page.goto("/login/verify")
    assert enter_login_code(page, code).status == 302 and page.url == f"{server}/account"

    documents = [r for r in responses if r.request.resource_type == "document"]
    assert len(documents) >= 16
    for path in ["/login/verify", "/login/verification-unavailable"]:
        assert any(path_of(r.url) == path for r in documents), f"{path} was not visited"
    for response in documents + [r for r in responses if "/static/" in r.url]:
        check_security_headers(response.url, response.all_headers())
    statuses = {r.status for r in documents}
    assert {200, 302, 404, 422} <= statuses  # errors and redirects are covered too
    assert not violations, f"pages break their own CSP: {violations}"

    # The session cookie, as sent by the server (on registering, and on the second step of a
    # sign-in)...
    sources = {path_of(url) for url, _ in session_cookies}
    assert "/login/verify" in sources and any(s.startswith("/register/") for s in sources), \
        f"session cookies came only from {sources}"
    for _, set_cookie in session_cookies:
        name, attributes = cookie_attributes(set_cookie)
        assert name == "__Host-keyward_session"
        assert "secure" in attributes and "httponly" in attributes, f"flags missing: {set_cookie}"
        assert attributes.get("samesite", "").lower() == "lax", f"SameSite is not Lax: {set_cookie}"
        assert attributes.get("path") == "/" and "domain" not in attributes, set_cookie
    # ...and as the browser stored it.
    stored = [c for c in page.context.cookies() if c["name"] == "__Host-keyward_session"]
    assert len(stored) == 1
    assert stored[0]["secure"] and stored[0]["httpOnly"] and stored[0]["sameSite"] == "Lax" and stored[0]["path"] == "/"
    assert page.evaluate("document.cookie").find("keyward_session") == -1, "scripts can read the session cookie"


# ---------------------------------------------------------------------------------------------
# 4. Resend countdown
# ---------------------------------------------------------------------------------------------

def test_resend_button_counts_down_before_it_can_be_used(default_page):
    page = default_page
    start_registration(page, unique_email("countdown"))
    resend = page.locator("#resend")
    assert resend.is_disabled(), "Resend is usable right after a code was sent"
    first = seconds_left(page)
    # The interval is 60 s; the server rounds the moment up to a whole second, so 61 is honest.
    assert 30 < first <= 61, f"implausible wait {first} s"
    page.wait_for_timeout(2_200)
    second = seconds_left(page)
    assert 1 <= first - second <= 3, f"countdown went from {first} to {second} in 2.2 s"
    assert resend.is_disabled()

    # The server enforces the wait too: a forced click is answered with how long to wait.
    resend.evaluate("el => { el.disabled = false; }")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/resend")) as posted:
        resend.click()
    page.wait_for_load_state()
    assert posted.value.status == 429, f"an early resend answered {posted.value.status}"
    assert page.locator(".alert[data-code='code.resend_too_soon']").is_visible()
    assert page.locator("#resend").is_disabled()
    assert 0 < seconds_left(page) <= second


# ---------------------------------------------------------------------------------------------
# 5. Rate-limit refusal
# ---------------------------------------------------------------------------------------------

@pytest.fixture
def strict_server():
    """A server that sends at most two codes a minute to one client IP (every test is 127.0.0.1),
    other limits at their defaults, and a 1 s resend interval so the limit is reached quickly."""
    with running_server(FAST_HASHING + ["rateLimit.codesPerIP=2/60", "code.resendInterval=1"]) as base_url:
        yield base_url


def test_rate_limited_resend_shows_the_wait_and_counts_down(browser, strict_server):
    server = strict_server
    context = new_context(browser, server)
    try:
        page = context.new_page()
        email = unique_email("rate-limited")
        register(page, server, email)  # the first code from this IP
        registration_code = newest_code(server, email)
        page.context.clear_cookies()
        wait_until(next_code_allowed_at(server, email, 1))
        recovery_id = start_recovery(page, email)  # the second
        resend_path = f"/recover/{recovery_id}/resend"

        # Resend until the IP's allowance for the current minute is used up. A minute boundary can
        # fall between two sends, and a refusal that ends within seconds is too short to watch.
        refusal = None
        for _ in range(8):
            posted = submit_form(page, "Resend code", resend_path)  # waits until the countdown allows it
            if posted.status == 302:
                continue
            assert posted.status == 429, f"a resend answered {posted.status}"
            refusal = posted
            if int(posted.headers.get("retry-after", "0")) >= 5:
                break
            time.sleep(int(posted.headers["retry-after"]) + 0.5)
        assert refusal is not None and int(refusal.headers.get("retry-after", "0")) >= 5, \
            "two codes a minute from one IP were never refused"
        retry_after = int(refusal.headers["retry-after"])

        # The refusal says what happened and how long to wait...
        message = page.locator(".alert[data-code='rate_limited']")
        assert message.is_visible() and message.get_attribute("role") == "alert"
        assert message.locator("strong").inner_text() == "Too many attempts"
        assert f"Wait {retry_after} seconds" in message.inner_text()
        # ...and the button is not left dead: it is disabled with a live countdown beside it.
        resend = page.locator("#resend")
        assert resend.is_disabled()
        countdown = page.locator("#resend-countdown")
        assert countdown.is_visible()
        first = seconds_left(page)
        assert retry_after - 1 <= first <= retry_after + 1, f"countdown {first} s, Retry-After {retry_after} s"
        screenshot(page, "recover-code-rate-limited")
        page.wait_for_timeout(1_100)
        second = seconds_left(page)
        assert 1 <= first - second <= 2, f"countdown went from {first} to {second} in 1.1 s"
        assert resend.is_disabled()

        # The code that did arrive still works: the limit slows sending, not the person.
        code = newest_code(server, email, exclude=(registration_code,))
        posted = enter_recovery_code(page, recovery_id, code)
        assert posted.status == 302, f"the newest code after a refused resend answered {posted.status}"
        assert page.locator("h1").inner_text() == "Choose a new password"
    finally:
        context.close()
