"""Fixtures for the JSON API contract tests.

* ``start_server(**settings)``: starts ``$KEYWARD_BINARY`` (default ``.build/debug/keyward``) on a
  free port with a fresh data directory and the given ``KEYWARD_*`` settings, waits for
  ``GET /readyz``, and returns a ``Server``. At the end of the session every server started is
  stopped with SIGTERM and must exit with status 0 within a few seconds: graceful shutdown is part
  of the contract.
* ``server`` (session): the server most tests use. Argon2id runs with a small cost (hash cost does
  not change any answer's shape, and a debug build hashes slowly) and the resend interval is one
  second: the interval is per destination and whatever the code is for, so signing in (or
  re-authenticating) right after registering waits for it, and tests wait out the
  ``resendAvailableAt`` they are given rather than a fixed time. Every test server shares
  one client address (127.0.0.1), so this one runs with the per-address and per-destination code
  limits and the sign-in limits relaxed (``RELAXED_LIMITS``); tests that provoke ``rate_limited``
  start servers of their own. It accepts the operator API key ``OPERATOR_KEY``.
* ``served_document`` and ``contract`` (session): the OpenAPI document the main server serves,
  and the one ``openapi_contract.Contract`` every test module checks answers with. It records
  what was seen across the whole session; the coverage test at the end of
  ``test_openapi_contract.py`` reads it, so that module runs after every other module of the
  folder (``pytest_collection_modifyitems``): run the folder as a whole for coverage.

Nothing here skips: a missing binary fails the run.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from openapi_contract import Contract
from openapi_spec_validator import OpenAPIV31SpecValidator

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO / ".build" / "debug" / "keyward"
STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 5.0
MAILBOX_TIMEOUT = 5.0

# Seconds between two codes to one destination on the main test server.
RESEND_INTERVAL = 1

# The module whose last test checks that every documented answer was seen: it runs last.
COVERAGE_MODULE = "test_openapi_contract.py"

# The operator API key of the main test server.
OPERATOR_KEY = "contract-operator-key-3f9a1c"

# Rate limits no test run reaches, for servers whose tests share 127.0.0.1 and send many codes and
# sign-ins; each value is `count/seconds`.
RELAXED_LIMITS = {
    "KEYWARD_RATE_CODES_PER_IP": "100000/60",
    "KEYWARD_RATE_CODES_PER_DESTINATION": "100000/3600",
    "KEYWARD_RATE_CODES_PER_ACCOUNT": "100000/3600",
    "KEYWARD_RATE_SIGNINS_PER_IP": "100000/60",
    "KEYWARD_RATE_SIGNINS_PER_IDENTIFIER": "100000/60",
}


@dataclass
class Reply:
    """One HTTP answer: status, headers (names lowercased) and the raw body."""
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def media_type(self) -> str | None:
        value = self.headers.get("content-type")
        return value.split(";", 1)[0].strip().lower() if value else None

    def json(self):
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Server:
    base_url: str
    host: str
    port: int
    data_dir: str
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    def request(self, method: str, path: str, *, json_body=None, body: bytes | None = None,
                headers: dict[str, str] | None = None, token: str | None = None,
                timeout: float = 30.0) -> Reply:
        """One request on a fresh connection; any status is returned, never raised."""
        all_headers = {"Accept": "application/json, application/problem+json"}
        all_headers.update(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            all_headers.setdefault("Content-Type", "application/json")
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            payload = response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, payload)
        finally:
            connection.close()

    def mailbox(self) -> list[dict]:
        reply = self.request("GET", "/dev/mailbox.json")
        assert reply.status == 200, f"/dev/mailbox.json answered {reply.status}"
        return reply.json()

    def codes(self, to: str) -> tuple[str, ...]:
        """Every code delivered to ``to`` so far, newest first: take it before asking for a new code
        and pass it to ``newest_code`` as ``exclude``."""
        return tuple(message["code"] for message in self.mailbox() if message.get("to") == to and message.get("code"))

    def messages(self, to: str) -> list[dict]:
        """Every message delivered to ``to`` so far, newest first."""
        return [message for message in self.mailbox() if message.get("to") == to]

    def newest_code(self, to: str, *, exclude: tuple[str, ...] = (), timeout: float = MAILBOX_TIMEOUT) -> str:
        """The code of the newest message to ``to`` not in ``exclude``, polling for delivery."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.mailbox():  # newest first
                if message.get("to") == to and message.get("code") and message["code"] not in exclude:
                    return message["code"]
            if time.monotonic() > deadline:
                pytest.fail(f"no code for {to} reached the development mailbox within {timeout:.0f} s")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _binary() -> Path:
    binary = Path(os.environ.get("KEYWARD_BINARY", str(DEFAULT_BINARY)))
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"server binary {binary} is missing; build it with `swift build --product keyward`",
                    pytrace=False)
    return binary


@pytest.fixture(scope="session")
def start_server():
    """Starts servers on demand; stops each with SIGTERM at the end and requires exit status 0."""
    started: list[tuple[Server, tempfile.TemporaryDirectory, object]] = []

    def start(**settings: str) -> Server:
        binary = _binary()
        data_dir = tempfile.TemporaryDirectory(prefix="keyward-api-")
        port = _free_port()
        log_path = Path(data_dir.name) / "server.log"
        log = open(log_path, "wb")
        env = {key: value for key, value in os.environ.items() if not key.startswith("KEYWARD_")}
        env.update({key: str(value) for key, value in settings.items()})
        process = subprocess.Popen(
            [str(binary), "serve", "--data-dir", data_dir.name, "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        server = Server(f"http://127.0.0.1:{port}", "127.0.0.1", port, data_dir.name, log_path, process)
        started.append((server, data_dir, log))
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited with status {process.returncode} during startup:\n{server.log()}",
                            pytrace=False)
            try:
                if server.request("GET", "/readyz", timeout=1.0).status == 200:
                    return server
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not ready within {STARTUP_TIMEOUT:.0f} s:\n{server.log()}", pytrace=False)
            time.sleep(0.1)

    yield start

    failures = []
    for server, data_dir, log in started:
        process = server.process
        try:
            if process.poll() is not None:
                failures.append(f"server on port {server.port} had already exited with status "
                                f"{process.returncode}:\n{server.log()}")
                continue
            process.send_signal(signal.SIGTERM)
            try:
                status = process.wait(timeout=SHUTDOWN_TIMEOUT)
            except subprocess.TimeoutExpired:
                failures.append(f"server on port {server.port} did not exit within {SHUTDOWN_TIMEOUT:.0f} s "
                                f"of SIGTERM:\n{server.log()}")
                continue
            if status != 0:
                failures.append(f"server on port {server.port} exited with status {status} after SIGTERM "
                                f"(expected 0):\n{server.log()}")
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()
            data_dir.cleanup()
    assert not failures, "\n\n".join(failures)


@pytest.fixture(scope="session")
def operator_key() -> str:
    """The operator API key the main test server accepts."""
    return OPERATOR_KEY


@pytest.fixture(scope="session")
def relaxed_limits() -> dict[str, str]:
    """Settings that lift the rate limits out of reach, for servers of a test's own."""
    return dict(RELAXED_LIMITS)


@pytest.fixture(scope="session")
def server(start_server) -> Server:
    """The main test server."""
    return start_server(
        KEYWARD_CODE_RESEND_INTERVAL=str(RESEND_INTERVAL),
        KEYWARD_ARGON2_MEMORY_KIB="1024",
        KEYWARD_ARGON2_ITERATIONS="1",
        KEYWARD_OPERATOR_API_KEYS=OPERATOR_KEY,
        **RELAXED_LIMITS,
    )


@pytest.fixture(scope="session")
def served_document(server) -> Reply:
    reply = server.request("GET", "/api/openapi.yaml")
    assert reply.status == 200, f"GET /api/openapi.yaml answered {reply.status}"
    return reply


@pytest.fixture(scope="session")
def contract(served_document) -> Contract:
    """The served document, validated as OpenAPI 3.1; one for the session, recording every answer checked."""
    document = yaml.safe_load(served_document.body)
    OpenAPIV31SpecValidator(document).validate()
    contract = Contract(document)
    contract.check(("GET", "/api/openapi.yaml"), served_document, expect=200)
    return contract


def pytest_collection_modifyitems(session, config, items):
    """Runs the tests of ``COVERAGE_MODULE`` after those of every other module (each module's tests
    keep their order), since its last test checks what the whole session saw."""
    items.sort(key=lambda item: item.path.name == COVERAGE_MODULE)
