"""Shared fixtures for Keyward's end-to-end browser tests.

The suite drives the real, already-built server binary with Debian's headless Chromium through
Playwright:

* ``server`` (session): starts ``$KEYWARD_BINARY`` (default ``.build/debug/keyward``) on a free
  port with a fresh data directory, waits for ``GET /readyz``, yields the base URL, then stops it
  with SIGTERM and requires a clean exit (status 0) within a few seconds: graceful shutdown is part
  of the contract. Its settings relax the rate limits and shorten the resend interval to
  RESEND_INTERVAL seconds, so that a sign-in right after a registration gets its code at once; a
  test that needs other settings starts its own server with ``running_server(settings)`` and opens
  a context on it with ``new_context``.
* ``default_interval_server`` and ``countdown_server`` (session, each started on first use), with
  ``default_page`` and ``countdown_page``: servers like the shared one but with the real 60 s
  resend interval, for tests of that wait, or with a 2 s one, for tests that watch it end.
* ``browser`` (session) and ``context`` / ``page`` (per test): Chromium at ``/usr/bin/chromium``.
* ``newest_code``: the newest one-time code the development mailbox holds for a destination,
  polled because delivery goes through the asynchronous outbox.
* ``sign_in_with_code`` / ``api_login``: a whole sign-in, password and then the code the server
  sends for the second step, through the pages or the JSON API.

Missing Chromium or Playwright fails the run; nothing here ever skips.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO / ".build" / "debug" / "keyward"
CHROMIUM = os.environ.get("KEYWARD_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("KEYWARD_SHOTS", "/tmp/keyward-shots"))
STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 5.0
MAILBOX_TIMEOUT = 5.0

# Argon2id at its production cost (19 MiB, 2 passes) takes about 2.6 s a hash in a debug build,
# which alone would push this suite past a minute. These tests are about pages, not hashing cost
# (the Swift tests cover that), so the server runs with the cheapest parameters it accepts.
# Hashing, verification and the dummy hash for unknown accounts still really run.
FAST_HASHING = ["password.argon2.memoryKiB=1024", "password.argon2.iterations=1"]

# Every test comes from 127.0.0.1, so the per-IP limits (5 codes and 30 sign-ins a minute by
# default) and the per-destination hourly code limit would refuse the suite itself. The shared
# server relaxes them; test_protections.py starts its own server with a strict limit to check how
# a refusal is shown.
RELAXED_RATE_LIMITS = ["rateLimit.codesPerIP=10000/60", "rateLimit.codesPerDestination=10000/3600",
                       "rateLimit.codesPerAccount=10000/3600", "rateLimit.signInsPerIP=10000/60",
                       "rateLimit.signInsPerIdentifier=10000/60"]
SERVER_SETTINGS = FAST_HASHING + RELAXED_RATE_LIMITS

# A code to one address must wait the resend interval after the previous one (60 s by default).
# Registering sends a code and so does every sign-in (its second step), so most tests would wait
# a minute. The shared server shortens the interval to 1 s; tests of the 60 s wait itself use
# ``default_interval_server``, and tests that watch a countdown and click before it ends
# ``countdown_server``, whose 2 s leave room for a slow page load.
DEFAULT_RESEND_INTERVAL = 60
RESEND_INTERVAL = 1
SHARED_SERVER_SETTINGS = SERVER_SETTINGS + [f"code.resendInterval={RESEND_INTERVAL}"]
COUNTDOWN_RESEND_INTERVAL = 2

# A password the default ("exchange") policy accepts and that is in no common-password list.
STRONG_PASSWORD = "Quartz-Lantern-47"


def _playwright():
    """The Playwright sync API, or a test failure saying how to get it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # pragma: no cover - exercised only on a broken machine
        pytest.fail(f"Playwright is not installed ({error}); run `pip install playwright`", pytrace=False)
    return sync_playwright


# ---------------------------------------------------------------------------------------------
# Plain HTTP helpers (stdlib only), for the JSON API and the development mailbox.
# ---------------------------------------------------------------------------------------------

@dataclass
class HTTPResult:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def http(method: str, url: str, *, json_body=None, headers=None, timeout: float = 10.0) -> HTTPResult:
    """One request without following redirects; HTTP errors are returned, not raised."""
    data = None
    all_headers = dict(headers or {})
    if json_body is not None:
        data = json.dumps(json_body).encode("utf-8")
        all_headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HTTPResult(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return HTTPResult(error.code, dict(error.headers), error.read())


def api_login(base_url: str, identifier: str, password: str, device_name: str) -> dict:
    """Signs in through the JSON API, both steps: the password answers ``second_factor_required``
    with a flow id; a code is asked for on the account's first channel (the identifier's, for an
    account with one identifier) and sent back. Returns the final answer (``session.token`` among
    others)."""
    result = http("POST", f"{base_url}/api/v1/login",
                  json_body={"identifier": identifier, "password": password, "deviceName": device_name})
    assert result.status == 200, f"API login failed: {result.status} {result.body[:400]!r}"
    challenge = result.json()
    assert challenge.get("status") == "second_factor_required", f"the API signed in on a password alone: {challenge}"
    method = challenge["methods"][0]
    channel = {"email_code": "email", "sms_code": "sms"}[method]
    wait_for_resend_interval(base_url, identifier)
    before = latest_code(base_url, identifier)
    flow = challenge["flowId"]
    sent = http("POST", f"{base_url}/api/v1/login/{flow}/send-code", json_body={"channel": channel})
    assert sent.status == 202, f"API send-code answered {sent.status} {sent.body[:400]!r}"
    code = newest_code(base_url, identifier, exclude=(before,))
    result = http("POST", f"{base_url}/api/v1/login/{flow}/verify", json_body={"method": method, "code": code})
    assert result.status == 200, f"API second step failed: {result.status} {result.body[:400]!r}"
    return result.json()


def session_token(login_answer: dict) -> str:
    session = login_answer["session"]
    token = session.get("token") if isinstance(session, dict) else None
    assert token, f"no session token in the API login answer: {login_answer}"
    return token


def mailbox(base_url: str) -> list[dict]:
    result = http("GET", f"{base_url}/dev/mailbox.json")
    assert result.status == 200, f"/dev/mailbox.json answered {result.status}"
    return result.json()


def newest_code(base_url: str, to: str, *, exclude: tuple[str | None, ...] = (),
                timeout: float = MAILBOX_TIMEOUT) -> str:
    """The code of the newest message to ``to`` that carries one, polling until that code is not
    one of ``exclude`` (the codes seen before): a code still in the asynchronous outbox is waited
    for, never mistaken for an older one further down the mailbox."""
    deadline = time.monotonic() + timeout
    while True:
        for message in mailbox(base_url):  # newest first
            if message.get("to") == to and message.get("code"):
                if message["code"] not in exclude:
                    return message["code"]
                break
        if time.monotonic() > deadline:
            pytest.fail(f"no code for {to} reached the development mailbox within {timeout:.0f} s")
        time.sleep(0.1)


def latest_code(base_url: str, to: str) -> str | None:
    """The code of the newest message to ``to`` the mailbox holds now, or None (no polling)."""
    for message in mailbox(base_url):  # newest first
        if message.get("to") == to and message.get("code"):
            return message["code"]
    return None


def next_code_allowed_at(base_url: str, to: str, resend_interval: float) -> float:
    """The time (epoch seconds) from which the server sends another code to ``to``, judged from the
    newest code delivered there: the code was made before its delivery time, which the mailbox cuts
    to whole seconds, and the server rounds the end of the resend interval up to a whole second."""
    for message in mailbox(base_url):  # newest first
        if message.get("to") == to and message.get("code"):
            sent = datetime.fromisoformat(message["sentAt"].replace("Z", "+00:00")).timestamp()
            return sent + 1 + resend_interval + 0.05
    pytest.fail(f"no code to {to} in the development mailbox")


def wait_until(moment: float):
    """Sleeps until the epoch time ``moment``."""
    time.sleep(max(0.0, moment - time.time()))


def wait_for_resend_interval(base_url: str, to: str):
    """Sleeps until the server at ``base_url`` would send another code to ``to`` (at once when no
    code was sent there yet)."""
    if latest_code(base_url, to) is not None:
        wait_until(next_code_allowed_at(base_url, to, resend_interval_of(base_url)))


def click_for_post(page, button, path_suffix: str):
    """Clicks ``button``; returns the response to the post whose URL ends with ``path_suffix``
    once the page it leads to has loaded."""
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(path_suffix)) as posted:
        with page.expect_navigation():
            button.click()
    return posted.value


def seconds_left(page) -> int:
    """The number of seconds the resend countdown (``#resend-countdown``) shows."""
    text = page.locator("#resend-countdown").inner_text()
    found = re.findall(r"\d+", text)
    assert len(found) == 1, f"no single number in the countdown {text!r}"
    return int(found[0])


def unique_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


def unique_phone() -> str:
    """A fresh E.164 number in the 555 exchange of area code 415."""
    return f"+1415555{uuid.uuid4().int % 10_000:04d}"


def screenshot(page, name: str) -> Path:
    """Saves a full-page screenshot to ``$KEYWARD_SHOTS`` (default /tmp/keyward-shots)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# ---------------------------------------------------------------------------------------------
# The server.
# ---------------------------------------------------------------------------------------------

_RESEND_INTERVALS: dict[str, float] = {}


def resend_interval_of(base_url: str) -> float:
    """The resend interval (seconds) the server at ``base_url`` was started with."""
    return _RESEND_INTERVALS[base_url]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The data directory of each running server, for commands run beside it (``keyward staff add``).
_DATA_DIRS: dict[str, str] = {}


def add_staff(base_url: str, email: str, role: str) -> str:
    """Adds a member of staff to the server at ``base_url`` with ``keyward staff add``, as an
    operator would on the server's machine, and returns the path of their enrolment link."""
    binary = Path(os.environ.get("KEYWARD_BINARY", str(DEFAULT_BINARY)))
    env = {key: value for key, value in os.environ.items() if not key.startswith("KEYWARD_")}
    result = subprocess.run([str(binary), "staff", "add", "--data-dir", _DATA_DIRS[base_url], "--email", email,
                             "--role", role], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, f"keyward staff add failed: {result.stderr}"
    link = re.search(r"(/staff/enroll/[A-Za-z0-9_-]+)", result.stdout)
    assert link, f"no enrolment link in: {result.stdout}"
    return link.group(1)


@contextmanager
def running_server(settings: list[str], *, host: str | None = None):
    """A freshly started Keyward server with its own empty data directory and ``settings``
    (``key=value`` strings passed as ``--set``); yields the base URL and requires a clean exit.

    With ``host`` (such as ``localhost``), the base URL names that host instead of 127.0.0.1 and
    the server takes it, with its port, as its public URL: passkeys are made for the public URL's
    host and only work from its origin."""
    binary = Path(os.environ.get("KEYWARD_BINARY", str(DEFAULT_BINARY)))
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"server binary {binary} is missing; build it with `swift build --product keyward`",
                    pytrace=False)
    data_dir = tempfile.TemporaryDirectory(prefix="keyward-browser-")
    port = _free_port()
    base_url = f"http://{host or '127.0.0.1'}:{port}"
    if host:
        settings = [*settings, f"server.publicURL={base_url}"]
    log_path = Path(data_dir.name) / "server.log"
    log = open(log_path, "wb")
    env = {key: value for key, value in os.environ.items() if not key.startswith("KEYWARD_")}
    arguments = [argument for setting in settings for argument in ("--set", setting)]
    process = subprocess.Popen(
        [str(binary), "serve", "--data-dir", data_dir.name, "--port", str(port), *arguments],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)

    def server_log() -> str:
        log.flush()
        return log_path.read_text(errors="replace")[-4000:]

    intervals = [float(s.split("=", 1)[1]) for s in settings if s.startswith("code.resendInterval=")]
    _RESEND_INTERVALS[base_url] = intervals[-1] if intervals else DEFAULT_RESEND_INTERVAL
    _DATA_DIRS[base_url] = data_dir.name

    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited with status {process.returncode} during startup:\n{server_log()}",
                            pytrace=False)
            try:
                if http("GET", f"{base_url}/readyz", timeout=1.0).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not ready within {STARTUP_TIMEOUT:.0f} s:\n{server_log()}", pytrace=False)
            time.sleep(0.1)

        yield base_url

        process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(timeout=SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"server did not exit within {SHUTDOWN_TIMEOUT:.0f} s of SIGTERM:\n{server_log()}",
                        pytrace=False)
        assert status == 0, f"server exited with status {status} after SIGTERM (expected 0):\n{server_log()}"
    finally:
        _RESEND_INTERVALS.pop(base_url, None)
        _DATA_DIRS.pop(base_url, None)
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
        data_dir.cleanup()


@pytest.fixture(scope="session")
def server():
    """The base URL of the shared server: cheap hashing, relaxed rate limits, a resend interval of
    RESEND_INTERVAL seconds."""
    with running_server(SHARED_SERVER_SETTINGS) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def default_interval_server():
    """A server like the shared one but with the default (60 s) resend interval."""
    with running_server(SERVER_SETTINGS) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def countdown_server():
    """A server like the shared one but with a resend interval of COUNTDOWN_RESEND_INTERVAL seconds."""
    with running_server(SERVER_SETTINGS + [f"code.resendInterval={COUNTDOWN_RESEND_INTERVAL}"]) as base_url:
        yield base_url


# ---------------------------------------------------------------------------------------------
# The browser.
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def playwright():
    sync_playwright = _playwright()
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}; run `apt-get install chromium`", pytrace=False)
    with sync_playwright() as instance:
        yield instance


def launch_options() -> dict:
    return {"executable_path": CHROMIUM, "args": ["--no-sandbox"]}


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(**launch_options())
    yield browser
    browser.close()


def new_context(browser, base_url: str):
    """A fresh browser context (its own cookies) on ``base_url``; the caller closes it."""
    context = browser.new_context(base_url=base_url, locale="en-GB", viewport={"width": 1100, "height": 800})
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def context(browser, server):
    context = new_context(browser, server)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def default_page(browser, default_interval_server):
    """A page in a fresh context on ``default_interval_server``."""
    context = new_context(browser, default_interval_server)
    yield context.new_page()
    context.close()


@pytest.fixture
def countdown_page(browser, countdown_server):
    """A page in a fresh context on ``countdown_server``."""
    context = new_context(browser, countdown_server)
    yield context.new_page()
    context.close()


# ---------------------------------------------------------------------------------------------
# Page flows used by several tests.
# ---------------------------------------------------------------------------------------------

def start_registration(page, email: str, password: str = STRONG_PASSWORD) -> str:
    """Fills in /register and returns the registration id from /register/{id}."""
    page.goto("/register")
    page.fill("input[name=identifier]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.get_by_role("button", name="Send verification code").click()
    path = page.url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]
    parts = path.split("/")
    assert len(parts) == 2 and parts[0] == "register" and parts[1], f"not on /register/{{id}}: {page.url}"
    return parts[1]


def path_of(url: str) -> str:
    """The path of ``url`` without its query."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]


def register(page, server: str, email: str, password: str = STRONG_PASSWORD) -> str:
    """Registers ``email`` through the pages and leaves the page signed in on /account."""
    registration_id = start_registration(page, email, password)
    page.fill("input[name=code]", newest_code(server, email))
    with page.expect_navigation():
        page.get_by_role("button", name="Verify").click()
    assert page.url == f"{server}/account", f"verification did not land on /account: {page.url}"
    return registration_id


def sign_in(page, identifier: str, password: str):
    """Submits the /login form (the first step only); returns the response to the form post itself."""
    page.goto("/login")
    page.fill("input[name=identifier]", identifier)
    page.fill("input[name=password]", password)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/login")) as posted:
        with page.expect_navigation():
            page.locator("form[action='/login'] button[type=submit]").click()
    return posted.value


def mask_pattern(destination: str) -> str:
    """A regular expression for how pages show ``destination`` masked: an email keeps the first
    and last character of its local part and the domain (a•••e@example.com), a phone number its
    first three and last three characters (+14••••••123)."""
    if "@" in destination:
        local, domain = destination.split("@", 1)
        return re.escape(local[0]) + "•+" + re.escape(local[-1]) + "@" + re.escape(domain)
    return re.escape(destination[:3]) + "•+" + re.escape(destination[-3:])


def enter_login_code(page, code: str):
    """Submits ``code`` on /login/verify; returns the response to the form post."""
    page.fill("#code", code)
    return submit_form(page, "Verify", "/login/verify")


def password_step(page, server: str, identifier: str, password: str = STRONG_PASSWORD) -> tuple:
    """The first step of a sign-in that is to get its code at once: waits for the resend interval
    (a code to ``identifier`` sent less than that before would hold the new one back), submits the
    password and requires /login/verify with a code sent. Returns the response to the password
    post and the newest code the mailbox held for ``identifier`` before (None if none): the code of
    this sign-in is the next one, ``newest_code(server, identifier, exclude=(before,))``."""
    wait_for_resend_interval(server, identifier)
    before = latest_code(server, identifier)
    posted = sign_in(page, identifier, password)
    assert posted.status == 302, f"the right password answered {posted.status}"
    assert path_of(page.url) == "/login/verify" and "sent=" in page.url, \
        f"the right password did not send a code and lead to /login/verify: {page.url}"
    return posted, before


def sign_in_with_code(page, server: str, identifier: str, password: str = STRONG_PASSWORD):
    """Signs in through both steps and leaves the page on /account: the password on /login, then
    on /login/verify the code the server sent at once to ``identifier`` (the only channel of an
    account registered with it). Returns the response to the password post."""
    posted, before = password_step(page, server, identifier, password)
    code = newest_code(server, identifier, exclude=(before,))
    verified = enter_login_code(page, code)
    assert verified.status == 302 and page.url == f"{server}/account", \
        f"the second step answered {verified.status} and left the page on {page.url}"
    return posted


def request_reset_code(page, identifier: str):
    """Submits the /recover form the page shows; returns the response to the form post itself."""
    page.fill("input[name=identifier]", identifier)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/recover")) as posted:
        with page.expect_navigation():
            page.get_by_role("button", name="Send reset code").click()
    return posted.value


def start_recovery(page, identifier: str) -> str:
    """Asks for a reset code on /recover and returns the recovery id from /recover/{id}."""
    page.goto("/recover")
    posted = request_reset_code(page, identifier)
    parts = path_of(page.url).split("/")
    assert posted.status == 302 and len(parts) == 3 and parts[1] == "recover" and parts[2], \
        f"asking for a reset code answered {posted.status} and left the page on {page.url}"
    return parts[2]


def submit_form(page, button_name: str, path_suffix: str):
    """Clicks the button called ``button_name``; returns the response to the post whose URL ends
    with ``path_suffix``, once the page it leads to has loaded."""
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(path_suffix)) as posted:
        with page.expect_navigation():
            page.get_by_role("button", name=button_name, exact=True).click()
    return posted.value


def enter_recovery_code(page, recovery_id: str, code: str):
    """Submits ``code`` on /recover/{id}; returns the response to the form post."""
    page.fill("input[name=code]", code)
    return submit_form(page, "Continue", f"/recover/{recovery_id}")


def choose_new_password(page, recovery_id: str, password: str):
    """Submits the new-password form of /recover/{id}; returns the response to the form post."""
    page.fill("input[name=password]", password)
    return submit_form(page, "Change password", f"/recover/{recovery_id}/password")


def wait_for_message(base_url: str, to: str, subject_contains: str, *, timeout: float = MAILBOX_TIMEOUT) -> dict:
    """The newest message to ``to`` whose subject contains ``subject_contains``, polling for delivery."""
    deadline = time.monotonic() + timeout
    while True:
        for message in mailbox(base_url):  # newest first
            if message.get("to") == to and subject_contains in (message.get("subject") or ""):
                return message
        if time.monotonic() > deadline:
            pytest.fail(f"no message to {to} about {subject_contains!r} reached the development mailbox "
                        f"within {timeout:.0f} s")
        time.sleep(0.1)
