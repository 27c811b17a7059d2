"""The OpenAPI document served at /api/openapi.yaml is true of the running server.

The document is checked with openapi-spec-validator, then real requests drive every operation
and as many error codes as a black-box client can provoke. Each answer is held against the
document: its status must be listed for that operation (there are no `default` responses), its
content type must be one the response lists, its body must validate against the OpenAPI 3.1
schema (JSON Schema 2020-12 with formats such as `date-time` and `uuid` checked), required
headers must be present, and every problem `code` must appear in the document. Request bodies the
tests send as valid must validate against the request schemas, and those the server refuses as
`request.invalid_field` must not.

The last test checks coverage: every documented (operation, status) pair and every documented
problem code was seen, except those listed in ``UNREACHABLE`` with the reason (and answers whose
every code is listed there). The ``contract`` that records what was seen is shared by the session
(conftest.py), and this module runs after the other modules of the folder (such as
``test_support_cases_contract``, which drives the support-case operations), so run the folder as
a whole.

Signing in takes two steps (password, then a second factor), and so does a password recovery
(its code, then the account's other factor); one destination gets at most one code per resend
interval whatever the code is for, so helpers that need a code wait out the ``resendAvailableAt``
the server gives. Authenticator-app codes are computed with pyotp; the
``Authenticator`` helper never offers the server a time step it has already accepted. Passkeys
are made and used by the ``SoftwareAuthenticator`` of ``webauthn_authenticator``, whose origin
is the test server's own (``server.base_url``), so the server's default RP ID (its host) applies.
"""

from __future__ import annotations

import copy
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

import pyotp
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from openapi_contract import escape
from webauthn_authenticator import Credential, SoftwareAuthenticator, b64url, b64url_decode

REPO = Path(__file__).resolve().parents[2]
SOURCE_DOCUMENT = REPO / "Sources" / "KeywardServer" / "Resources" / "openapi.yaml"
STRONG_PASSWORD = "Quartz-Lantern-47"
BODY_LIMIT = 65536

REGISTRATIONS = ("POST", "/api/v1/registrations")
VERIFY = ("POST", "/api/v1/registrations/{id}/verify")
RESEND = ("POST", "/api/v1/registrations/{id}/send-code")
RESEND_ALIAS = ("POST", "/api/v1/registrations/{id}/resend")
LOGIN = ("POST", "/api/v1/login")
LOGIN_FLOW = ("GET", "/api/v1/login/{id}")
LOGIN_SEND = ("POST", "/api/v1/login/{id}/send-code")
LOGIN_VERIFY = ("POST", "/api/v1/login/{id}/verify")
SESSION = ("GET", "/api/v1/session")
LOGOUT = ("POST", "/api/v1/logout")
SESSIONS = ("GET", "/api/v1/sessions")
REVOKE_OTHERS = ("DELETE", "/api/v1/sessions")
REVOKE = ("DELETE", "/api/v1/sessions/{id}")
RECOVERY = ("POST", "/api/v1/recovery")
RECOVERY_RESEND = ("POST", "/api/v1/recovery/{id}/send-code")
RECOVERY_RESEND_ALIAS = ("POST", "/api/v1/recovery/{id}/resend")
RECOVERY_VERIFY = ("POST", "/api/v1/recovery/{id}/verify")
RECOVERY_PASSWORD = ("POST", "/api/v1/recovery/{id}/password")
RECOVERY_SEND = ("POST", "/api/v1/recovery/{id}/second-factor/send-code")
RECOVERY_SECOND_FACTOR = ("POST", "/api/v1/recovery/{id}/second-factor")
HOLDS = ("GET", "/api/v1/account/holds")
ACTIVITY = ("GET", "/api/v1/account/activity")
REAUTH = ("POST", "/api/v1/account/reauth")
REAUTH_SEND = ("POST", "/api/v1/account/reauth/{id}/send-code")
REAUTH_VERIFY = ("POST", "/api/v1/account/reauth/{id}/verify")
SECURITY = ("GET", "/api/v1/account/security")
PASSWORD = ("PUT", "/api/v1/account/password")
TOTP = ("POST", "/api/v1/account/totp")
TOTP_REMOVE = ("DELETE", "/api/v1/account/totp")
TOTP_CONFIRM = ("POST", "/api/v1/account/totp/confirm")
ANTI_PHISHING = ("PUT", "/api/v1/account/anti-phishing-code")
RECOVERY_CODES = ("POST", "/api/v1/account/recovery-codes")
PHONE = ("POST", "/api/v1/account/phone")
PHONE_RESEND = ("POST", "/api/v1/account/phone/{id}/send-code")
PHONE_RESEND_ALIAS = ("POST", "/api/v1/account/phone/{id}/resend")
PHONE_VERIFY = ("POST", "/api/v1/account/phone/{id}/verify")
EMAIL = ("POST", "/api/v1/account/email")
EMAIL_RESEND = ("POST", "/api/v1/account/email/{id}/send-code")
EMAIL_RESEND_ALIAS = ("POST", "/api/v1/account/email/{id}/resend")
EMAIL_VERIFY = ("POST", "/api/v1/account/email/{id}/verify")
PASSKEY_OPTIONS = ("POST", "/api/v1/account/passkeys/options")
PASSKEYS = ("GET", "/api/v1/account/passkeys")
PASSKEY_ADD = ("POST", "/api/v1/account/passkeys")
PASSKEY_RENAME = ("PATCH", "/api/v1/account/passkeys/{id}")
PASSKEY_REMOVE = ("DELETE", "/api/v1/account/passkeys/{id}")
PASSKEY_SIGN_IN_OPTIONS = ("POST", "/api/v1/login/passkey/options")
PASSKEY_SIGN_IN = ("POST", "/api/v1/login/passkey")
CHANGE = {"phone": PHONE, "email": EMAIL}
CHANGE_RESEND = {"phone": PHONE_RESEND, "email": EMAIL_RESEND}
CHANGE_VERIFY = {"phone": PHONE_VERIFY, "email": EMAIL_VERIFY}
UNAVAILABLE_SEND = ("POST", "/api/v1/login/{id}/unavailable/send-code")
UNAVAILABLE = ("POST", "/api/v1/login/{id}/unavailable")
CASE_OPEN = ("POST", "/api/v1/support/cases")
CASE_LIST = ("GET", "/api/v1/support/cases")
CASE_VERIFY = ("POST", "/api/v1/support/cases/{id}/verify")
CASE = ("GET", "/api/v1/support/cases/{id}")
CASE_MESSAGES = ("POST", "/api/v1/support/cases/{id}/messages")
CASE_DOCUMENTS = ("POST", "/api/v1/support/cases/{id}/documents")
CASE_SUBMIT = ("POST", "/api/v1/support/cases/{id}/submit")
OPERATOR_HOLDS = ("GET", "/api/v1/admin/accounts/{id}/holds")
DIAGNOSIS = ("POST", "/api/v1/admin/sign-in-diagnosis")
APPROVE_DEVICE = ("POST", "/api/v1/login/{id}/approve-device")
HELP_START = ("POST", "/api/v1/help/sign-in")
HELP_RESEND = ("POST", "/api/v1/help/sign-in/{id}/send-code")
HELP_VERIFY = ("POST", "/api/v1/help/sign-in/{id}/verify")
HEALTH = ("GET", "/healthz")
READY = ("GET", "/readyz")
DOCUMENT = ("GET", "/api/openapi.yaml")

# Documented answers that no request to a healthy server can provoke, each with the reason. Every
# `500 internal.error` belongs here too (handled in the coverage test).
UNREACHABLE = {
    ("GET", "/readyz", "503"): "needs a database that does not answer",
    "internal.error": "needs an unexpected failure inside the server",
    "storage.unavailable": "needs a database that is out of reach (the Swift tests lock one)",
    "second_factor.unavailable": "every active account has a verified email address or phone number: "
                                 "registration verifies one and a change only replaces it",
    ("POST", "/api/v1/account/reauth", "409"): "only second_factor.unavailable",
    "method.not_allowed": "Hummingbird answers a known path with an unknown method 404 route.not_found",
    ("POST", "/api/v1/account/passkeys", "410"): "a registration ceremony lasts the WebAuthn timeout (5 minutes), "
                                                 "which no setting shortens",
    ("POST", "/api/v1/login/passkey", "410"): "a passkey sign-in ceremony lasts the WebAuthn timeout (5 minutes), "
                                              "which no setting shortens",
    "case.opening_expired": "a support case opening waits 30 minutes for its code, which no setting shortens",
    "help.expired": "a sign-in help waits code.lifetime for its code, at least 60 seconds "
                    "(SignInHelpTests moves the clock past it)",
}


# ---------------------------------------------------------------------------------------------
# Helpers that drive the API.
# ---------------------------------------------------------------------------------------------

_counter = iter(range(1, 1_000_000))


def unique_email(label: str) -> str:
    return f"{label}-{next(_counter)}-{time.time_ns() % 10**9}@example.com"


def unique_phone() -> str:
    """A UK mobile number in the canonical form the server stores and the mailbox shows."""
    return f"+447700{(next(_counter) * 7919 + time.time_ns() // 1000) % 10**6:06d}"


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def wait_until(moment: datetime, slack: float = 0.1):
    """Sleeps until `moment` (a whole-second timestamp) plus `slack` seconds."""
    delay = (moment - datetime.now(timezone.utc)).total_seconds() + slack
    if delay > 0:
        time.sleep(delay)


def start_registration(server, contract, identifier: str, password: str = STRONG_PASSWORD) -> dict:
    body = {"identifier": identifier, "password": password}
    contract.assert_request_valid(REGISTRATIONS, body)
    return contract.check(REGISTRATIONS, server.request("POST", "/api/v1/registrations", json_body=body),
                          expect=201)


def verify(server, contract, registration_id: str, code: str, *, device_name=None, expect=200, expect_code=None):
    body = {"code": code} if device_name is None else {"code": code, "deviceName": device_name}
    contract.assert_request_valid(VERIFY, body)
    reply = server.request("POST", f"/api/v1/registrations/{registration_id}/verify", json_body=body)
    return contract.check(VERIFY, reply, expect=expect, code=expect_code)


def resend(server, contract, registration_id: str, *, expect=202, expect_code=None):
    reply = server.request("POST", f"/api/v1/registrations/{registration_id}/send-code")
    body = contract.check(RESEND, reply, expect=expect, code=expect_code)
    return body, reply


def login(server, contract, identifier: str, password: str = STRONG_PASSWORD, *, device_name=None,
          expect=200, expect_code=None):
    body = {"identifier": identifier, "password": password}
    if device_name is not None:
        body["deviceName"] = device_name
    contract.assert_request_valid(LOGIN, body)
    return contract.check(LOGIN, server.request("POST", "/api/v1/login", json_body=body),
                          expect=expect, code=expect_code)


def register(server, contract, identifier: str, password: str = STRONG_PASSWORD) -> dict:
    """A finished registration; returns the verify answer (account id and first session)."""
    started = start_registration(server, contract, identifier, password)
    return verify(server, contract, started["registrationId"], server.newest_code(identifier),
                  device_name="first device")


def wrong_code(right: str) -> str:
    return f"{(int(right) + 1) % 10 ** len(right):0{len(right)}d}"


def start_recovery(server, contract, identifier: str, *, expect=202, expect_code=None):
    body = {"identifier": identifier}
    contract.assert_request_valid(RECOVERY, body)
    return contract.check(RECOVERY, server.request("POST", "/api/v1/recovery", json_body=body),
                          expect=expect, code=expect_code)


def recovery_resend(server, contract, flow_id: str, *, expect=202, expect_code=None):
    reply = server.request("POST", f"/api/v1/recovery/{flow_id}/send-code")
    return contract.check(RECOVERY_RESEND, reply, expect=expect, code=expect_code)


def recovery_verify(server, contract, flow_id: str, code: str, *, expect=200, expect_code=None):
    body = {"code": code}
    contract.assert_request_valid(RECOVERY_VERIFY, body)
    reply = server.request("POST", f"/api/v1/recovery/{flow_id}/verify", json_body=body)
    return contract.check(RECOVERY_VERIFY, reply, expect=expect, code=expect_code)


def recovery_password(server, contract, flow_id: str, new_password: str, *, expect=200, expect_code=None):
    body = {"newPassword": new_password}
    contract.assert_request_valid(RECOVERY_PASSWORD, body)
    reply = server.request("POST", f"/api/v1/recovery/{flow_id}/password", json_body=body)
    return contract.check(RECOVERY_PASSWORD, reply, expect=expect, code=expect_code)


def recovery_send_code(server, contract, flow_id: str, channel: str, *, expect=202, expect_code=None):
    return send_code(server, contract, RECOVERY_SEND, flow_id, channel, expect=expect, expect_code=expect_code)


def recovery_second_factor(server, contract, flow_id: str, method: str, code: str, *, expect=200, expect_code=None,
                           body_valid: bool | None = True):
    return call(server, contract, RECOVERY_SECOND_FACTOR, flow_id, body={"method": method, "code": code},
                body_valid=body_valid, expect=expect, expect_code=expect_code)


def recovery_code_entered(server, contract, identifier: str) -> tuple[str, dict]:
    """Starts a recovery for `identifier` (waiting out a resend interval if one is the answer) and
    enters its code; returns the flow id and the verify answer."""
    seen = server.codes(identifier)
    flow_id = in_time(lambda: start_recovery(server, contract, identifier, expect=None))["flowId"]
    return flow_id, recovery_verify(server, contract, flow_id, server.newest_code(identifier, exclude=seen))


def operator_holds(server, contract, account_id: str, authorization: str | None, *, expect=200, expect_code=None):
    headers = {"Authorization": authorization} if authorization else {}
    reply = server.request("GET", f"/api/v1/admin/accounts/{account_id}/holds", headers=headers)
    return contract.check(OPERATOR_HOLDS, reply, expect=expect, code=expect_code)


def cheap_hashing(**settings) -> dict[str, str]:
    """Settings for a server of a test's own: Argon2id at a small cost, plus `settings`."""
    return {"KEYWARD_ARGON2_MEMORY_KIB": "1024", "KEYWARD_ARGON2_ITERATIONS": "1", **settings}


def in_parallel(count: int, send):
    """Calls `send(i)` for i in range(count) from `count` threads released at once."""
    barrier = threading.Barrier(count)

    def run(index):
        barrier.wait()
        return send(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def path_of(operation, flow_id: str | None = None) -> str:
    return operation[1] if flow_id is None else operation[1].replace("{id}", flow_id)


def call(server, contract, operation, flow_id: str | None = None, *, body=None, token: str | None = None,
         body_valid: bool | None = True, headers=None, expect=None, expect_code=None):
    """One request to `operation` (its `{id}` filled with `flow_id`), checked against the document.

    `body` is sent as JSON unless None. `body_valid` says whether the document must accept the body
    (True), must refuse it (False), or is not asked (None). Returns the parsed answer.
    """
    if body is not None and body_valid is not None:
        (contract.assert_request_valid if body_valid else contract.assert_request_invalid)(operation, body)
    reply = server.request(operation[0], path_of(operation, flow_id), json_body=body, token=token, headers=headers)
    return contract.check(operation, reply, expect=expect, code=expect_code)


def masked_email(email: str) -> str:
    local, domain = email.split("@")
    return f"{local[0]}•••{local[-1]}@{domain}"


def masked_phone(phone: str) -> str:
    digits = phone[1:]
    return f"+{digits[:2]}{'•' * (len(digits) - 5)}{digits[-3:]}"


def in_time(send):
    """Calls `send()` (which returns the parsed answer); when the answer is `code.resend_too_soon`
    (a code went to the destination moments ago), waits until its `resendAvailableAt` and calls again."""
    answer = send()
    if isinstance(answer, dict) and answer.get("code") == "code.resend_too_soon":
        wait_until(parse_time(answer["resendAvailableAt"]), slack=0.05)
        answer = send()
    return answer


def send_code(server, contract, operation, flow_id: str, channel: str, *, token=None, expect=202, expect_code=None):
    return call(server, contract, operation, flow_id, body={"channel": channel}, token=token,
                expect=expect, expect_code=expect_code)


def fresh_code(server, contract, operation, flow_id: str, channel: str, destination: str, *, token=None) -> str:
    """Asks for a code on `channel` for the flow, within the resend interval, and reads it from the mailbox."""
    seen = server.codes(destination)
    answer = in_time(lambda: send_code(server, contract, operation, flow_id, channel, token=token, expect=None))
    assert set(answer) == {"resendAvailableAt"}, f"{operation}: expected 202, got {answer}"
    return server.newest_code(destination, exclude=seen)


def login_verify(server, contract, flow_id: str, method: str, code: str, *, expect=200, expect_code=None,
                 body_valid: bool | None = True):
    return call(server, contract, LOGIN_VERIFY, flow_id, body={"method": method, "code": code},
                body_valid=body_valid, expect=expect, expect_code=expect_code)


def reauth_verify(server, contract, token: str, flow_id: str, method: str, code: str, *, expect=200,
                  expect_code=None, body_valid: bool | None = True):
    return call(server, contract, REAUTH_VERIFY, flow_id, body={"method": method, "code": code}, token=token,
                body_valid=body_valid, expect=expect, expect_code=expect_code)


class Authenticator:
    """An authenticator app holding an enrolment's secret.

    The server (totp.window 1) accepts a code of the current 30-second step or of one either side,
    and each step once, later steps only. `code()` gives the earliest step not offered yet that the
    server takes now, so that three codes in a row need no waiting: the previous step (unless it
    leaves the window within 3 s), the current one, the next one. It waits for the clock only when
    the step it needs is not yet in the window.
    """

    def __init__(self, enrolment: dict):
        self.secret = enrolment["secret"].replace(" ", "")
        self.totp = pyotp.TOTP(self.secret)
        self.last_step: int | None = None

    def code(self) -> str:
        now = time.time()
        current = int(now // 30)
        earliest = current - 1 if now % 30 < 27 else current
        step = earliest if self.last_step is None else max(earliest, self.last_step + 1)
        if step > current + 1:
            time.sleep((step - 1) * 30 - now + 0.05)
        self.last_step = step
        return self.totp.at(step * 30)

    def last_code(self) -> str:
        return self.totp.at(self.last_step * 30)

    def wrong_code(self) -> str:
        """A well-formed code no step within 11 minutes of now has: neither accepted nor taken for
        the app's code of another time (`totp.clock_skew`)."""
        now = time.time()
        near = {self.totp.at(now + offset * 30) for offset in range(-22, 23)}
        return next(code for code in ("000000", "111111", "222222", "333333", "444444", "555555") if code not in near)


def second_step(server, contract, challenge: dict, destination: str | None = None, *,
                authenticator: Authenticator | None = None, channel: str | None = None):
    """Finishes a sign-in whose step 1 answered `challenge`: with the authenticator when the account
    has one, else with a code sent to `destination`. Returns the LoginSucceeded answer."""
    if challenge["methods"] == ["totp"]:
        assert authenticator is not None, "the account has an authenticator app; pass it"
        return login_verify(server, contract, challenge["flowId"], "totp", authenticator.code())
    channel = channel or ("email" if "email_code" in challenge["methods"] else "sms")
    code = fresh_code(server, contract, LOGIN_SEND, challenge["flowId"], channel, destination)
    return login_verify(server, contract, challenge["flowId"], f"{channel}_code", code)


def sign_in(server, contract, identifier: str, password: str = STRONG_PASSWORD, *, device_name=None,
            destination: str | None = None, authenticator: Authenticator | None = None, channel: str | None = None):
    """Both steps of a sign-in; returns the LoginSucceeded answer (account id and session)."""
    challenge = login(server, contract, identifier, password, device_name=device_name)
    assert challenge["status"] == "second_factor_required", challenge
    return second_step(server, contract, challenge, destination or identifier, authenticator=authenticator,
                       channel=channel)


def reauthenticate(server, contract, token: str, destination: str | None = None, *,
                   authenticator: Authenticator | None = None, password: str = STRONG_PASSWORD) -> dict:
    """Password and second factor again for the session `token`; returns the Reauthenticated answer."""
    challenge = call(server, contract, REAUTH, body={"password": password}, token=token, expect=200)
    flow_id = challenge["flowId"]
    if challenge["methods"] == ["totp"]:
        assert authenticator is not None, "the account has an authenticator app; pass it"
        return reauth_verify(server, contract, token, flow_id, "totp", authenticator.code())
    channel = "email" if "email_code" in challenge["methods"] else "sms"
    code = fresh_code(server, contract, REAUTH_SEND, flow_id, channel, destination, token=token)
    return reauth_verify(server, contract, token, flow_id, f"{channel}_code", code)


def signed_in_account(server, contract, label: str) -> SimpleNamespace:
    """A registered email account signed in with both steps: `token` is freshly re-authenticated,
    `registration_token` (the registration's session) is not."""
    email = unique_email(label)
    registered = register(server, contract, email)
    signed_in = sign_in(server, contract, email, device_name="Contract tests")
    return SimpleNamespace(email=email, account_id=registered["accountId"], token=signed_in["session"]["token"],
                           session_id=signed_in["session"]["id"],
                           registration_token=registered["session"]["token"], phone=None, authenticator=None)


def start_change(server, contract, kind: str, value: str, token: str, *, old_available: bool | None = None,
                 expect=202, expect_code=None):
    """Starts a phone (`kind` phone) or email change, waiting out a resend interval when it is the answer."""
    body = {kind: value} if old_available is None else {kind: value, "oldAvailable": old_available}
    send = lambda: call(server, contract, CHANGE[kind], body=body, token=token, expect=None)  # noqa: E731
    answer = in_time(send) if expect == 202 else send()
    if expect_code is not None:
        assert answer.get("code") == expect_code, f"{kind} change: expected {expect_code}, got {answer}"
    elif expect == 202:
        assert "flowId" in answer, f"{kind} change: expected 202, got {answer}"
    return answer


def change_verify(server, contract, kind: str, token: str, flow_id: str, *, expect=200, expect_code=None,
                  body_valid: bool | None = True, **codes):
    return call(server, contract, CHANGE_VERIFY[kind], flow_id, body=codes, token=token, body_valid=body_valid,
                expect=expect, expect_code=expect_code)


def codes_of_change(server, contract, kind: str, started: dict, token: str, new: str, other: str) -> dict[str, str]:
    """The codes of a change that `started` moments ago, to `new` (newCode) and to `other` (the
    current address's oldCode or the other channel's otherCode). The start sends the other code only
    when `other` had none within the resend interval, so this waits for `resendAvailableAt` and asks
    for both again, and returns those."""
    wait_until(parse_time(started["resendAvailableAt"]))
    seen_new, seen_other = server.codes(new), server.codes(other)
    call(server, contract, CHANGE_RESEND[kind], started["flowId"], token=token, expect=202)
    other_proof = "oldCode" if "oldCode" in started["proofs"] else "otherCode"
    return {"newCode": server.newest_code(new, exclude=seen_new), other_proof: server.newest_code(other, exclude=seen_other)}


def bind_phone(server, contract, account: SimpleNamespace) -> str:
    """Binds a new phone number (no current one, so only its own code) to the account."""
    phone = unique_phone()
    started = start_change(server, contract, "phone", phone, account.token)
    assert (started["proofs"], started["verifyOld"]) == (["newCode"], False), started
    changed = change_verify(server, contract, "phone", account.token, started["flowId"],
                            newCode=server.newest_code(phone))
    assert changed == {"status": "changed", "phone": phone}
    account.phone = phone
    return phone


def bind_authenticator(server, contract, account: SimpleNamespace) -> Authenticator:
    enrolment = call(server, contract, TOTP, token=account.token, expect=201)
    authenticator = Authenticator(enrolment)
    confirmed = call(server, contract, TOTP_CONFIRM, body={"code": authenticator.code()}, token=account.token, expect=200)
    assert confirmed == {"status": "active"}
    account.authenticator = authenticator
    return authenticator


def full_account(server, contract, label: str) -> SimpleNamespace:
    """A signed-in account with an email address, a phone number and an authenticator app."""
    account = signed_in_account(server, contract, label)
    bind_phone(server, contract, account)
    bind_authenticator(server, contract, account)
    return account


def activity_kinds(server, contract, token: str) -> list[str]:
    activity = contract.check(ACTIVITY, server.request("GET", "/api/v1/account/activity", token=token), expect=200)
    return [event["kind"] for event in activity["events"]]


def in_background(function):
    """Runs `function()` in a thread; returns a callable that waits for and returns its result."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(function)
    pool.shutdown(wait=False)
    return future.result


# A fixed window of about 31 years: a limit set with it cannot roll over while a test runs.
NEVER_ENDING = 10 ** 9


# ---------------------------------------------------------------------------------------------
# The document itself.
# ---------------------------------------------------------------------------------------------

def test_served_document_is_valid_openapi_3_1(contract):
    document = contract.document
    assert str(document["openapi"]).startswith("3.1."), document["openapi"]
    scheme = document["components"]["securitySchemes"]["sessionToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer"), scheme
    operation_ids = []
    for method, template, operation in contract.operations():
        where = f"{method} {template}"
        operation_ids.append(operation.get("operationId"))
        assert operation.get("operationId"), f"{where} has no operationId"
        responses = operation["responses"]
        assert all(key.isdigit() for key in responses), f"{where} has `default` or range responses: {sorted(responses)}"
        for key, response in responses.items():
            response, _ = contract.resolve(response, "")
            if int(key) >= 400 and template.startswith("/api/"):
                content = response.get("content", {})
                assert list(content) == ["application/problem+json"], f"{where} {key}: errors must be problem+json"
                schema = content["application/problem+json"]["schema"]
                refs = [schema.get("$ref")] + [part.get("$ref") for part in schema.get("allOf", [])]
                assert "#/components/schemas/Problem" in refs, f"{where} {key}: does not reference Problem"
                for part in schema.get("allOf", []):
                    codes = part.get("properties", {}).get("code", {}).get("enum", [])
                    unknown = set(codes) - contract.problem_codes
                    assert not unknown, f"{where} {key}: codes {unknown} are not in ProblemCode"
                    assert all(code in response["description"] for code in codes), \
                        f"{where} {key}: the description does not name every code in {codes}"
        if operation.get("security"):
            expected_security = ([{"operatorKey": []}] if template.startswith("/api/v1/admin/")
                                 else [{"staffToken": []}] if template.startswith("/api/v1/staff/")
                                 else [{"caseToken": []}, {"sessionToken": []}]
                                 if template.startswith("/api/v1/support/cases/{id}") else [{"sessionToken": []}])
            assert operation["security"] == expected_security, where
            assert "401" in responses, f"{where} needs a session but documents no 401"
        if "401" in responses:
            response, _ = contract.resolve(responses["401"], "")
            assert "WWW-Authenticate" in response.get("headers", {}), f"{where} 401 documents no WWW-Authenticate"
    assert len(operation_ids) == len(set(operation_ids)), "operationIds are not unique"
    # Formats are checked, not only annotated (date-time needs rfc3339-validator installed).
    assert contract.schema_errors("/components/schemas/Timestamp", "2026-11-27T25:61:00Z"), \
        "date-time formats are not checked: pip install -r Tests/requirements.txt"
    expected = {REGISTRATIONS, VERIFY, RESEND, RESEND_ALIAS, RECOVERY_RESEND_ALIAS, PHONE_RESEND_ALIAS, EMAIL_RESEND_ALIAS, LOGIN, LOGIN_FLOW, LOGIN_SEND, LOGIN_VERIFY, SESSION, LOGOUT, SESSIONS,
                REVOKE_OTHERS, REVOKE, RECOVERY, RECOVERY_RESEND, RECOVERY_VERIFY, RECOVERY_SEND, RECOVERY_SECOND_FACTOR,
                RECOVERY_PASSWORD, HOLDS, ACTIVITY,
                REAUTH, REAUTH_SEND, REAUTH_VERIFY, SECURITY, PASSWORD, TOTP, TOTP_REMOVE, TOTP_CONFIRM,
                ANTI_PHISHING, RECOVERY_CODES, PHONE, PHONE_RESEND, PHONE_VERIFY, EMAIL, EMAIL_RESEND,
                EMAIL_VERIFY, OPERATOR_HOLDS, DIAGNOSIS, HEALTH, READY, DOCUMENT,
                PASSKEY_OPTIONS, PASSKEYS, PASSKEY_ADD, PASSKEY_RENAME, PASSKEY_REMOVE,
                PASSKEY_SIGN_IN_OPTIONS, PASSKEY_SIGN_IN,
                UNAVAILABLE_SEND, UNAVAILABLE, CASE_OPEN, CASE_LIST, CASE_VERIFY, CASE, CASE_MESSAGES,
                CASE_DOCUMENTS, CASE_SUBMIT}
    # The support desk's operations, whose tests (test_staff_contract) name them the same way.
    expected |= {("POST", "/api/v1/staff/enrollment/{token}"), ("POST", "/api/v1/staff/enrollment/{token}/confirm"),
                 ("POST", "/api/v1/staff/sessions"), ("DELETE", "/api/v1/staff/sessions/current"),
                 ("GET", "/api/v1/staff/cases"), ("GET", "/api/v1/staff/cases/{id}"),
                 ("GET", "/api/v1/staff/cases/{id}/documents/{documentId}"), ("POST", "/api/v1/staff/cases/{id}/actions"),
                 ("GET", "/api/v1/staff/actions"), ("POST", "/api/v1/staff/actions/{id}/approve"),
                 ("GET", "/api/v1/admin/cases"), ("GET", "/api/v1/admin/cases/{id}"),
                 ("POST", "/api/v1/support/cases/{id}/confirm-contact"),
                 ("POST", "/api/v1/support/cases/{id}/confirm-contact/send-code")}
    # Restrictions and freezes, whose tests (test_restriction_contract) name them the same way.
    expected |= {("POST", "/api/v1/account/freeze"), ("POST", "/api/v1/admin/accounts/{id}/restriction"),
                 ("DELETE", "/api/v1/admin/accounts/{id}/restriction")}
    # New-device approval (test_device_approval_contract).
    expected |= {APPROVE_DEVICE}
    # "Can't sign in?" (test_sign_in_help_contract).
    expected |= {HELP_START, HELP_RESEND, HELP_VERIFY}
    assert {(method, template) for method, template, _ in contract.operations()} == expected


def _examples(node, pointer: str):
    """Every (schema pointer, example) of the document: `examples` lists of schemas, and `examples`
    maps of media types (their `value`, against the media type's `schema`)."""
    if isinstance(node, dict):
        examples = node.get("examples")
        if isinstance(examples, list) and pointer.split("/")[-2:-1] != ["content"]:
            for example in examples:
                yield pointer, example
        elif isinstance(examples, dict) and "schema" in node:
            for example in examples.values():
                yield pointer + "/schema", example["value"]
        for key, value in node.items():
            if key != "examples":
                yield from _examples(value, f"{pointer}/{escape(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _examples(value, f"{pointer}/{index}")


def test_document_examples_match_their_schemas(contract):
    checked = 0
    for pointer, example in _examples(contract.document, ""):
        errors = contract.schema_errors(pointer, example)
        assert not errors, f"the example at {pointer} does not match its schema: {example!r}: {errors}"
        checked += 1
    assert checked >= 20, f"only {checked} examples found"


def test_served_document_is_the_one_in_the_sources(served_document):
    assert served_document.body == SOURCE_DOCUMENT.read_bytes(), (
        "the server serves an older openapi.yaml than Sources/KeywardServer/Resources/openapi.yaml: "
        "rebuild with `swift build --product keyward`")


# ---------------------------------------------------------------------------------------------
# System endpoints.
# ---------------------------------------------------------------------------------------------

def test_health_and_readiness(server, contract):
    assert contract.check(HEALTH, server.request("GET", "/healthz"), expect=200) == {"status": "ok"}
    assert contract.check(READY, server.request("GET", "/readyz"), expect=200) == {"status": "ready"}


# ---------------------------------------------------------------------------------------------
# Registration.
# ---------------------------------------------------------------------------------------------

def test_registration_resend_and_verify(server, contract):
    email = unique_email("alice")
    started = start_registration(server, contract, email)
    assert started["channel"] == "email" and started["status"] == "pending_verification"
    registration_id = started["registrationId"]
    assert started["flowId"] == registration_id, started

    # Within the resend interval a resend is refused with 429; registering again with the same
    # password goes back to the same registration without a new code, with another it is refused.
    _, reply = resend(server, contract, registration_id, expect=429, expect_code="code.resend_too_soon")
    problem = reply.json()
    assert parse_time(problem["resendAvailableAt"]) == parse_time(started["resendAvailableAt"])
    first_code = server.newest_code(email)
    again = server.request("POST", "/api/v1/registrations", json_body={"identifier": email, "password": STRONG_PASSWORD})
    resumed = contract.check(REGISTRATIONS, again, expect=200)
    assert resumed["registrationId"] == registration_id and resumed["codeAlreadySent"] is True
    assert parse_time(resumed["resendAvailableAt"]) == parse_time(started["resendAvailableAt"])
    assert started["codeAlreadySent"] is False
    other = server.request("POST", "/api/v1/registrations", json_body={"identifier": email, "password": STRONG_PASSWORD + "x"})
    contract.check(REGISTRATIONS, other, expect=429, code="code.resend_too_soon")

    wait_until(parse_time(started["resendAvailableAt"]))
    resent, _ = resend(server, contract, registration_id, expect=202)
    assert resent["registrationId"] == registration_id
    second_code = server.newest_code(email, exclude=(first_code,))

    # The superseded code and a wrong code are both wrong; the newest one works.
    if first_code != second_code:
        problem = verify(server, contract, registration_id, first_code, expect=422, expect_code="code.invalid")
        assert problem["attemptsRemaining"] >= 1
    verified = verify(server, contract, registration_id, second_code, device_name="Contract test")
    assert verified["status"] == "active"
    token = verified["session"]["token"]
    current = contract.check(SESSION, server.request("GET", "/api/v1/session", token=token), expect=200)
    assert current["accountId"] == verified["accountId"]
    assert current["identifiers"] == [{"kind": "email", "value": email, "verified": True}]

    # Afterwards the registration is complete and the identifier is taken.
    verify(server, contract, registration_id, second_code, expect=409, expect_code="registration.completed")
    resend(server, contract, registration_id, expect=409, expect_code="registration.completed")
    taken = server.request("POST", "/api/v1/registrations", json_body={"identifier": email.upper(), "password": STRONG_PASSWORD})
    contract.check(REGISTRATIONS, taken, expect=409, code="identifier.taken")


def test_older_resend_paths_answer_as_send_code(server, contract):
    """`…/resend` is the older name of `…/send-code` in registrations, recoveries and contact
    changes: the same answers, the same limits, the same flow."""
    email = unique_email("alias")
    started = start_registration(server, contract, email)
    for operation in (RESEND, RESEND_ALIAS):
        problem = call(server, contract, operation, started["flowId"], expect=429, expect_code="code.resend_too_soon")
        assert parse_time(problem["resendAvailableAt"]) == parse_time(started["resendAvailableAt"])
        call(server, contract, operation, UNKNOWN_ID, expect=404, expect_code="registration.not_found")
    wait_until(parse_time(started["resendAvailableAt"]))
    seen = server.codes(email)
    resent = call(server, contract, RESEND_ALIAS, started["flowId"], expect=202)
    assert (resent["flowId"], resent["registrationId"]) == (started["flowId"], started["flowId"])
    verify(server, contract, started["flowId"], server.newest_code(email, exclude=seen))

    recovery = in_time(lambda: start_recovery(server, contract, email, expect=None))
    for operation in (RECOVERY_RESEND, RECOVERY_RESEND_ALIAS):
        call(server, contract, operation, recovery["flowId"], expect=429, expect_code="code.resend_too_soon")
        call(server, contract, operation, UNKNOWN_ID, expect=404, expect_code="recovery.not_found")
    wait_until(parse_time(recovery["resendAvailableAt"]))
    assert call(server, contract, RECOVERY_RESEND_ALIAS, recovery["flowId"], expect=202)["flowId"] == recovery["flowId"]

    account = signed_in_account(server, contract, "aliasing")
    for kind, aliased in (("phone", PHONE_RESEND_ALIAS), ("email", EMAIL_RESEND_ALIAS)):
        value = unique_phone() if kind == "phone" else unique_email("aliased")
        change = start_change(server, contract, kind, value, account.token)
        for operation in (CHANGE_RESEND[kind], aliased):
            call(server, contract, operation, change["flowId"], token=account.token, expect=429,
                 expect_code="code.resend_too_soon")
            call(server, contract, operation, UNKNOWN_ID, token=account.token, expect=404, expect_code="flow.not_found")
        wait_until(parse_time(change["resendAvailableAt"]))
        assert set(call(server, contract, aliased, change["flowId"], token=account.token, expect=202)) == {"resendAvailableAt"}


def test_phone_registration_and_unfinished_account(server, contract):
    phone = unique_phone()
    started = start_registration(server, contract, f"{phone[:3]} {phone[3:7]} {phone[7:]}")
    assert started["channel"] == "sms"
    login(server, contract, phone, expect=409, expect_code="account.registration_incomplete")


def test_wrong_codes_exhaust_the_code_until_a_new_one_is_sent(server, contract):
    email = unique_email("carol")
    started = start_registration(server, contract, email)
    registration_id = started["registrationId"]
    code = server.newest_code(email)
    wrong = wrong_code(code)

    problem = verify(server, contract, registration_id, "12ab", expect=422, expect_code="code.invalid")
    maximum = problem["attemptsRemaining"]
    for remaining in range(maximum - 1, 0, -1):
        problem = verify(server, contract, registration_id, wrong, expect=422, expect_code="code.invalid")
        assert problem["attemptsRemaining"] == remaining
    verify(server, contract, registration_id, wrong, expect=410, expect_code="code.exhausted")
    verify(server, contract, registration_id, code, expect=410, expect_code="code.exhausted")

    wait_until(parse_time(started["resendAvailableAt"]))
    resend(server, contract, registration_id, expect=202)
    new_code = server.newest_code(email, exclude=(code,))
    verify(server, contract, registration_id, new_code, expect=200)


def test_a_newer_registration_that_is_verified_ends_the_older_one(server, contract):
    email = unique_email("dave")
    older = start_registration(server, contract, email)
    older_code = server.newest_code(email)
    wait_until(parse_time(older["resendAvailableAt"]))
    newer = start_registration(server, contract, email, "Another-Lantern-58")
    assert newer["registrationId"] != older["registrationId"]
    verify(server, contract, newer["registrationId"], server.newest_code(email, exclude=(older_code,)))

    verify(server, contract, older["registrationId"], older_code, expect=410, expect_code="registration.expired")
    resend(server, contract, older["registrationId"], expect=410, expect_code="registration.expired")
    # The password of the verified registration is the account's.
    login(server, contract, email, "Another-Lantern-58", expect=200)
    login(server, contract, email, STRONG_PASSWORD, expect=401, expect_code="credentials.invalid")


def test_registration_input_errors(server, contract):
    def post(path, **kwargs):
        return server.request("POST", path, **kwargs)

    contract.check(REGISTRATIONS, post("/api/v1/registrations", json_body={"identifier": "alice", "password": STRONG_PASSWORD}),
                   expect=422, code="identifier.invalid")
    problem = contract.check(REGISTRATIONS, post("/api/v1/registrations", json_body={"identifier": "bob@example.com", "password": "bob"}),
                             expect=422, code="password.invalid")
    assert {"password.too_short", "password.needs_uppercase", "password.needs_digit",
            "password.contains_identifier"} <= {violation["code"] for violation in problem["violations"]}

    missing = {"identifier": "erin@example.com"}
    contract.assert_request_invalid(REGISTRATIONS, missing)
    problem = contract.check(REGISTRATIONS, post("/api/v1/registrations", json_body=missing),
                             expect=400, code="request.invalid_field")
    assert problem["field"] == "password"
    mistyped = {"identifier": "erin@example.com", "password": 12345678}
    contract.assert_request_invalid(REGISTRATIONS, mistyped)
    problem = contract.check(REGISTRATIONS, post("/api/v1/registrations", json_body=mistyped),
                             expect=400, code="request.invalid_field")
    assert problem["field"] == "password"
    contract.check(REGISTRATIONS, post("/api/v1/registrations", body=b'{"identifier": ',
                                       headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")

    unknown = "00000000-0000-4000-8000-000000000000"
    verify(server, contract, unknown, "123456", expect=404, expect_code="registration.not_found")
    resend(server, contract, unknown, expect=404, expect_code="registration.not_found")
    contract.check(VERIFY, post(f"/api/v1/registrations/{unknown}/verify", json_body={"deviceName": "x"}),
                   expect=400, code="request.invalid_field")


UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def session_token(server, contract) -> str:
    """The registration session of an account of the main server (not freshly re-authenticated)."""
    return register(server, contract, unique_email("sam"))["session"]["token"]


# Every operation that takes a JSON body, with a path that reaches it and whether it needs a session.
BODY_OPERATIONS = [
    (REGISTRATIONS, "/api/v1/registrations", False),
    (VERIFY, f"/api/v1/registrations/{UNKNOWN_ID}/verify", False),
    (LOGIN, "/api/v1/login", False),
    (LOGIN_SEND, f"/api/v1/login/{UNKNOWN_ID}/send-code", False),
    (LOGIN_VERIFY, f"/api/v1/login/{UNKNOWN_ID}/verify", False),
    (RECOVERY, "/api/v1/recovery", False),
    (RECOVERY_VERIFY, f"/api/v1/recovery/{UNKNOWN_ID}/verify", False),
    (RECOVERY_SEND, f"/api/v1/recovery/{UNKNOWN_ID}/second-factor/send-code", False),
    (RECOVERY_SECOND_FACTOR, f"/api/v1/recovery/{UNKNOWN_ID}/second-factor", False),
    (RECOVERY_PASSWORD, f"/api/v1/recovery/{UNKNOWN_ID}/password", False),
    (REAUTH, "/api/v1/account/reauth", True),
    (REAUTH_SEND, f"/api/v1/account/reauth/{UNKNOWN_ID}/send-code", True),
    (REAUTH_VERIFY, f"/api/v1/account/reauth/{UNKNOWN_ID}/verify", True),
    (PASSWORD, "/api/v1/account/password", True),
    (TOTP_CONFIRM, "/api/v1/account/totp/confirm", True),
    (ANTI_PHISHING, "/api/v1/account/anti-phishing-code", True),
    (PHONE, "/api/v1/account/phone", True),
    (PHONE_VERIFY, f"/api/v1/account/phone/{UNKNOWN_ID}/verify", True),
    (EMAIL, "/api/v1/account/email", True),
    (EMAIL_VERIFY, f"/api/v1/account/email/{UNKNOWN_ID}/verify", True),
    (PASSKEY_ADD, "/api/v1/account/passkeys", True),
    (PASSKEY_RENAME, f"/api/v1/account/passkeys/{UNKNOWN_ID}", True),
    (PASSKEY_SIGN_IN, "/api/v1/login/passkey", False),
    (APPROVE_DEVICE, f"/api/v1/login/{UNKNOWN_ID}/approve-device", False),
    (HELP_START, "/api/v1/help/sign-in", False),
    (HELP_VERIFY, f"/api/v1/help/sign-in/{UNKNOWN_ID}/verify", False),
]


@pytest.mark.parametrize("operation, path, signed_in", BODY_OPERATIONS)
def test_a_body_over_the_limit_is_refused(server, contract, request, operation, path, signed_in):
    token = request.getfixturevalue("session_token") if signed_in else None
    body = ('{"identifier": "big@example.com", "code": "1", "password": "' + "x" * BODY_LIMIT + '"}').encode()
    reply = server.request(operation[0], path, body=body, headers={"Content-Type": "application/json"}, token=token)
    problem = contract.check(operation, reply, expect=413, code="request.too_large")
    assert problem["limitBytes"] == BODY_LIMIT


@pytest.mark.parametrize("operation, path, signed_in", BODY_OPERATIONS)
def test_a_body_not_sent_as_json_is_refused(server, contract, request, operation, path, signed_in):
    # A page on another site can post text/plain or a form from a visitor's browser without asking.
    token = request.getfixturevalue("session_token") if signed_in else None
    body = b'{"identifier": "text@example.com", "code": "1", "password": "Tr4velling-Lynx"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        reply = server.request(operation[0], path, body=body, headers={"Content-Type": content_type}, token=token)
        contract.check(operation, reply, expect=415, code="request.unsupported_media_type")


def diagnose(server, contract, identifier, key: str | None, *, expect=200, expect_code=None, body_valid=True):
    body = {"identifier": identifier} if identifier is not None else {}
    return call(server, contract, DIAGNOSIS, body=body, token=key, body_valid=body_valid,
                expect=expect, expect_code=expect_code)


def test_a_diagnosis_not_sent_as_json_is_refused(server, contract, operator_key):
    reply = server.request("POST", "/api/v1/admin/sign-in-diagnosis", body=b'{"identifier": "a@example.com"}',
                           headers={"Content-Type": "text/plain"}, token=operator_key)
    contract.check(DIAGNOSIS, reply, expect=415, code="request.unsupported_media_type")


def test_support_learns_why_someone_cannot_sign_in(server, contract, operator_key):
    email = unique_email("stuck")
    account_id = register(server, contract, email)["accountId"]
    for _ in range(2):
        login(server, contract, email, "Wrong-Lantern-99", expect=401, expect_code="credentials.invalid")
    found = diagnose(server, contract, email.upper(), operator_key)
    assert (found["account"], found["accountId"], found["identifier"]) == ("active", account_id, email)
    assert [finding["code"] for finding in found["findings"]] == ["failures.recent"], found["findings"]
    assert found["counters"][0]["failedCount"] == 2
    assert any(message["state"] == "sent" for message in found["messages"]), found["messages"]

    nobody = diagnose(server, contract, unique_email("nobody"), operator_key)
    assert nobody["account"] == "none" and "accountId" not in nobody
    assert [finding["code"] for finding in nobody["findings"]] == ["account.not_found"]

    diagnose(server, contract, email, None, expect=401, expect_code="operator.unauthorized")
    diagnose(server, contract, email, "not-the-operator-key", expect=401, expect_code="operator.unauthorized")
    diagnose(server, contract, "not an identifier", operator_key, expect=422, expect_code="identifier.invalid")
    problem = diagnose(server, contract, None, operator_key, body_valid=False, expect=400, expect_code="request.invalid_field")
    assert problem["field"] == "identifier"
    body = ('{"identifier": "' + "x" * BODY_LIMIT + '"}').encode()
    reply = server.request("POST", "/api/v1/admin/sign-in-diagnosis", body=body, token=operator_key,
                           headers={"Content-Type": "application/json"})
    contract.check(DIAGNOSIS, reply, expect=413, code="request.too_large")


# ---------------------------------------------------------------------------------------------
# Sign-in and sessions.
# ---------------------------------------------------------------------------------------------

def test_login_answers(server, contract):
    email = unique_email("frank")
    register(server, contract, email)
    challenge = login(server, contract, email.upper(), device_name="Laptop")
    assert challenge["status"] == "second_factor_required"
    assert challenge["methods"] == ["email_code"]
    assert challenge["destinations"] == {"email_code": masked_email(email)}
    assert parse_time(challenge["expiresAt"]) > datetime.now(timezone.utc) + timedelta(minutes=9)
    assert login(server, contract, email, device_name=None)["flowId"] != challenge["flowId"]
    contract.assert_request_valid(LOGIN, {"identifier": email, "password": STRONG_PASSWORD, "deviceName": None})
    contract.check(LOGIN, server.request("POST", "/api/v1/login",
                                         json_body={"identifier": email, "password": STRONG_PASSWORD, "deviceName": None}),
                   expect=200)
    for device_id in ("5f0c2a8e-app-install-7731", "short", None):
        body = {"identifier": email, "password": STRONG_PASSWORD, "deviceName": "Phone", "deviceId": device_id}
        contract.assert_request_valid(LOGIN, body)
        contract.check(LOGIN, server.request("POST", "/api/v1/login", json_body=body), expect=200)

    login(server, contract, email, "Wrong-Lantern-99", expect=401, expect_code="credentials.invalid")
    login(server, contract, unique_email("nobody"), expect=404, expect_code="account.not_found")
    login(server, contract, "not an identifier", expect=422, expect_code="identifier.invalid")

    for body, field in [({"password": STRONG_PASSWORD}, "identifier"),
                        ({"identifier": email, "password": STRONG_PASSWORD, "deviceName": 7}, "deviceName"),
                        ({"identifier": email, "password": STRONG_PASSWORD, "deviceId": ["x"]}, "deviceId"),
                        ({"identifier": None, "password": STRONG_PASSWORD}, "identifier")]:
        contract.assert_request_invalid(LOGIN, body)
        problem = contract.check(LOGIN, server.request("POST", "/api/v1/login", json_body=body),
                                 expect=400, code="request.invalid_field")
        assert problem["field"] == field
    contract.check(LOGIN, server.request("POST", "/api/v1/login", body=b"{not json}",
                                         headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")


def test_sign_in_second_step_with_a_code(server, contract):
    email = unique_email("gina")
    register(server, contract, email)
    registration_codes = server.codes(email)
    challenge = login(server, contract, email, device_name="Laptop")
    flow_id = challenge["flowId"]

    # No code is sent until asked for.
    status = call(server, contract, LOGIN_FLOW, flow_id, expect=200)
    assert status["methods"] == ["email_code"] and status["codes"]["email_code"]["sent"] is False
    assert "delivery" not in status["codes"]["email_code"]
    login_verify(server, contract, flow_id, "email_code", "123456", expect=409, expect_code="second_factor.code_not_sent")
    send_code(server, contract, LOGIN_SEND, flow_id, "sms", expect=422, expect_code="second_factor.method_unavailable")
    # The resend interval is per destination: the registration code may still hold this one back.
    sent = in_time(lambda: send_code(server, contract, LOGIN_SEND, flow_id, "email", expect=None))
    again = send_code(server, contract, LOGIN_SEND, flow_id, "email", expect=429, expect_code="code.resend_too_soon")
    assert again["retryAfter"] >= 1
    assert parse_time(again["resendAvailableAt"]) == parse_time(sent["resendAvailableAt"])
    code = server.newest_code(email, exclude=registration_codes)
    message = server.messages(email)[0]
    assert message["code"] == code and code in message["body"]
    # The code reached the mailbox; a moment later the outbox records it `sent`.
    deadline = time.monotonic() + 5
    while True:
        codes = call(server, contract, LOGIN_FLOW, flow_id, expect=200)["codes"]
        delivery = codes["email_code"]["delivery"]
        if delivery["state"] == "sent" or time.monotonic() > deadline:
            break
        assert delivery["state"] == "queued", codes
        time.sleep(0.05)
    assert codes["email_code"]["sent"] is True and delivery["state"] == "sent", codes
    assert parse_time(delivery["queuedAt"]) <= parse_time(delivery["sentAt"])
    assert codes["email_code"]["resendAvailableAt"] == sent["resendAvailableAt"]

    login_verify(server, contract, flow_id, "carrier_pigeon", code, body_valid=False,
                 expect=422, expect_code="second_factor.method_invalid")
    login_verify(server, contract, flow_id, "totp", code, expect=422, expect_code="second_factor.method_unavailable")
    login_verify(server, contract, flow_id, "sms_code", code, expect=422, expect_code="second_factor.method_unavailable")
    problem = login_verify(server, contract, flow_id, "email_code", wrong_code(code), expect=422, expect_code="code.invalid")
    assert problem["attemptsRemaining"] == 4
    signed_in = login_verify(server, contract, flow_id, "email_code", f"{code[:3]} {code[3:]}")
    assert signed_in["status"] == "authenticated"
    token = signed_in["session"]["token"]
    current = contract.check(SESSION, server.request("GET", "/api/v1/session", token=token), expect=200)
    assert (current["accountId"], current["sessionId"]) == (signed_in["accountId"], signed_in["session"]["id"])
    listing = contract.check(SESSIONS, server.request("GET", "/api/v1/sessions", token=token), expect=200)
    assert [session["device"] for session in listing["sessions"] if session["current"]] == ["Laptop"]

    # A sign-in with both steps counts as a fresh re-authentication.
    security = contract.check(SECURITY, server.request("GET", "/api/v1/account/security", token=token), expect=200)
    until = parse_time(security["reauthenticatedUntil"])
    assert timedelta(minutes=4) < until - datetime.now(timezone.utc) <= timedelta(minutes=5, seconds=1)
    kinds = activity_kinds(server, contract, token)
    assert kinds[:2] == ["session.created", "login.succeeded"], kinds
    assert {"second_factor.required", "second_factor.failed", "code.sent"} <= set(kinds), kinds

    # The flow is finished.
    call(server, contract, LOGIN_FLOW, flow_id, expect=409, expect_code="flow.completed")
    login_verify(server, contract, flow_id, "email_code", code, expect=409, expect_code="flow.completed")
    send_code(server, contract, LOGIN_SEND, flow_id, "email", expect=409, expect_code="flow.completed")


def test_sign_in_second_step_errors(server, contract):
    registration = start_registration(server, contract, unique_email("hank"))["registrationId"]
    for flow_id in (UNKNOWN_ID, registration, "not-a-flow"):
        call(server, contract, LOGIN_FLOW, flow_id, expect=404, expect_code="flow.not_found")
        send_code(server, contract, LOGIN_SEND, flow_id, "email", expect=404, expect_code="flow.not_found")
        login_verify(server, contract, flow_id, "email_code", "123456", expect=404, expect_code="flow.not_found")

    for body in ({}, {"channel": 5}, {"channel": None}):
        problem = call(server, contract, LOGIN_SEND, UNKNOWN_ID, body=body, body_valid=False,
                       expect=400, expect_code="request.invalid_field")
        assert problem["field"] == "channel"
    for body, field in [({"code": "123456"}, "method"), ({"method": "totp"}, "code"),
                        ({"method": "totp", "code": 123456}, "code"), ({"method": None, "code": "1"}, "method")]:
        problem = call(server, contract, LOGIN_VERIFY, UNKNOWN_ID, body=body, body_valid=False,
                       expect=400, expect_code="request.invalid_field")
        assert problem["field"] == field
    for operation in (LOGIN_SEND, LOGIN_VERIFY):
        reply = server.request("POST", path_of(operation, UNKNOWN_ID), body=b"{",
                               headers={"Content-Type": "application/json"})
        contract.check(operation, reply, expect=400, code="request.malformed")

    # A channel the flow does not know is refused as a field of the request.
    email = unique_email("ivy")
    register(server, contract, email)
    flow_id = login(server, contract, email)["flowId"]
    problem = call(server, contract, LOGIN_SEND, flow_id, body={"channel": "pigeon"}, body_valid=False,
                   expect=400, expect_code="request.invalid_field")
    assert problem["field"] == "channel"


def test_session_list_revocation_and_logout(server, contract):
    email = unique_email("grace")
    first = register(server, contract, email)["session"]
    second = sign_in(server, contract, email, device_name="Phone")["session"]
    third = sign_in(server, contract, email, device_name="Tablet")["session"]

    listing = contract.check(SESSIONS, server.request("GET", "/api/v1/sessions", token=first["token"]), expect=200)
    by_id = {session["id"]: session for session in listing["sessions"]}
    assert set(by_id) == {first["id"], second["id"], third["id"]}
    assert [session["id"] for session in listing["sessions"] if session["current"]] == [first["id"]]
    assert by_id[second["id"]]["device"] == "Phone"

    reply = server.request("DELETE", f"/api/v1/sessions/{second['id']}", token=first["token"])
    contract.check(REVOKE, reply, expect=204)
    reply = server.request("DELETE", f"/api/v1/sessions/{second['id']}", token=first["token"])
    contract.check(REVOKE, reply, expect=404, code="session.not_found")
    contract.check(SESSION, server.request("GET", "/api/v1/session", token=second["token"]),
                   expect=401, code="session.required")

    revoked = contract.check(REVOKE_OTHERS, server.request("DELETE", "/api/v1/sessions", token=first["token"]), expect=200)
    assert revoked == {"revoked": 1}
    contract.check(SESSION, server.request("GET", "/api/v1/session", token=third["token"]),
                   expect=401, code="session.required")

    contract.check(LOGOUT, server.request("POST", "/api/v1/logout", token=first["token"]), expect=204)
    contract.check(SESSION, server.request("GET", "/api/v1/session", token=first["token"]),
                   expect=401, code="session.required")


@pytest.mark.parametrize("operation, path", [
    (SESSION, "/api/v1/session"),
    (LOGOUT, "/api/v1/logout"),
    (SESSIONS, "/api/v1/sessions"),
    (REVOKE_OTHERS, "/api/v1/sessions"),
    (REVOKE, "/api/v1/sessions/00000000-0000-4000-8000-000000000000"),
    (HOLDS, "/api/v1/account/holds"),
    (ACTIVITY, "/api/v1/account/activity"),
    (REAUTH, "/api/v1/account/reauth"),
    (REAUTH_SEND, f"/api/v1/account/reauth/{UNKNOWN_ID}/send-code"),
    (REAUTH_VERIFY, f"/api/v1/account/reauth/{UNKNOWN_ID}/verify"),
    (SECURITY, "/api/v1/account/security"),
    (PASSWORD, "/api/v1/account/password"),
    (TOTP, "/api/v1/account/totp"),
    (TOTP_REMOVE, "/api/v1/account/totp"),
    (TOTP_CONFIRM, "/api/v1/account/totp/confirm"),
    (ANTI_PHISHING, "/api/v1/account/anti-phishing-code"),
    (RECOVERY_CODES, "/api/v1/account/recovery-codes"),
    (PHONE, "/api/v1/account/phone"),
    (PHONE_RESEND, f"/api/v1/account/phone/{UNKNOWN_ID}/send-code"),
    (PHONE_RESEND_ALIAS, f"/api/v1/account/phone/{UNKNOWN_ID}/resend"),
    (PHONE_VERIFY, f"/api/v1/account/phone/{UNKNOWN_ID}/verify"),
    (EMAIL, "/api/v1/account/email"),
    (EMAIL_RESEND, f"/api/v1/account/email/{UNKNOWN_ID}/send-code"),
    (EMAIL_RESEND_ALIAS, f"/api/v1/account/email/{UNKNOWN_ID}/resend"),
    (EMAIL_VERIFY, f"/api/v1/account/email/{UNKNOWN_ID}/verify"),
    (PASSKEY_OPTIONS, "/api/v1/account/passkeys/options"),
    (PASSKEYS, "/api/v1/account/passkeys"),
    (PASSKEY_ADD, "/api/v1/account/passkeys"),
    (PASSKEY_RENAME, f"/api/v1/account/passkeys/{UNKNOWN_ID}"),
    (PASSKEY_REMOVE, f"/api/v1/account/passkeys/{UNKNOWN_ID}"),
])
@pytest.mark.parametrize("authorization", [None, "Bearer " + "A" * 43, "Bearer short", "Basic dXNlcjpwYXNz"])
def test_authenticated_operations_need_a_live_session(server, contract, operation, path, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    # A body the operation would accept: the session is checked before it is read.
    body = {"password": STRONG_PASSWORD, "channel": "email", "method": "totp", "code": "123456",
            "currentPassword": STRONG_PASSWORD, "newPassword": "Harbour-Violet-62", "phone": "+447700900123",
            "email": "x@example.com", "newCode": "123456"} if operation[0] in ("POST", "PUT") else None
    reply = server.request(operation[0], path, headers=headers, json_body=body)
    contract.check(operation, reply, expect=401, code="session.required")


def test_undescribed_routes_answer_route_not_found(server, contract):
    contract.check_unrouted(server.request("GET", "/api/v1/no-such-thing"))
    contract.check_unrouted(server.request("PUT", "/api/v1/login", json_body={}))
    contract.check_unrouted(server.request("GET", "/api/v1/login"))
    contract.check_unrouted(server.request("POST", "/api/v1/registrations//verify", json_body={"code": "1"}))
    contract.check_unrouted(server.request("GET", "/api/v1/recovery"))
    contract.check_unrouted(server.request("POST", "/api/v1/recovery//password", json_body={"newPassword": "x"}))
    contract.check_unrouted(server.request("GET", f"/api/v1/recovery/{UNKNOWN_ID}/second-factor"))
    contract.check_unrouted(server.request("POST", f"/api/v1/recovery/{UNKNOWN_ID}/second-factor/verify",
                                           json_body={"method": "totp", "code": "123456"}))
    contract.check_unrouted(server.request("GET", "/api/v1/admin/accounts//holds"))
    contract.check_unrouted(server.request("GET", "/api/v1/admin/accounts"))
    contract.check_unrouted(server.request("GET", f"/api/v1/login/{UNKNOWN_ID}/verify"))
    contract.check_unrouted(server.request("POST", "/api/v1/login//send-code", json_body={"channel": "email"}))
    contract.check_unrouted(server.request("PUT", "/api/v1/account/security", json_body={}))
    contract.check_unrouted(server.request("GET", "/api/v1/account/totp"))
    contract.check_unrouted(server.request("POST", "/api/v1/account/address", json_body={"address": "x"}))
    contract.check_unrouted(server.request("POST", f"/api/v1/account/phone/{UNKNOWN_ID}/confirm", json_body={}))
    contract.check_unrouted(server.request("GET", f"/api/v1/account/passkeys/{UNKNOWN_ID}"))
    contract.check_unrouted(server.request("PUT", "/api/v1/account/passkeys", json_body={}))
    contract.check_unrouted(server.request("GET", "/api/v1/login/passkey/options"))
    contract.check_unrouted(server.request("GET", "/api/v1/login/passkey"))


# ---------------------------------------------------------------------------------------------
# Lockout, recovery, holds and activity.
# ---------------------------------------------------------------------------------------------

NEW_PASSWORD = "Harbour-Violet-62"


def test_lockout_then_recovery_lifts_the_lock_and_places_a_hold(server, contract, operator_key):
    email = unique_email("heidi")
    started = start_registration(server, contract, email)
    registration_code = server.newest_code(email)
    first = verify(server, contract, started["registrationId"], registration_code, device_name="Laptop")
    account_id, first_token = first["accountId"], first["session"]["token"]
    second_token = sign_in(server, contract, email, device_name="Phone")["session"]["token"]
    waiting = login(server, contract, email)["flowId"]

    # lockout.maxFailures (5) wrong passwords: the fifth places the lock and is answered 423.
    for _ in range(4):
        reply = server.request("POST", "/api/v1/login", json_body={"identifier": email, "password": "Wrong-Lantern-99"})
        contract.check(LOGIN, reply, expect=401, code="credentials.invalid")
        assert reply.headers["www-authenticate"] == 'Bearer realm="keyward"'
    locked_reply = server.request("POST", "/api/v1/login", json_body={"identifier": email, "password": "Wrong-Lantern-99"})
    locked = contract.check(LOGIN, locked_reply, expect=423, code="account.locked")
    assert 7000 <= locked["retryAfter"] <= 7200 and int(locked_reply.headers["retry-after"]) == locked["retryAfter"]
    # Even the right password is refused during the lock, which it extends.
    again = login(server, contract, email, expect=423, expect_code="account.locked")
    assert parse_time(again["lockedUntil"]) >= parse_time(locked["lockedUntil"])
    # A sign-in that had passed its password before the lock is over too.
    call(server, contract, LOGIN_FLOW, waiting, expect=423, expect_code="account.locked")

    activity = contract.check(ACTIVITY, server.request("GET", "/api/v1/account/activity", token=first_token), expect=200)
    kinds = [event["kind"] for event in activity["events"]]
    assert {"lock.placed", "lock.extended", "login.failed"} <= set(kinds), kinds
    assert kinds.index("lock.extended") < kinds.index("lock.placed"), "events are not newest first"
    reasons = {event["details"].get("reason") for event in activity["events"] if event["kind"] == "login.failed"}
    assert {"credentials.invalid", "account.locked"} <= reasons, reasons
    assert all(event.get("ip") == "127.0.0.1" for event in activity["events"])
    assert contract.check(HOLDS, server.request("GET", "/api/v1/account/holds", token=first_token), expect=200) == {"holds": []}

    # Recovery: a code to the registered email, once the sign-in code's interval has passed.
    sign_in_codes = server.codes(email)
    recovery = in_time(lambda: start_recovery(server, contract, email.upper(), expect=None))
    assert recovery["channel"] == "email"
    flow_id = recovery["flowId"]
    problem = recovery_resend(server, contract, flow_id, expect=429, expect_code="code.resend_too_soon")
    assert parse_time(problem["resendAvailableAt"]) == parse_time(recovery["resendAvailableAt"])
    start_recovery(server, contract, email, expect=429, expect_code="code.resend_too_soon")
    recovery_password(server, contract, flow_id, NEW_PASSWORD, expect=409, expect_code="recovery.not_verified")

    first_code = server.newest_code(email, exclude=sign_in_codes)
    problem = recovery_verify(server, contract, flow_id, wrong_code(first_code), expect=422, expect_code="code.invalid")
    assert problem["attemptsRemaining"] >= 1
    recovery_verify(server, contract, flow_id, "12ab", expect=422, expect_code="code.invalid")

    wait_until(parse_time(recovery["resendAvailableAt"]))
    resent = recovery_resend(server, contract, flow_id)
    assert resent["flowId"] == flow_id and resent["channel"] == "email"
    second_code = server.newest_code(email, exclude=(*sign_in_codes, first_code))
    if second_code != first_code:
        recovery_verify(server, contract, flow_id, first_code, expect=422, expect_code="code.invalid")
    # The account has no factor beyond the email address the code went to: no second factor is due.
    verified = recovery_verify(server, contract, flow_id, "-".join([second_code[:3], second_code[3:]]))
    assert verified == {"flowId": flow_id, "status": "verified"}
    recovery_verify(server, contract, flow_id, second_code, expect=409, expect_code="recovery.already_verified")
    recovery_resend(server, contract, flow_id, expect=409, expect_code="recovery.already_verified")
    recovery_send_code(server, contract, flow_id, "email", expect=409, expect_code="recovery.already_verified")
    recovery_second_factor(server, contract, flow_id, "email_code", second_code, expect=409,
                           expect_code="recovery.already_verified")

    problem = recovery_password(server, contract, flow_id, "bob", expect=422, expect_code="password.invalid")
    assert "password.too_short" in {violation["code"] for violation in problem["violations"]}
    recovery_password(server, contract, flow_id, STRONG_PASSWORD, expect=422, expect_code="password.reused")
    done = recovery_password(server, contract, flow_id, NEW_PASSWORD)
    assert done["status"] == "completed" and done["sessionsRevoked"] == 2
    [hold] = done["holds"]
    assert (hold["kind"], hold["reason"]) == ("withdrawal", "password.reset")
    assert (parse_time(hold["until"]) - parse_time(hold["placedAt"])).total_seconds() == 86400

    recovery_password(server, contract, flow_id, "Another-Violet-63", expect=409, expect_code="recovery.completed")
    recovery_verify(server, contract, flow_id, second_code, expect=409, expect_code="recovery.completed")
    recovery_resend(server, contract, flow_id, expect=409, expect_code="recovery.completed")

    # Every session was revoked; the lock is lifted; the new password works and the old one not.
    for token in (first_token, second_token):
        contract.check(HOLDS, server.request("GET", "/api/v1/account/holds", token=token), expect=401, code="session.required")
    login(server, contract, email, expect=401, expect_code="credentials.invalid")
    reply = server.request("POST", "/api/v1/login", json_body={"identifier": email, "password": NEW_PASSWORD},
                           headers={"User-Agent": "contract-tests/1.0"})
    token = second_step(server, contract, contract.check(LOGIN, reply, expect=200), email)["session"]["token"]

    holds = contract.check(HOLDS, server.request("GET", "/api/v1/account/holds", token=token), expect=200)
    assert holds == {"holds": done["holds"]}
    activity = contract.check(ACTIVITY, server.request("GET", "/api/v1/account/activity", token=token), expect=200)
    kinds = [event["kind"] for event in activity["events"]]
    assert {"recovery.started", "recovery.verified", "recovery.finished", "hold.placed", "lock.lifted",
            "code.failed", "login.succeeded"} <= set(kinds), kinds
    assert activity["events"][0]["kind"] in ("login.succeeded", "session.created")
    assert any(event.get("userAgent") == "contract-tests/1.0" for event in activity["events"])
    assert any("userAgent" not in event for event in activity["events"])

    # The operator's view of the same holds, for the withdrawal service.
    assert operator_holds(server, contract, account_id, f"Bearer {operator_key}") == {"holds": done["holds"]}
    other = register(server, contract, unique_email("ivan"))
    assert operator_holds(server, contract, other["accountId"], f"Bearer {operator_key}") == {"holds": []}
    operator_holds(server, contract, "00000000-0000-4000-8000-000000000000", f"Bearer {operator_key}",
                   expect=404, expect_code="account.not_found")
    for authorization in (None, "Bearer wrong-key", f"Basic {operator_key}", f"Bearer {token}", f"Bearer {operator_key}x"):
        reply = server.request("GET", f"/api/v1/admin/accounts/{account_id}/holds",
                               headers={"Authorization": authorization} if authorization else {})
        contract.check(OPERATOR_HOLDS, reply, expect=401, code="operator.unauthorized")
    # The operator key is not a session token.
    contract.check(HOLDS, server.request("GET", "/api/v1/account/holds", token=operator_key),
                   expect=401, code="session.required")


def test_recovery_code_is_exhausted_by_wrong_entries_until_a_new_one_is_sent(server, contract):
    email = unique_email("judy")
    started = start_registration(server, contract, email)
    registration_code = server.newest_code(email)
    verify(server, contract, started["registrationId"], registration_code)
    wait_until(parse_time(started["resendAvailableAt"]))
    recovery = start_recovery(server, contract, email)
    flow_id = recovery["flowId"]
    code = server.newest_code(email, exclude=(registration_code,))
    wrong = wrong_code(code)

    problem = recovery_verify(server, contract, flow_id, wrong, expect=422, expect_code="code.invalid")
    for remaining in range(problem["attemptsRemaining"] - 1, 0, -1):
        problem = recovery_verify(server, contract, flow_id, wrong, expect=422, expect_code="code.invalid")
        assert problem["attemptsRemaining"] == remaining
    recovery_verify(server, contract, flow_id, wrong, expect=410, expect_code="code.exhausted")
    recovery_verify(server, contract, flow_id, code, expect=410, expect_code="code.exhausted")

    wait_until(parse_time(recovery["resendAvailableAt"]))
    recovery_resend(server, contract, flow_id)
    new_code = server.newest_code(email, exclude=(registration_code, code))
    recovery_verify(server, contract, flow_id, new_code)


def test_recovery_input_errors(server, contract):
    def post(path, **kwargs):
        return server.request("POST", path, **kwargs)

    start_recovery(server, contract, unique_email("nobody"), expect=404, expect_code="account.not_found")
    start_recovery(server, contract, "not an identifier", expect=422, expect_code="identifier.invalid")
    phone = f"+44 7700 8{time.time_ns() % 10**5:05d}"
    registration = start_registration(server, contract, phone)
    assert registration["channel"] == "sms"
    # The code limits are counted before the account is looked up, so probing is limited too.
    start_recovery(server, contract, phone, expect=429, expect_code="code.resend_too_soon")
    wait_until(parse_time(registration["resendAvailableAt"]))
    start_recovery(server, contract, phone, expect=409, expect_code="account.registration_incomplete")

    for body, field in [({}, "identifier"), ({"identifier": 5}, "identifier"), ({"identifier": None}, "identifier")]:
        contract.assert_request_invalid(RECOVERY, body)
        problem = contract.check(RECOVERY, post("/api/v1/recovery", json_body=body), expect=400, code="request.invalid_field")
        assert problem["field"] == field
    contract.check(RECOVERY, post("/api/v1/recovery", body=b'{"identifier": ', headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")

    unknown = "00000000-0000-4000-8000-000000000000"
    registration = start_registration(server, contract, unique_email("kim"))["registrationId"]
    for flow_id in (unknown, registration, "not-a-flow"):
        recovery_resend(server, contract, flow_id, expect=404, expect_code="recovery.not_found")
        recovery_verify(server, contract, flow_id, "123456", expect=404, expect_code="recovery.not_found")
        recovery_send_code(server, contract, flow_id, "sms", expect=404, expect_code="recovery.not_found")
        recovery_second_factor(server, contract, flow_id, "sms_code", "123456", expect=404,
                               expect_code="recovery.not_found")
        recovery_password(server, contract, flow_id, NEW_PASSWORD, expect=404, expect_code="recovery.not_found")
    # An unknown method is refused before the recovery is looked up.
    recovery_second_factor(server, contract, unknown, "carrier_pigeon", "123456", body_valid=False,
                           expect=422, expect_code="second_factor.method_invalid")
    for operation, suffix, body, field in [(RECOVERY_VERIFY, "verify", {"newPassword": NEW_PASSWORD}, "code"),
                                           (RECOVERY_VERIFY, "verify", {"code": 123456}, "code"),
                                           (RECOVERY_SEND, "second-factor/send-code", {}, "channel"),
                                           (RECOVERY_SEND, "second-factor/send-code", {"channel": 5}, "channel"),
                                           (RECOVERY_SECOND_FACTOR, "second-factor", {"code": "123456"}, "method"),
                                           (RECOVERY_SECOND_FACTOR, "second-factor", {"method": "totp"}, "code"),
                                           (RECOVERY_SECOND_FACTOR, "second-factor", {"method": None, "code": "1"}, "method"),
                                           (RECOVERY_PASSWORD, "password", {"code": "123456"}, "newPassword"),
                                           (RECOVERY_PASSWORD, "password", {"newPassword": ["x"]}, "newPassword")]:
        contract.assert_request_invalid(operation, body)
        problem = contract.check(operation, post(f"/api/v1/recovery/{unknown}/{suffix}", json_body=body),
                                 expect=400, code="request.invalid_field")
        assert problem["field"] == field
    for operation, suffix in [(RECOVERY_VERIFY, "verify"), (RECOVERY_SEND, "second-factor/send-code"),
                              (RECOVERY_SECOND_FACTOR, "second-factor"), (RECOVERY_PASSWORD, "password")]:
        contract.check(operation, post(f"/api/v1/recovery/{unknown}/{suffix}", body=b"{",
                                       headers={"Content-Type": "application/json"}),
                       expect=400, code="request.malformed")


def test_too_many_wrong_recovery_codes_pause_recovery(start_server, contract, relaxed_limits):
    paused = start_server(**cheap_hashing(KEYWARD_RECOVERY_MAX_CODE_FAILURES="3", KEYWARD_CODE_RESEND_INTERVAL="1",
                                          **relaxed_limits))

    def recovering_account(label):
        email = unique_email(label)
        started = start_registration(paused, contract, email)
        registration_code = paused.newest_code(email)
        verify(paused, contract, started["registrationId"], registration_code)
        wait_until(parse_time(started["resendAvailableAt"]))
        flow_id = start_recovery(paused, contract, email)["flowId"]
        return email, flow_id, paused.newest_code(email, exclude=(registration_code,))

    email, flow_id, code = recovering_account("leo")
    recovery_verify(paused, contract, flow_id, wrong_code(code), expect=422, expect_code="code.invalid")
    recovery_verify(paused, contract, flow_id, "12ab", expect=422, expect_code="code.invalid")
    locked = recovery_verify(paused, contract, flow_id, wrong_code(code), expect=423, expect_code="recovery.locked")
    assert locked["retryAfter"] >= 7000
    # The lock holds for the right code too, but does not stop sign-in.
    recovery_verify(paused, contract, flow_id, code, expect=423, expect_code="recovery.locked")
    login(paused, contract, email, expect=200)

    # Wrong codes sent at the same moment: beyond the allowance they are refused without a check.
    seen = set()
    for attempt in range(5):
        _, flow_id, code = recovering_account("mia")
        body = {"code": wrong_code(code)}
        answers = in_parallel(10, lambda _: paused.request("POST", f"/api/v1/recovery/{flow_id}/verify", json_body=body))
        for reply in answers:
            problem = contract.check(RECOVERY_VERIFY, reply)
            assert (reply.status, problem["code"]) in {(422, "code.invalid"), (423, "recovery.locked"),
                                                       (429, "rate_limited")}, reply.body[:300]
            seen.add(problem["code"])
        if "rate_limited" in seen:
            break
    assert "rate_limited" in seen, f"no parallel wrong code was answered rate_limited: {seen}"


# ---------------------------------------------------------------------------------------------
# Recovery's second factor: the code proves one channel; the account's other factor comes next.
# ---------------------------------------------------------------------------------------------

def test_recovery_by_email_asks_for_a_code_to_the_phone(server, contract):
    account = signed_in_account(server, contract, "rosa")
    phone = bind_phone(server, contract, account)
    flow_id, checked = recovery_code_entered(server, contract, account.email)
    assert checked == {"flowId": flow_id, "status": "second_factor_required", "methods": ["sms_code"],
                       "destinations": {"sms_code": masked_phone(phone)}}

    # The right code is not enough for a new password, and is not taken again.
    recovery_password(server, contract, flow_id, NEW_PASSWORD, expect=409, expect_code="recovery.second_factor_required")
    recovery_verify(server, contract, flow_id, "123456", expect=409, expect_code="recovery.already_verified")
    recovery_resend(server, contract, flow_id, expect=409, expect_code="recovery.already_verified")

    # Only the phone's code, and only once it was sent; not the channel the recovery used.
    recovery_second_factor(server, contract, flow_id, "sms_code", "123456", expect=409,
                           expect_code="second_factor.code_not_sent")
    for method in ("email_code", "totp"):
        recovery_second_factor(server, contract, flow_id, method, "123456", expect=422,
                               expect_code="second_factor.method_unavailable")
    recovery_second_factor(server, contract, flow_id, "carrier_pigeon", "123456", body_valid=False,
                           expect=422, expect_code="second_factor.method_invalid")
    recovery_send_code(server, contract, flow_id, "email", expect=422, expect_code="second_factor.method_unavailable")
    for body in ({"channel": "pigeon"}, {"channel": None}):
        problem = call(server, contract, RECOVERY_SEND, flow_id, body=body, body_valid=False,
                       expect=400, expect_code="request.invalid_field")
        assert problem["field"] == "channel"

    # One code per resend interval: the phone's binding code may still hold the first one back.
    seen = server.codes(phone)
    sent = in_time(lambda: recovery_send_code(server, contract, flow_id, "sms", expect=None))
    again = recovery_send_code(server, contract, flow_id, "sms", expect=429, expect_code="code.resend_too_soon")
    assert parse_time(again["resendAvailableAt"]) == parse_time(sent["resendAvailableAt"])
    code = server.newest_code(phone, exclude=seen)

    # Wrong entries use the code up; a new one works.
    for remaining in (4, 3, 2, 1):
        problem = recovery_second_factor(server, contract, flow_id, "sms_code", wrong_code(code), expect=422,
                                         expect_code="code.invalid")
        assert problem["attemptsRemaining"] == remaining
    recovery_second_factor(server, contract, flow_id, "sms_code", wrong_code(code), expect=410,
                           expect_code="code.exhausted")
    recovery_second_factor(server, contract, flow_id, "sms_code", code, expect=410, expect_code="code.exhausted")
    code = fresh_code(server, contract, RECOVERY_SEND, flow_id, "sms", phone)
    verified = recovery_second_factor(server, contract, flow_id, "sms_code", f"{code[:3]} {code[3:]}")
    assert verified == {"flowId": flow_id, "status": "verified"}
    recovery_second_factor(server, contract, flow_id, "sms_code", code, expect=409, expect_code="recovery.already_verified")
    recovery_send_code(server, contract, flow_id, "sms", expect=409, expect_code="recovery.already_verified")

    done = recovery_password(server, contract, flow_id, NEW_PASSWORD)
    assert done["status"] == "completed" and done["sessionsRevoked"] == 2
    recovery_second_factor(server, contract, flow_id, "sms_code", code, expect=409, expect_code="recovery.completed")
    recovery_send_code(server, contract, flow_id, "sms", expect=409, expect_code="recovery.completed")

    token = sign_in(server, contract, account.email, NEW_PASSWORD)["session"]["token"]
    events = call(server, contract, ACTIVITY, token=token, expect=200)["events"]
    steps = [event["details"].get("step") for event in events
             if event["kind"] == "recovery.verified" and event["details"].get("flowId") == flow_id]
    assert steps == ["second_factor", "code"], steps
    assert any(event["kind"] == "second_factor.failed" and event["details"].get("flowId") == flow_id
               for event in events), [event["kind"] for event in events]


def test_recovery_by_phone_asks_for_an_email_code_or_the_authenticator(server, contract):
    # A phone account with an email address bound: the second factor is a code to the email address.
    phone = unique_phone()
    register(server, contract, phone)
    token = sign_in(server, contract, phone)["session"]["token"]
    email = unique_email("sol")
    started = start_change(server, contract, "email", email, token)
    assert (started["proofs"], started["verifyOld"]) == (["newCode"], False)
    change_verify(server, contract, "email", token, started["flowId"], newCode=server.newest_code(email))
    flow_id, checked = recovery_code_entered(server, contract, phone)
    assert checked == {"flowId": flow_id, "status": "second_factor_required", "methods": ["email_code"],
                       "destinations": {"email_code": masked_email(email)}}
    recovery_send_code(server, contract, flow_id, "sms", expect=422, expect_code="second_factor.method_unavailable")
    code = fresh_code(server, contract, RECOVERY_SEND, flow_id, "email", email)
    assert code in server.messages(email)[0]["body"]
    assert recovery_second_factor(server, contract, flow_id, "email_code", code) == {"flowId": flow_id, "status": "verified"}

    # With an authenticator app, only its code, whichever channel the recovery used.
    account = full_account(server, contract, "tara")
    authenticator = account.authenticator
    flow_id, checked = recovery_code_entered(server, contract, account.phone)
    assert checked == {"flowId": flow_id, "status": "second_factor_required", "methods": ["totp"], "destinations": {}}
    for channel in ("email", "sms"):
        recovery_send_code(server, contract, flow_id, channel, expect=422, expect_code="second_factor.method_unavailable")
    recovery_second_factor(server, contract, flow_id, "email_code", "123456", expect=422,
                           expect_code="second_factor.method_unavailable")
    # The code that confirmed the app was used already.
    recovery_second_factor(server, contract, flow_id, "totp", authenticator.last_code(), expect=422,
                           expect_code="totp.reused")
    recovery_second_factor(server, contract, flow_id, "totp", authenticator.wrong_code(), expect=422,
                           expect_code="totp.invalid")
    # A second recovery, by email, waits for the app as well...
    other, checked = recovery_code_entered(server, contract, account.email)
    assert (checked["methods"], checked["destinations"]) == (["totp"], {})
    assert recovery_second_factor(server, contract, flow_id, "totp", authenticator.code()) == \
        {"flowId": flow_id, "status": "verified"}
    recovery_password(server, contract, flow_id, NEW_PASSWORD)
    # ...and ends when the first one resets the password.
    recovery_second_factor(server, contract, other, "totp", authenticator.wrong_code(), expect=410,
                           expect_code="recovery.expired")
    recovery_send_code(server, contract, other, "email", expect=410, expect_code="recovery.expired")
    recovery_password(server, contract, other, "Another-Violet-63", expect=410, expect_code="recovery.expired")
    recovery_verify(server, contract, other, "123456", expect=410, expect_code="recovery.expired")
    recovery_resend(server, contract, other, expect=410, expect_code="recovery.expired")


def test_second_factor_entries_count_toward_the_recovery_pause(start_server, contract, relaxed_limits):
    # Two wrong second factors would lock sign-in, if these counted toward its lockout.
    paused = start_server(**cheap_hashing(KEYWARD_RECOVERY_MAX_CODE_FAILURES="3", KEYWARD_LOCKOUT_MAX_FAILURES="2",
                                          KEYWARD_CODE_RESEND_INTERVAL="1", **relaxed_limits))
    account = full_account(paused, contract, "uma")
    authenticator = account.authenticator
    # One recovery waits for the app; wrong codes of another recovery by the same email address
    # count toward the same pause.
    waiting, _ = recovery_code_entered(paused, contract, account.email)
    seen = paused.codes(account.email)
    other = in_time(lambda: start_recovery(paused, contract, account.email, expect=None))["flowId"]
    code = paused.newest_code(account.email, exclude=seen)
    for _ in range(2):
        recovery_verify(paused, contract, other, wrong_code(code), expect=422, expect_code="code.invalid")
    locked = recovery_second_factor(paused, contract, waiting, "totp", authenticator.wrong_code(), expect=423,
                                    expect_code="recovery.locked")
    assert locked["retryAfter"] >= 7000
    # The pause holds for right entries and new recoveries with the address.
    recovery_second_factor(paused, contract, waiting, "totp", authenticator.code(), expect=423,
                           expect_code="recovery.locked")
    recovery_verify(paused, contract, other, code, expect=423, expect_code="recovery.locked")
    start_recovery(paused, contract, account.email, expect=423, expect_code="recovery.locked")

    # The phone number has a count of its own. Wrong app codes sent at the same moment: beyond the
    # allowance they are refused without a check.
    def wrong_codes_at_once(identifier: str, authenticator: Authenticator) -> set[str]:
        flow_id, checked = recovery_code_entered(paused, contract, identifier)
        assert checked["methods"] == ["totp"], checked
        body = {"method": "totp", "code": authenticator.wrong_code()}
        answers = in_parallel(10, lambda _: paused.request("POST", path_of(RECOVERY_SECOND_FACTOR, flow_id), json_body=body))
        answered = set()
        for reply in answers:
            problem = contract.check(RECOVERY_SECOND_FACTOR, reply)
            assert (reply.status, problem["code"]) in {(422, "totp.invalid"), (423, "recovery.locked"),
                                                       (429, "rate_limited")}, reply.body[:300]
            answered.add(problem["code"])
        return answered

    answered = wrong_codes_at_once(account.phone, authenticator)
    for _ in range(3):  # each try pauses its identifier: the next needs another account
        if "rate_limited" in answered:
            break
        fresh = signed_in_account(paused, contract, "vera")
        answered |= wrong_codes_at_once(fresh.email, bind_authenticator(paused, contract, fresh))
    assert "rate_limited" in answered, f"no parallel wrong second factor was answered rate_limited: {answered}"

    # Sign-in goes on: none of the wrong app codes above counted toward its lockout.
    challenge = login(paused, contract, account.email, expect=200)
    login_verify(paused, contract, challenge["flowId"], "totp", authenticator.code())


# ---------------------------------------------------------------------------------------------
# Re-authentication and security settings.
# ---------------------------------------------------------------------------------------------

def wait_for_message(server, to: str, predicate, timeout: float = 5.0) -> dict:
    """The newest message to `to` that satisfies `predicate`, polling for delivery."""
    deadline = time.monotonic() + timeout
    while True:
        for message in server.messages(to):
            if predicate(message):
                return message
        assert time.monotonic() < deadline, f"no such message to {to} within {timeout:.0f} s: {server.messages(to)[:3]}"
        time.sleep(0.1)


def test_reauthentication(server, contract):
    email = unique_email("jack")
    token = register(server, contract, email)["session"]["token"]
    security = call(server, contract, SECURITY, token=token, expect=200)
    assert security == {"factors": {"email": email, "totp": False}, "boundMethods": ["email_code"],
                        "loginPolicy": {"secondFactorRequired": True, "methods": ["email_code"]},
                        "antiPhishingCodeSet": False, "recoveryCodesRemaining": 0, "holds": []}

    # A registration's session has not proved a second factor: sensitive changes wait for one.
    for operation, body in [(PASSWORD, {"currentPassword": STRONG_PASSWORD, "newPassword": NEW_PASSWORD}),
                            (TOTP, None), (TOTP_REMOVE, None), (RECOVERY_CODES, None),
                            (ANTI_PHISHING, {"code": "Blue-Heron_7"}),
                            (ANTI_PHISHING, {"code": "no"}), (PHONE, {"phone": unique_phone()}),
                            (EMAIL, {"email": unique_email("jack-new"), "oldAvailable": False})]:
        call(server, contract, operation, body=body, token=token, expect=403, expect_code="reauth.required")

    call(server, contract, REAUTH, body={"password": "Wrong-Lantern-99"}, token=token,
         expect=422, expect_code="password.incorrect")
    for body in ({}, {"password": 12345678}, {"password": None}):
        problem = call(server, contract, REAUTH, body=body, token=token, body_valid=False,
                       expect=400, expect_code="request.invalid_field")
        assert problem["field"] == "password"
    contract.check(REAUTH, server.request("POST", "/api/v1/account/reauth", body=b"[", token=token,
                                          headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")

    challenge = call(server, contract, REAUTH, body={"password": STRONG_PASSWORD}, token=token, expect=200)
    assert (challenge["methods"], challenge["destinations"]) == (["email_code"], {"email_code": masked_email(email)})
    flow_id = challenge["flowId"]
    reauth_verify(server, contract, token, flow_id, "email_code", "123456", expect=409,
                  expect_code="second_factor.code_not_sent")
    send_code(server, contract, REAUTH_SEND, flow_id, "sms", token=token,
              expect=422, expect_code="second_factor.method_unavailable")
    for body in ({}, {"channel": "pigeon"}):
        problem_field = call(server, contract, REAUTH_SEND, flow_id, body=body, token=token, body_valid=False,
                             expect=400, expect_code="request.invalid_field")
        assert problem_field["field"] == "channel"
    problem_field = call(server, contract, REAUTH_VERIFY, flow_id, body={"method": "email_code"}, token=token,
                         body_valid=False, expect=400, expect_code="request.invalid_field")
    assert problem_field["field"] == "code"
    for operation in (REAUTH_SEND, REAUTH_VERIFY):
        reply = server.request("POST", path_of(operation, flow_id), body=b'{"channel": ', token=token,
                               headers={"Content-Type": "application/json"})
        contract.check(operation, reply, expect=400, code="request.malformed")
    seen = server.codes(email)
    in_time(lambda: send_code(server, contract, REAUTH_SEND, flow_id, "email", token=token, expect=None))
    send_code(server, contract, REAUTH_SEND, flow_id, "email", token=token, expect=429, expect_code="code.resend_too_soon")
    code = server.newest_code(email, exclude=seen)

    reauth_verify(server, contract, token, flow_id, "carrier_pigeon", code, body_valid=False,
                  expect=422, expect_code="second_factor.method_invalid")
    reauth_verify(server, contract, token, flow_id, "totp", code, expect=422, expect_code="second_factor.method_unavailable")
    problem = reauth_verify(server, contract, token, flow_id, "email_code", wrong_code(code),
                            expect=422, expect_code="code.invalid")
    assert problem["attemptsRemaining"] == 4
    done = reauth_verify(server, contract, token, flow_id, "email_code", code)
    until = parse_time(done["reauthenticatedUntil"])
    assert timedelta(minutes=4) < until - datetime.now(timezone.utc) <= timedelta(minutes=5, seconds=1)
    assert call(server, contract, SECURITY, token=token, expect=200)["reauthenticatedUntil"] == done["reauthenticatedUntil"]

    reauth_verify(server, contract, token, flow_id, "email_code", code, expect=409, expect_code="flow.completed")
    send_code(server, contract, REAUTH_SEND, flow_id, "email", token=token, expect=409, expect_code="flow.completed")
    # Only this session's re-authentication flows are found here, and they are not sign-ins.
    login_flow = login(server, contract, email)["flowId"]
    for unknown in (UNKNOWN_ID, login_flow):
        send_code(server, contract, REAUTH_SEND, unknown, "email", token=token, expect=404, expect_code="flow.not_found")
        reauth_verify(server, contract, token, unknown, "email_code", "123456", expect=404, expect_code="flow.not_found")
    send_code(server, contract, LOGIN_SEND, flow_id, "email", expect=404, expect_code="flow.not_found")
    kinds = activity_kinds(server, contract, token)
    assert kinds[0] == "second_factor.required" and "reauthenticated" in kinds, kinds
    assert {"login.failed", "second_factor.failed"} <= set(kinds), kinds


def test_password_change(server, contract):
    account = signed_in_account(server, contract, "kate")
    token, email = account.token, account.email
    # The registration's session is another session of the account: its flows are its own.
    other_flow = call(server, contract, REAUTH, body={"password": STRONG_PASSWORD}, token=account.registration_token,
                      expect=200)["flowId"]
    send_code(server, contract, REAUTH_SEND, other_flow, "email", token=token, expect=404, expect_code="flow.not_found")
    reauth_verify(server, contract, token, other_flow, "email_code", "123456", expect=404, expect_code="flow.not_found")

    def change(current, new, keep=None, **expected):
        body = {"currentPassword": current, "newPassword": new}
        if keep is not None:
            body["keepOtherSessions"] = keep
        return call(server, contract, PASSWORD, body=body, token=token, **expected)

    problem = change(STRONG_PASSWORD, "bob", expect=422, expect_code="password.invalid")
    assert {"password.too_short", "password.needs_uppercase"} <= {violation["code"] for violation in problem["violations"]}
    change("Wrong-Lantern-99", NEW_PASSWORD, expect=422, expect_code="password.incorrect")
    change(STRONG_PASSWORD, STRONG_PASSWORD, expect=422, expect_code="password.reused")
    for body, field in [({"currentPassword": STRONG_PASSWORD}, "newPassword"),
                        ({"newPassword": NEW_PASSWORD}, "currentPassword"),
                        ({"currentPassword": STRONG_PASSWORD, "newPassword": NEW_PASSWORD, "keepOtherSessions": "yes"},
                         "keepOtherSessions")]:
        problem = call(server, contract, PASSWORD, body=body, token=token, body_valid=False,
                       expect=400, expect_code="request.invalid_field")
        assert problem["field"] == field
    contract.check(PASSWORD, server.request("PUT", "/api/v1/account/password", body=b"{", token=token,
                                            headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")

    assert change(STRONG_PASSWORD, NEW_PASSWORD, False) == {"sessionsRevoked": 1}
    contract.check(SESSION, server.request("GET", "/api/v1/session", token=account.registration_token),
                   expect=401, code="session.required")
    [hold] = call(server, contract, HOLDS, token=token, expect=200)["holds"]
    assert (hold["kind"], hold["reason"]) == ("withdrawal", "password.changed")
    assert (parse_time(hold["until"]) - parse_time(hold["placedAt"])).total_seconds() == 86400
    assert call(server, contract, SECURITY, token=token, expect=200)["holds"] == [hold]
    assert {"password.changed", "hold.placed"} <= set(activity_kinds(server, contract, token))
    notice = wait_for_message(server, email, lambda message: not message.get("code"))
    assert "127.0.0.1" in notice["body"]
    login(server, contract, email, expect=401, expect_code="credentials.invalid")
    login(server, contract, email, NEW_PASSWORD, expect=200)

    assert change(NEW_PASSWORD, STRONG_PASSWORD, True) == {"sessionsRevoked": 0}
    assert [hold["reason"] for hold in call(server, contract, HOLDS, token=token, expect=200)["holds"]] == \
        ["password.changed", "password.changed"]


def test_authenticator_app(server, contract):
    account = signed_in_account(server, contract, "liam")
    token, email = account.token, account.email
    call(server, contract, TOTP_REMOVE, token=token, expect=404, expect_code="authenticator.not_bound")
    call(server, contract, TOTP_CONFIRM, body={"code": "123456"}, token=token,
         expect=409, expect_code="authenticator.not_pending")

    replaced = Authenticator(call(server, contract, TOTP, token=token, expect=201))
    enrolment = call(server, contract, TOTP, token=token, expect=201)
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4}){7}", enrolment["secret"]), enrolment["secret"]  # 20 bytes
    secret = enrolment["secret"].replace(" ", "")
    assert secret != replaced.secret
    assert enrolment["otpauthUri"] == (f"otpauth://totp/Keyward:{quote(email, safe='')}?secret={secret}"
                                       "&issuer=Keyward&algorithm=SHA1&digits=6&period=30")
    assert enrolment["qrSvg"].rstrip().endswith("</svg>")
    authenticator = Authenticator(enrolment)
    # Starting again replaced the first secret.
    call(server, contract, TOTP_CONFIRM, body={"code": replaced.code()}, token=token, expect=422, expect_code="totp.invalid")
    call(server, contract, TOTP_CONFIRM, body={"code": "12ab"}, token=token, expect=422, expect_code="totp.invalid")
    for body in ({}, {"code": 123456}):
        problem = call(server, contract, TOTP_CONFIRM, body=body, token=token, body_valid=False,
                       expect=400, expect_code="request.invalid_field")
        assert problem["field"] == "code"
    contract.check(TOTP_CONFIRM, server.request("POST", "/api/v1/account/totp/confirm", body=b"{", token=token,
                                                headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")
    assert call(server, contract, TOTP_CONFIRM, body={"code": authenticator.code()}, token=token,
                expect=200) == {"status": "active"}
    call(server, contract, TOTP_CONFIRM, body={"code": authenticator.last_code()}, token=token,
         expect=409, expect_code="authenticator.not_pending")

    security = call(server, contract, SECURITY, token=token, expect=200)
    assert security["factors"]["totp"] is True and "totpBoundAt" in security["factors"]
    assert (security["boundMethods"], security["loginPolicy"]["methods"]) == (["email_code", "totp"], ["totp"])
    assert [hold["reason"] for hold in security["holds"]] == ["authenticator.bound"]

    # Sign-in now takes the authenticator's code only, each code once.
    challenge = login(server, contract, email)
    assert (challenge["methods"], challenge["destinations"]) == (["totp"], {})
    flow_id = challenge["flowId"]
    send_code(server, contract, LOGIN_SEND, flow_id, "email", expect=422, expect_code="second_factor.method_unavailable")
    login_verify(server, contract, flow_id, "email_code", "123456", expect=422,
                 expect_code="second_factor.method_unavailable")
    login_verify(server, contract, flow_id, "totp", authenticator.last_code(), expect=422, expect_code="totp.reused")
    login_verify(server, contract, flow_id, "totp", authenticator.wrong_code(), expect=422, expect_code="totp.invalid")
    signed_in = login_verify(server, contract, flow_id, "totp", authenticator.code())
    token = signed_in["session"]["token"]
    # So does re-authentication.
    challenge = call(server, contract, REAUTH, body={"password": STRONG_PASSWORD}, token=token, expect=200)
    assert (challenge["methods"], challenge["destinations"]) == (["totp"], {})
    send_code(server, contract, REAUTH_SEND, challenge["flowId"], "email", token=token,
              expect=422, expect_code="second_factor.method_unavailable")
    reauth_verify(server, contract, token, challenge["flowId"], "totp", authenticator.last_code(),
                  expect=422, expect_code="totp.reused")
    reauth_verify(server, contract, token, challenge["flowId"], "totp", authenticator.code())

    call(server, contract, TOTP_REMOVE, token=token, expect=204)
    call(server, contract, TOTP_REMOVE, token=token, expect=404, expect_code="authenticator.not_bound")
    assert login(server, contract, email)["methods"] == ["email_code"]
    security = call(server, contract, SECURITY, token=token, expect=200)
    assert security["factors"] == {"email": email, "totp": False}
    assert [hold["reason"] for hold in security["holds"]] == ["authenticator.bound", "authenticator.removed"]
    kinds = activity_kinds(server, contract, token)
    assert {"authenticator.enrolment_started", "authenticator.bound", "authenticator.removed",
            "second_factor.failed", "reauthenticated"} <= set(kinds), kinds


def test_recovery_codes_stand_in_for_a_lost_authenticator(server, contract):
    account = signed_in_account(server, contract, "rita")
    token, email = account.token, account.email
    authenticator = bind_authenticator(server, contract, account)
    made = call(server, contract, RECOVERY_CODES, token=token, expect=201)
    codes = made["codes"]
    assert made["remaining"] == 10 and len(set(codes)) == 10
    security = call(server, contract, SECURITY, token=token, expect=200)
    assert security["recoveryCodesRemaining"] == 10
    assert (security["boundMethods"], security["loginPolicy"]["methods"]) == (
        ["email_code", "totp", "recovery_code"], ["totp", "recovery_code"])

    # The phone with the authenticator is lost: a recovery code signs in, once, typed loosely.
    challenge = login(server, contract, email)
    assert (challenge["methods"], challenge["destinations"]) == (["totp", "recovery_code"], {})
    login_verify(server, contract, challenge["flowId"], "recovery_code", "ccccc-ccccc", expect=422,
                 expect_code="recovery_code.invalid")
    signed_in = login_verify(server, contract, challenge["flowId"], "recovery_code", codes[0].lower().replace("-", " "))
    token = signed_in["session"]["token"]
    notice = wait_for_message(server, email, lambda message: "9 unused recovery codes remain" in message["body"])
    assert "a recovery code was used" in notice["subject"]
    challenge = login(server, contract, email)
    login_verify(server, contract, challenge["flowId"], "recovery_code", codes[0], expect=422,
                 expect_code="recovery_code.invalid")
    assert call(server, contract, SECURITY, token=token, expect=200)["recoveryCodesRemaining"] == 9

    # Re-authentication takes one too, and a new set replaces the old one.
    challenge = call(server, contract, REAUTH, body={"password": STRONG_PASSWORD}, token=token, expect=200)
    assert challenge["methods"] == ["totp", "recovery_code"]
    reauth_verify(server, contract, token, challenge["flowId"], "recovery_code", codes[1])
    renewed = call(server, contract, RECOVERY_CODES, token=token, expect=201)["codes"]
    assert not set(renewed) & set(codes)
    challenge = login(server, contract, email)
    login_verify(server, contract, challenge["flowId"], "recovery_code", codes[2], expect=422,
                 expect_code="recovery_code.invalid")
    login_verify(server, contract, challenge["flowId"], "totp", authenticator.code())
    kinds = activity_kinds(server, contract, token)
    assert {"recovery_codes.generated", "recovery_code.used"} <= set(kinds), kinds


def test_anti_phishing_code(server, contract):
    account = signed_in_account(server, contract, "mona")
    token, email = account.token, account.email
    for code in ("abc", "has space", "x" * 21, "semi;colon", ""):
        call(server, contract, ANTI_PHISHING, body={"code": code}, token=token,
             expect=422, expect_code="anti_phishing_code.invalid")
    for body in ({}, {"code": 1234}):
        problem = call(server, contract, ANTI_PHISHING, body=body, token=token, body_valid=False,
                       expect=400, expect_code="request.invalid_field")
        assert problem["field"] == "code"
    contract.check(ANTI_PHISHING, server.request("PUT", "/api/v1/account/anti-phishing-code", body=b"{", token=token,
                                                 headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")
    assert call(server, contract, ANTI_PHISHING, body={"code": " Blue-Heron_7 "}, token=token,
                expect=200) == {"antiPhishingCodeSet": True}
    security = call(server, contract, SECURITY, token=token, expect=200)
    assert (security["antiPhishingCodeSet"], security["holds"]) == (True, [])
    # Emails from now on show it, the notice of the change first.
    wait_for_message(server, email, lambda message: "Blue-Heron_7" in message["body"])
    assert "anti_phishing_code.set" in activity_kinds(server, contract, token)


# ---------------------------------------------------------------------------------------------
# Phone number and email address changes.
# ---------------------------------------------------------------------------------------------

def test_phone_and_email_changes(server, contract):
    account = signed_in_account(server, contract, "nora")
    token, email = account.token, account.email
    start_change(server, contract, "phone", "not a phone", token, expect=422, expect_code="identifier.invalid")
    start_change(server, contract, "phone", "nora@example.com", token, expect=422, expect_code="contact.kind_mismatch")
    start_change(server, contract, "email", unique_phone(), token, expect=422, expect_code="contact.kind_mismatch")
    start_change(server, contract, "email", email.upper(), token, expect=409, expect_code="contact.unchanged")
    taken = unique_email("taken")
    register(server, contract, taken)
    start_change(server, contract, "email", taken, token, expect=409, expect_code="identifier.taken")
    # Without the current address, only the other channel plus an authenticator could prove the change.
    start_change(server, contract, "email", unique_email("nora-new"), token, old_available=False,
                 expect=409, expect_code="contact.support_required")
    for operation, body, field in [(PHONE, {"email": "nora@example.com"}, "phone"), (PHONE, {"phone": 447700900123}, "phone"),
                                   (EMAIL, {"phone": "+447700900123"}, "email"),
                                   (PHONE, {"phone": "+447700900123", "oldAvailable": "no"}, "oldAvailable")]:
        problem = call(server, contract, operation, body=body, token=token, body_valid=False,
                       expect=400, expect_code="request.invalid_field")
        assert problem["field"] == field
    contract.check(PHONE, server.request("POST", "/api/v1/account/phone", body=b"{", token=token,
                                         headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")

    # Binding a first phone number: its own code is the only proof.
    phone = unique_phone()
    started = start_change(server, contract, "phone", phone, token)
    assert (started["verifyOld"], started["proofs"]) == (False, ["newCode"])
    flow_id = started["flowId"]
    problem = call(server, contract, PHONE_RESEND, flow_id, token=token, expect=429, expect_code="code.resend_too_soon")
    assert problem["resendAvailableAt"] == started["resendAvailableAt"]
    # The new number's code goes at once, so a number that had one moments ago cannot be started with.
    start_change(server, contract, "phone", phone, token, expect=429, expect_code="code.resend_too_soon")
    first = server.newest_code(phone)
    for body in ({}, {"newCode": 123456}):
        problem = call(server, contract, PHONE_VERIFY, flow_id, body=body, token=token, body_valid=False,
                       expect=400, expect_code="request.invalid_field")
        assert problem["field"] == "newCode"
    contract.check(PHONE_VERIFY, server.request("POST", path_of(PHONE_VERIFY, flow_id), body=b"{", token=token,
                                                headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")
    for remaining in (4, 3, 2, 1):
        problem = change_verify(server, contract, "phone", token, flow_id, newCode=wrong_code(first),
                                expect=422, expect_code="code.invalid")
        assert problem["attemptsRemaining"] == remaining
    change_verify(server, contract, "phone", token, flow_id, newCode=wrong_code(first), expect=410, expect_code="code.exhausted")
    change_verify(server, contract, "phone", token, flow_id, newCode=first, expect=410, expect_code="code.exhausted")
    # A phone change is not an email change, nor another account's.
    call(server, contract, EMAIL_RESEND, flow_id, token=token, expect=404, expect_code="flow.not_found")
    change_verify(server, contract, "email", token, flow_id, newCode=first, expect=404, expect_code="flow.not_found")
    other = register(server, contract, unique_email("otto"))["session"]["token"]
    call(server, contract, PHONE_RESEND, flow_id, token=other, expect=404, expect_code="flow.not_found")
    for unknown in (UNKNOWN_ID, "not-a-flow"):
        call(server, contract, PHONE_RESEND, unknown, token=token, expect=404, expect_code="flow.not_found")
        change_verify(server, contract, "phone", token, unknown, newCode=first, expect=404, expect_code="flow.not_found")
    wait_until(parse_time(started["resendAvailableAt"]))
    resent = call(server, contract, PHONE_RESEND, flow_id, token=token, expect=202)
    assert parse_time(resent["resendAvailableAt"]) > parse_time(started["resendAvailableAt"])
    second = server.newest_code(phone, exclude=(first,))
    assert change_verify(server, contract, "phone", token, flow_id, newCode=second) == {"status": "changed", "phone": phone}
    change_verify(server, contract, "phone", token, flow_id, newCode=second, expect=409, expect_code="flow.completed")
    call(server, contract, PHONE_RESEND, flow_id, token=token, expect=409, expect_code="flow.completed")
    start_change(server, contract, "phone", phone, token, expect=409, expect_code="contact.unchanged")
    security = call(server, contract, SECURITY, token=token, expect=200)
    assert security["factors"] == {"email": email, "phone": phone, "totp": False}
    assert security["loginPolicy"]["methods"] == ["email_code", "sms_code"]

    # Changing the email address: the current one confirms too. It had a code moments ago (to
    # re-authenticate), so its code waits for the resend interval: only the new address's goes now.
    new_email = unique_email("nora-new")
    seen = server.codes(email)
    reauth_flow = call(server, contract, REAUTH, body={"password": STRONG_PASSWORD}, token=token, expect=200)["flowId"]
    in_time(lambda: send_code(server, contract, REAUTH_SEND, reauth_flow, "email", token=token, expect=None))
    started = start_change(server, contract, "email", new_email, token)
    assert (started["verifyOld"], started["proofs"]) == (True, ["newCode", "oldCode"])
    flow_id = started["flowId"]
    start_change(server, contract, "email", new_email, token, expect=429, expect_code="code.resend_too_soon")
    call(server, contract, EMAIL_RESEND, flow_id, token=token, expect=429, expect_code="code.resend_too_soon")
    first_new, reauth_code = server.newest_code(new_email), server.newest_code(email, exclude=seen)
    change_verify(server, contract, "email", token, flow_id, newCode=first_new, oldCode=wrong_code(reauth_code),
                  expect=409, expect_code="second_factor.code_not_sent")
    problem = call(server, contract, EMAIL_VERIFY, flow_id, body={"oldCode": reauth_code}, token=token,
                   body_valid=False, expect=400, expect_code="request.invalid_field")
    assert problem["field"] == "newCode"
    # A resend once the interval has passed sends both codes; the first new one stops working.
    wait_until(parse_time(started["resendAvailableAt"]))
    call(server, contract, EMAIL_RESEND, flow_id, token=token, expect=202)
    new_code = server.newest_code(new_email, exclude=(first_new,))
    old_code = server.newest_code(email, exclude=(*seen, reauth_code))
    change_verify(server, contract, "email", token, flow_id, newCode=new_code, expect=422,
                  expect_code="contact.old_code_required")
    change_verify(server, contract, "email", token, flow_id, newCode=new_code, oldCode=None, expect=422,
                  expect_code="contact.old_code_required")
    change_verify(server, contract, "email", token, flow_id, newCode=new_code, oldCode=wrong_code(old_code),
                  expect=422, expect_code="code.invalid")
    change_verify(server, contract, "email", token, flow_id, newCode=first_new, oldCode=old_code,
                  expect=422, expect_code="code.invalid")
    assert change_verify(server, contract, "email", token, flow_id, newCode=new_code, oldCode=old_code) == \
        {"status": "changed", "email": new_email}
    change_verify(server, contract, "email", token, flow_id, newCode=new_code, oldCode=old_code,
                  expect=409, expect_code="flow.completed")
    call(server, contract, EMAIL_RESEND, flow_id, token=token, expect=409, expect_code="flow.completed")

    # The old address no longer signs in; the new one does, with a code to either channel.
    login(server, contract, email, expect=404, expect_code="account.not_found")
    challenge = login(server, contract, new_email)
    assert challenge["destinations"] == {"email_code": masked_email(new_email), "sms_code": masked_phone(phone)}
    signed_in = second_step(server, contract, challenge, phone, channel="sms")
    current = call(server, contract, SESSION, token=signed_in["session"]["token"], expect=200)
    assert {(identifier["kind"], identifier["value"]) for identifier in current["identifiers"]} == \
        {("email", new_email), ("phone", phone)}
    holds = call(server, contract, HOLDS, token=token, expect=200)["holds"]
    assert [hold["reason"] for hold in holds] == ["phone.added", "email.changed"]
    assert {"contact_change.started", "phone.changed", "email.changed"} <= set(activity_kinds(server, contract, token))


def test_a_lost_email_or_phone_is_replaced_with_the_other_channel_and_the_authenticator(server, contract):
    account = full_account(server, contract, "olga")
    token, email, phone, authenticator = account.token, account.email, account.phone, account.authenticator

    new_email = unique_email("olga-new")
    seen_email = server.codes(email)
    started = start_change(server, contract, "email", new_email, token, old_available=False)
    assert (started["verifyOld"], started["proofs"]) == (False, ["newCode", "otherCode", "totpCode"])
    flow_id = started["flowId"]
    codes = codes_of_change(server, contract, "email", started, token, new_email, phone)
    new_code, other_code = codes["newCode"], codes["otherCode"]
    assert server.codes(email) == seen_email, "a code went to the address said to be lost"
    # Which codes are required depends on the change (`proofs`), which no schema can say: the
    # document accepts these bodies, and the server names the code that is missing.
    for body, field in [({"newCode": new_code}, "otherCode"), ({"newCode": new_code, "otherCode": other_code}, "totpCode")]:
        problem = call(server, contract, EMAIL_VERIFY, flow_id, body=body, token=token, body_valid=None,
                       expect=422, expect_code="contact.code_required")
        assert problem["field"] == field
    change_verify(server, contract, "email", token, flow_id, newCode=new_code, otherCode=other_code,
                  totpCode=authenticator.wrong_code(), expect=422, expect_code="totp.invalid")
    assert change_verify(server, contract, "email", token, flow_id, newCode=new_code, otherCode=other_code,
                         totpCode=authenticator.code()) == {"status": "changed", "email": new_email}

    # The same for the phone number; but the authenticator is removed before the codes are entered.
    new_phone = unique_phone()
    started = start_change(server, contract, "phone", new_phone, token, old_available=False)
    assert started["proofs"] == ["newCode", "otherCode", "totpCode"]
    codes = codes_of_change(server, contract, "phone", started, token, new_phone, new_email)
    call(server, contract, TOTP_REMOVE, token=token, expect=204)
    change_verify(server, contract, "phone", token, started["flowId"], **codes, totpCode=authenticator.code(),
                  expect=409, expect_code="contact.support_required")
    start_change(server, contract, "phone", unique_phone(), token, old_available=False,
                 expect=409, expect_code="contact.support_required")


# ---------------------------------------------------------------------------------------------
# Passkeys: registered in the security settings, used alone or as the second factor.
# ---------------------------------------------------------------------------------------------

def passkey_options(server, contract, token: str, *, expect=200, expect_code=None) -> dict:
    return call(server, contract, PASSKEY_OPTIONS, token=token, expect=expect, expect_code=expect_code)


def add_passkey(server, contract, token: str, credential: dict, *, name=None, flow_id=None, expect=201,
                expect_code=None, body_valid: bool | None = True) -> dict:
    body = {"credential": credential}
    if name is not None:
        body["name"] = name
    if flow_id is not None:
        body["flowId"] = flow_id
    return call(server, contract, PASSKEY_ADD, body=body, token=token, body_valid=body_valid, expect=expect,
                expect_code=expect_code)


def register_passkey(server, contract, token: str, authenticator: SoftwareAuthenticator, *, name=None,
                     **create) -> dict:
    """A new passkey of `authenticator` registered with the (freshly re-authenticated) session
    `token` through a ceremony of its own; returns the Passkey answer."""
    options = passkey_options(server, contract, token)
    return add_passkey(server, contract, token, authenticator.create(options["publicKey"], **create), name=name,
                       flow_id=options["flowId"])


def passkeys_of(server, contract, token: str) -> list[dict]:
    return call(server, contract, PASSKEYS, token=token, expect=200)["passkeys"]


def passkey_sign_in_options(server, contract, *, expect=200, expect_code=None) -> dict:
    return call(server, contract, PASSKEY_SIGN_IN_OPTIONS, expect=expect, expect_code=expect_code)


def passkey_sign_in(server, contract, flow_id: str, credential: dict, *, device_name=None, expect=200,
                    expect_code=None, body_valid: bool | None = True) -> dict:
    body = {"flowId": flow_id, "credential": credential}
    if device_name is not None:
        body["deviceName"] = device_name
    return call(server, contract, PASSKEY_SIGN_IN, body=body, body_valid=body_valid, expect=expect,
                expect_code=expect_code)


def sign_in_with_passkey(server, contract, authenticator: SoftwareAuthenticator, *, expect=200, expect_code=None,
                         **get) -> dict:
    """A passkey sign-in: options, the authenticator's answer (with `get`'s overrides), the answer sent."""
    options = passkey_sign_in_options(server, contract)
    return passkey_sign_in(server, contract, options["flowId"], authenticator.get(options["publicKey"], **get),
                           expect=expect, expect_code=expect_code)


def passkey_step(server, contract, operation, flow_id: str, credential: dict | None, *, token=None, expect=200,
                 expect_code=None, body_valid: bool | None = True) -> dict:
    """A second step (`LOGIN_VERIFY`, `REAUTH_VERIFY` or `RECOVERY_SECOND_FACTOR`) answered with a passkey."""
    body = {"method": "passkey"} if credential is None else {"method": "passkey", "credential": credential}
    return call(server, contract, operation, flow_id, body=body, token=token, body_valid=body_valid,
                expect=expect, expect_code=expect_code)


def rp_id_of(server) -> str:
    """The RP ID of a server with the default settings: the host of its public URL."""
    return urlsplit(server.base_url).hostname


def unregistered_credential(server, authenticator: SoftwareAuthenticator) -> Credential:
    """A credential `authenticator` makes for the server's RP ID that is never registered."""
    authenticator.create({"rp": {"id": rp_id_of(server), "name": "Keyward"}, "challenge": b64url(os.urandom(32)),
                          "user": {"id": b64url(os.urandom(16)), "name": "nobody", "displayName": "nobody"}})
    return authenticator.credentials[-1]


def with_response(credential: dict, **members) -> dict:
    """A copy of a registration or assertion response with some `response` members replaced."""
    changed = copy.deepcopy(credential)
    changed["response"].update(members)
    return changed


def tampered_signature(assertion: dict) -> dict:
    """The assertion with one bit of its signature flipped."""
    signature = bytearray(b64url_decode(assertion["response"]["signature"]))
    signature[-1] ^= 0x01
    return with_response(assertion, signature=b64url(bytes(signature)))


def passkey_account(server, contract, label: str) -> SimpleNamespace:
    """A signed-in email account with one ES256 passkey: `account.passkey` is the Passkey answer,
    `account.passkey_authenticator` the software authenticator that holds it."""
    account = signed_in_account(server, contract, label)
    account.passkey_authenticator = SoftwareAuthenticator("ES256", origin=server.base_url)
    account.passkey = register_passkey(server, contract, account.token, account.passkey_authenticator)
    return account


def test_passkeys_are_added_listed_renamed_and_removed(server, contract):
    account = signed_in_account(server, contract, "paula")
    token, email = account.token, account.email
    assert passkeys_of(server, contract, token) == []
    passkey_options(server, contract, account.registration_token, expect=403, expect_code="reauth.required")

    options = passkey_options(server, contract, token)
    public = options["publicKey"]
    assert public["rp"] == {"id": "127.0.0.1", "name": "Keyward"}
    assert public["user"] == {"id": b64url(account.account_id.encode()), "name": email, "displayName": email}
    assert len(b64url_decode(public["challenge"])) == 32
    assert [param["alg"] for param in public["pubKeyCredParams"]] == [-7, -8, -257]
    assert public["authenticatorSelection"] == {"residentKey": "required", "requireResidentKey": True,
                                                "userVerification": "required"}
    assert (public["attestation"], public["excludeCredentials"], public["timeout"]) == ("none", [], 300000)
    lasts = parse_time(options["expiresAt"]) - datetime.now(timezone.utc)
    assert timedelta(minutes=4) < lasts <= timedelta(minutes=5, seconds=1), options["expiresAt"]

    # ES256 with attestation `none`, answering the session's newest ceremony (no flowId); the name is trimmed.
    es256 = SoftwareAuthenticator("ES256", origin=server.base_url)
    first = add_passkey(server, contract, token, es256.create(public), name="  Laptop  ")
    assert (first["name"], first["algorithm"], first["transports"]) == ("Laptop", -7, ["internal", "hybrid"])
    assert (first["backupEligible"], first["backedUp"], first["lastUsedAt"]) == (False, False, None)
    # EdDSA, a synced passkey, with a packed self attestation; no name gives the default one.
    eddsa = SoftwareAuthenticator("EdDSA", origin=server.base_url, backup_eligible=True, backed_up=True)
    second = register_passkey(server, contract, token, eddsa, fmt="packed")
    assert (second["name"], second["algorithm"], second["backupEligible"], second["backedUp"]) == \
        ("Passkey", -8, True, True)
    # RS256 on a security key; transports WebAuthn does not name are dropped.
    rs256 = SoftwareAuthenticator("RS256", origin=server.base_url, attachment="cross-platform",
                                  transports=["usb", "nfc", "carrier-pigeon"])
    third = register_passkey(server, contract, token, rs256, name="Security key", fmt="packed")
    assert (third["algorithm"], third["transports"]) == (-257, ["usb", "nfc"])
    # A packed statement with a certificate chain is taken without checking the chain.
    chained = SoftwareAuthenticator("ES256", origin=server.base_url)
    fourth = register_passkey(server, contract, token, chained, fmt="packed",
                              att_stmt={"alg": -7, "sig": b"\x30\x06\x02\x01\x01\x02\x01\x01",
                                        "x5c": [b"not a certificate at all"]})

    listed = passkeys_of(server, contract, token)
    assert [passkey["id"] for passkey in listed] == [first["id"], second["id"], third["id"], fourth["id"]]
    assert listed[0] == first
    excluded = passkey_options(server, contract, token)["publicKey"]["excludeCredentials"]
    held = [es256.credentials[0], eddsa.credentials[0], rs256.credentials[0], chained.credentials[0]]
    assert [descriptor["id"] for descriptor in excluded] == [credential.id_b64 for credential in held]
    assert excluded[2] == {"type": "public-key", "id": rs256.credentials[0].id_b64, "transports": ["usb", "nfc"]}

    security = call(server, contract, SECURITY, token=token, expect=200)
    assert security["boundMethods"] == ["email_code", "passkey"], security
    assert security["loginPolicy"]["methods"] == ["passkey"], security
    assert [hold["reason"] for hold in security["holds"]] == ["passkey.added"] * 4
    notice = wait_for_message(server, email, lambda message: "passkey was added" in message["body"])
    assert not notice.get("code")

    # Renaming needs no fresh re-authentication: the registration's session may do it.
    renamed = call(server, contract, PASSKEY_RENAME, second["id"], body={"name": "Phone"},
                   token=account.registration_token, expect=200)
    assert renamed == {**second, "name": "Phone"}
    assert call(server, contract, PASSKEY_RENAME, second["id"], body={"name": "x" * 64}, token=token,
                expect=200)["name"] == "x" * 64
    for name in ("", "   ", "x" * 65, "Bad\u0007name", "Two\nlines"):
        call(server, contract, PASSKEY_RENAME, second["id"], body={"name": name}, token=token,
             expect=422, expect_code="passkey.name_invalid")
    other = register(server, contract, unique_email("paula-other"))["session"]["token"]
    for passkey_id, owner in ((UNKNOWN_ID, token), ("not-a-passkey", token), (second["id"], other)):
        call(server, contract, PASSKEY_RENAME, passkey_id, body={"name": "Mine"}, token=owner,
             expect=404, expect_code="passkey.not_found")
    for body in ({}, {"name": 5}, {"name": None}):
        problem = call(server, contract, PASSKEY_RENAME, second["id"], body=body, token=token, body_valid=False,
                       expect=400, expect_code="request.invalid_field")
        assert problem["field"] == "name"
    contract.check(PASSKEY_RENAME, server.request("PATCH", path_of(PASSKEY_RENAME, second["id"]), body=b'{"name": ',
                                                  token=token, headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")

    # Removing one needs a fresh re-authentication.
    call(server, contract, PASSKEY_REMOVE, third["id"], token=account.registration_token,
         expect=403, expect_code="reauth.required")
    call(server, contract, PASSKEY_REMOVE, UNKNOWN_ID, token=token, expect=404, expect_code="passkey.not_found")
    call(server, contract, PASSKEY_REMOVE, third["id"], token=token, expect=204)
    call(server, contract, PASSKEY_REMOVE, third["id"], token=token, expect=404, expect_code="passkey.not_found")
    assert [passkey["id"] for passkey in passkeys_of(server, contract, token)] == [first["id"], second["id"], fourth["id"]]
    holds = call(server, contract, HOLDS, token=token, expect=200)["holds"]
    assert [hold["reason"] for hold in holds] == ["passkey.added"] * 4 + ["passkey.removed"]
    wait_for_message(server, email, lambda message: "passkey was removed" in message["body"])
    # The removed passkey no longer signs in; the others do.
    sign_in_with_passkey(server, contract, rs256, expect=422, expect_code="passkey.unknown")
    assert sign_in_with_passkey(server, contract, eddsa)["accountId"] == account.account_id
    kinds = activity_kinds(server, contract, token)
    assert {"passkey.added", "passkey.renamed", "passkey.removed", "hold.placed"} <= set(kinds), kinds


def test_passkey_registration_refusals(server, contract):
    account = signed_in_account(server, contract, "quinn")
    token = account.token
    authenticator = SoftwareAuthenticator("ES256", origin=server.base_url)
    options = passkey_options(server, contract, token)
    public, flow_id = options["publicKey"], options["flowId"]

    def refused(credential, code, *, body_valid=True, **body):
        add_passkey(server, contract, token, credential, flow_id=flow_id, expect=422, expect_code=code,
                    body_valid=body_valid, **body)

    # Refused answers leave the ceremony open.
    refused(authenticator.create(public, origin="http://phishing.example"), "passkey.origin_mismatch")
    refused(authenticator.create(public, cross_origin=True), "passkey.origin_mismatch")
    refused(authenticator.create(public, rp_id="example.com"), "passkey.rp_id_mismatch")
    refused(authenticator.create(public, challenge=os.urandom(32)), "passkey.challenge_mismatch")
    refused(authenticator.create(public, user_verified=False), "passkey.user_verification_required")
    refused(authenticator.create(public, user_present=False), "passkey.user_verification_required")
    es384 = SoftwareAuthenticator("ES384", origin=server.base_url)
    refused(es384.create(public, check_options=False), "passkey.algorithm_unsupported")
    refused(authenticator.create(public, fmt="fido-u2f", att_stmt={"sig": b"\x30\x00", "x5c": [b"certificate"]}),
            "passkey.attestation_unsupported")
    stranger_signature = ec.generate_private_key(ec.SECP256R1()).sign(b"something else", ec.ECDSA(hashes.SHA256()))
    refused(authenticator.create(public, fmt="packed", att_stmt={"alg": -7, "sig": stranger_signature}),
            "passkey.attestation_invalid")
    refused(authenticator.create(public, fmt="packed", att_stmt={"alg": -8, "sig": stranger_signature}),
            "passkey.attestation_invalid")
    refused(authenticator.create(public, fmt="none", att_stmt={"sig": stranger_signature}), "passkey.attestation_invalid")
    made = authenticator.create(public)
    refused(with_response(made, attestationObject="not base64url!"), "passkey.invalid", body_valid=False)
    refused({**made, "type": "password"}, "passkey.invalid", body_valid=False)
    refused({**made, "rawId": b64url(os.urandom(16))}, "passkey.invalid")
    refused(with_response(made, clientDataJSON=b64url(b'{"type":"webauthn.get"}')), "passkey.invalid")
    for name in ("", "x" * 65, "Tab\there"):
        refused(made, "passkey.name_invalid", name=name)

    for body, field in [({}, "credential"), ({"credential": {"type": "public-key", "response": {}}}, "credential.id"),
                        ({"credential": {"id": made["id"], "type": "public-key"}}, "credential.response"),
                        ({"credential": made, "name": 5}, "name"), ({"credential": made, "flowId": 7}, "flowId")]:
        problem = call(server, contract, PASSKEY_ADD, body=body, token=token, body_valid=False,
                       expect=400, expect_code="request.invalid_field")
        assert problem["field"] == field
    contract.check(PASSKEY_ADD, server.request("POST", "/api/v1/account/passkeys", body=b'{"credential": ', token=token,
                                               headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")
    add_passkey(server, contract, account.registration_token, made, flow_id=flow_id,
                expect=403, expect_code="reauth.required")
    # Ceremonies are the session's own: not another session's, not a sign-in flow, not an unknown id.
    other_session = sign_in(server, contract, account.email)["session"]["token"]
    others = passkey_options(server, contract, other_session)["flowId"]
    login_flow = login(server, contract, account.email)["flowId"]
    for unknown in (others, login_flow, UNKNOWN_ID, "not-a-flow"):
        add_passkey(server, contract, token, made, flow_id=unknown, expect=404, expect_code="flow.not_found")

    registered = add_passkey(server, contract, token, made, flow_id=flow_id)
    assert registered["algorithm"] == -7
    # The ceremony is over.
    add_passkey(server, contract, token, authenticator.create(public), flow_id=flow_id,
                expect=409, expect_code="flow.completed")
    # Without flowId, the session's newest open ceremony: this session has none (the other session's
    # does not count).
    add_passkey(server, contract, token, authenticator.create(public), expect=404, expect_code="flow.not_found")
    # Answering an older ceremony without naming it: the newest one's challenge is expected.
    older = passkey_options(server, contract, token)
    newer = passkey_options(server, contract, token)
    assert older["publicKey"]["challenge"] != newer["publicKey"]["challenge"]
    add_passkey(server, contract, token, SoftwareAuthenticator("ES256", origin=server.base_url).create(older["publicKey"]),
                expect=422, expect_code="passkey.challenge_mismatch")
    # The same credential again, for a fresh ceremony (the client would refuse: the options exclude it).
    assert made["id"] in [descriptor["id"] for descriptor in newer["publicKey"]["excludeCredentials"]]
    again = authenticator.create(newer["publicKey"], credential=authenticator.find_credential(made["id"]),
                                 check_options=False)
    assert again["id"] == made["id"]
    add_passkey(server, contract, token, again, flow_id=newer["flowId"], expect=409,
                expect_code="passkey.already_registered")
    # ...nor to another account.
    stranger = signed_in_account(server, contract, "quinn-other")
    stranger_options = passkey_options(server, contract, stranger.token)
    add_passkey(server, contract, stranger.token,
                authenticator.create(stranger_options["publicKey"], credential=authenticator.find_credential(made["id"])),
                flow_id=stranger_options["flowId"], expect=409, expect_code="passkey.already_registered")
    assert [passkey["id"] for passkey in passkeys_of(server, contract, token)] == [registered["id"]]
    assert passkeys_of(server, contract, stranger.token) == []


def test_an_account_holds_at_most_ten_passkeys(server, contract):
    account = signed_in_account(server, contract, "rolf")
    token = account.token
    def new_authenticator():
        return SoftwareAuthenticator("ES256", origin=server.base_url)

    for index in range(9):
        register_passkey(server, contract, token, new_authenticator(), name=f"Key {index + 1}")
    # Two ceremonies open with nine passkeys; the first to finish makes ten, the other is refused.
    first, second = passkey_options(server, contract, token), passkey_options(server, contract, token)
    add_passkey(server, contract, token, new_authenticator().create(first["publicKey"]), flow_id=first["flowId"])
    problem = add_passkey(server, contract, token, new_authenticator().create(second["publicKey"]),
                          flow_id=second["flowId"], expect=409, expect_code="passkey.limit_reached")
    assert problem["limit"] == 10
    problem = passkey_options(server, contract, token, expect=409, expect_code="passkey.limit_reached")
    assert problem["limit"] == 10
    listed = passkeys_of(server, contract, token)
    assert len(listed) == 10 and listed[0]["name"] == "Key 1"
    call(server, contract, PASSKEY_REMOVE, listed[0]["id"], token=token, expect=204)
    assert len(passkey_options(server, contract, token)["publicKey"]["excludeCredentials"]) == 9


def test_a_passkey_signs_in_alone(server, contract):
    account = passkey_account(server, contract, "sara")
    es256 = account.passkey_authenticator
    eddsa = SoftwareAuthenticator("EdDSA", origin=server.base_url)
    register_passkey(server, contract, account.token, eddsa, fmt="packed")
    # An authenticator that keeps no signature counter reports 0 every time.
    rs256 = SoftwareAuthenticator("RS256", origin=server.base_url, sign_count_step=0)
    register_passkey(server, contract, account.token, rs256)

    options = passkey_sign_in_options(server, contract)
    public = options["publicKey"]
    assert (public["rpId"], public["userVerification"], public["allowCredentials"], public["timeout"]) == \
        ("127.0.0.1", "required", [], 300000)
    assert len(b64url_decode(public["challenge"])) == 32
    assertion = es256.get(public)
    signed_in = passkey_sign_in(server, contract, options["flowId"], assertion, device_name="Passkey laptop")
    assert (signed_in["status"], signed_in["accountId"]) == ("authenticated", account.account_id)
    token = signed_in["session"]["token"]
    current = call(server, contract, SESSION, token=token, expect=200)
    assert current["sessionId"] == signed_in["session"]["id"]
    sessions = call(server, contract, SESSIONS, token=token, expect=200)["sessions"]
    assert [session["device"] for session in sessions if session["current"]] == ["Passkey laptop"]
    # It counts as a fresh re-authentication, like the two-step sign-in.
    assert "reauthenticatedUntil" in call(server, contract, SECURITY, token=token, expect=200)
    # Each ceremony signs in once.
    passkey_sign_in(server, contract, options["flowId"], assertion, expect=409, expect_code="flow.completed")
    for authenticator in (eddsa, rs256, rs256, es256):
        assert sign_in_with_passkey(server, contract, authenticator)["accountId"] == account.account_id
    used = {passkey["algorithm"]: passkey["lastUsedAt"] for passkey in passkeys_of(server, contract, token)}
    assert all(used.values()), used
    events = call(server, contract, ACTIVITY, token=token, expect=200)["events"]
    assert [event["details"].get("method") for event in events if event["kind"] == "login.succeeded"][:5] == \
        ["passkey"] * 5

    # A passkey the server never registered.
    stranger = SoftwareAuthenticator("ES256", origin=server.base_url)
    unregistered_credential(server, stranger)
    sign_in_with_passkey(server, contract, stranger, expect=422, expect_code="passkey.unknown")
    # Wrong answers by a registered passkey count toward the account's lockout (lockout.maxFailures
    # 5 here): a sign-in in between clears the count.
    sign_in_with_passkey(server, contract, es256, origin="http://phishing.example", expect=422,
                         expect_code="passkey.origin_mismatch")
    sign_in_with_passkey(server, contract, es256, cross_origin=True, expect=422, expect_code="passkey.origin_mismatch")
    sign_in_with_passkey(server, contract, es256, rp_id="example.com", expect=422, expect_code="passkey.rp_id_mismatch")
    sign_in_with_passkey(server, contract, eddsa, user_verified=False, expect=422,
                         expect_code="passkey.user_verification_required")
    sign_in_with_passkey(server, contract, es256)
    first, second = passkey_sign_in_options(server, contract), passkey_sign_in_options(server, contract)
    passkey_sign_in(server, contract, second["flowId"], es256.get(first["publicKey"]),
                    expect=422, expect_code="passkey.challenge_mismatch")
    passkey_sign_in(server, contract, second["flowId"], tampered_signature(eddsa.get(second["publicKey"])),
                    expect=422, expect_code="passkey.signature_invalid")
    passkey_sign_in(server, contract, second["flowId"], tampered_signature(rs256.get(second["publicKey"])),
                    expect=422, expect_code="passkey.signature_invalid")
    # A user handle that is not the passkey's account's.
    passkey_sign_in(server, contract, second["flowId"],
                    with_response(es256.get(second["publicKey"]), userHandle=b64url(UNKNOWN_ID.encode())),
                    expect=422, expect_code="passkey.unknown")
    sign_in_with_passkey(server, contract, es256)
    # A signature counter that does not go forward: the passkey may have been copied.
    counted = es256.credentials[0]
    stored = counted.sign_count
    sign_in_with_passkey(server, contract, es256, sign_count=stored, expect=422,
                         expect_code="passkey.sign_count_regressed")
    sign_in_with_passkey(server, contract, es256, sign_count=stored - 1, expect=422,
                         expect_code="passkey.sign_count_regressed")
    counted.sign_count = stored + 100
    sign_in_with_passkey(server, contract, es256)
    events = call(server, contract, ACTIVITY, token=token, expect=200)["events"]
    suspected = [event for event in events if event["kind"] == "passkey.clone_suspected"]
    assert len(suspected) == 2 and suspected[0]["details"]["passkeyId"] == account.passkey["id"], suspected
    failed = {event["details"].get("reason") for event in events
              if event["kind"] == "login.failed" and event["details"].get("method") == "passkey"}
    assert {"passkey.origin_mismatch", "passkey.rp_id_mismatch", "passkey.user_verification_required",
            "passkey.challenge_mismatch", "passkey.signature_invalid", "passkey.unknown",
            "passkey.sign_count_regressed"} <= failed, failed

    # Answers the server cannot read are refused without counting: were these five counted, the
    # right answer at the end would find the account locked.
    options = passkey_sign_in_options(server, contract)
    made = es256.get(options["publicKey"])
    for broken, body_valid in [(with_response(made, signature="@@@"), False),
                               (with_response(made, authenticatorData=b64url(b"short")), True),
                               (with_response(made, clientDataJSON=b64url(b"{}")), True),
                               ({**made, "type": "password"}, False), ({**made, "id": b64url(b"another id")}, True)]:
        passkey_sign_in(server, contract, options["flowId"], broken, body_valid=body_valid,
                        expect=422, expect_code="passkey.invalid")
    for body, field in [({"credential": made}, "flowId"), ({"flowId": options["flowId"]}, "credential"),
                        ({"flowId": options["flowId"], "credential": {"id": made["id"], "type": "public-key"}},
                         "credential.response"),
                        ({"flowId": options["flowId"], "credential": made, "deviceName": 7}, "deviceName")]:
        problem = call(server, contract, PASSKEY_SIGN_IN, body=body, body_valid=False,
                       expect=400, expect_code="request.invalid_field")
        assert problem["field"] == field
    contract.check(PASSKEY_SIGN_IN, server.request("POST", "/api/v1/login/passkey", body=b'{"flowId": ',
                                                   headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")
    password_flow = login(server, contract, account.email)["flowId"]
    for unknown in (UNKNOWN_ID, "not-a-flow", password_flow):
        passkey_sign_in(server, contract, unknown, made, expect=404, expect_code="flow.not_found")
    # The ceremony is still open after the refusals.
    assert passkey_sign_in(server, contract, options["flowId"], made)["accountId"] == account.account_id


def test_a_passkey_is_the_second_factor_of_sign_in_and_re_authentication(server, contract):
    # Without a passkey, the step has no `passkey` member.
    plain = unique_email("tilda-plain")
    register(server, contract, plain)
    assert "passkey" not in login(server, contract, plain)
    account = passkey_account(server, contract, "tilda")
    authenticator = account.passkey_authenticator
    credential = authenticator.credentials[0]
    challenge = login(server, contract, account.email, device_name="Tablet")
    flow_id = challenge["flowId"]
    assert (challenge["methods"], challenge["destinations"]) == (["passkey"], {})
    public = challenge["passkey"]
    assert public["allowCredentials"] == [{"type": "public-key", "id": credential.id_b64,
                                           "transports": ["internal", "hybrid"]}]
    assert (public["rpId"], public["userVerification"]) == ("127.0.0.1", "required")
    status = call(server, contract, LOGIN_FLOW, flow_id, expect=200)
    assert (status["methods"], status["codes"], status["passkey"]) == (["passkey"], {}, public)

    # No code is offered; a passkey answer is needed instead of a code.
    send_code(server, contract, LOGIN_SEND, flow_id, "email", expect=422, expect_code="second_factor.method_unavailable")
    login_verify(server, contract, flow_id, "email_code", "123456", expect=422,
                 expect_code="second_factor.method_unavailable")
    problem = passkey_step(server, contract, LOGIN_VERIFY, flow_id, None, body_valid=False,
                           expect=400, expect_code="request.invalid_field")
    assert problem["field"] == "credential"
    problem = call(server, contract, LOGIN_VERIFY, flow_id, body={"method": "totp", "credential": authenticator.get(public)},
                   body_valid=False, expect=400, expect_code="request.invalid_field")
    assert problem["field"] == "code"
    # Wrong answers (three: the lock is five away); an unreadable one is not counted.
    stranger = SoftwareAuthenticator("ES256", origin=server.base_url)
    passkey_step(server, contract, LOGIN_VERIFY, flow_id,
                 stranger.get(public, credential=unregistered_credential(server, stranger)),
                 expect=422, expect_code="passkey.unknown")
    passkey_step(server, contract, LOGIN_VERIFY, flow_id, authenticator.get(public, origin="http://phishing.example"),
                 expect=422, expect_code="passkey.origin_mismatch")
    other_flow = login(server, contract, account.email)
    passkey_step(server, contract, LOGIN_VERIFY, flow_id, authenticator.get(other_flow["passkey"]),
                 expect=422, expect_code="passkey.challenge_mismatch")
    passkey_step(server, contract, LOGIN_VERIFY, flow_id, with_response(authenticator.get(public), clientDataJSON="e30"),
                 expect=422, expect_code="passkey.invalid")
    assertion = authenticator.get(public)
    signed_in = passkey_step(server, contract, LOGIN_VERIFY, flow_id, assertion)
    stored = credential.sign_count
    assert (signed_in["status"], signed_in["accountId"]) == ("authenticated", account.account_id)
    token = signed_in["session"]["token"]
    passkey_step(server, contract, LOGIN_VERIFY, flow_id, assertion, expect=409, expect_code="flow.completed")
    assert passkeys_of(server, contract, token)[0]["lastUsedAt"] is not None

    # Re-authentication asks for the passkey the same way.
    challenge = call(server, contract, REAUTH, body={"password": STRONG_PASSWORD}, token=token, expect=200)
    reauth_flow = challenge["flowId"]
    assert (challenge["methods"], challenge["destinations"]) == (["passkey"], {})
    assert challenge["passkey"]["allowCredentials"] == public["allowCredentials"]
    send_code(server, contract, REAUTH_SEND, reauth_flow, "email", token=token, expect=422,
              expect_code="second_factor.method_unavailable")
    problem = passkey_step(server, contract, REAUTH_VERIFY, reauth_flow, None, token=token, body_valid=False,
                           expect=400, expect_code="request.invalid_field")
    assert problem["field"] == "credential"
    passkey_step(server, contract, REAUTH_VERIFY, reauth_flow, authenticator.get(challenge["passkey"], user_verified=False),
                 token=token, expect=422, expect_code="passkey.user_verification_required")
    passkey_step(server, contract, REAUTH_VERIFY, reauth_flow, authenticator.get(challenge["passkey"], rp_id="example.com"),
                 token=token, expect=422, expect_code="passkey.rp_id_mismatch")
    passkey_step(server, contract, REAUTH_VERIFY, reauth_flow,
                 tampered_signature(authenticator.get(challenge["passkey"])), token=token,
                 expect=422, expect_code="passkey.signature_invalid")
    passkey_step(server, contract, REAUTH_VERIFY, reauth_flow,
                 authenticator.get(challenge["passkey"], sign_count=stored), token=token,
                 expect=422, expect_code="passkey.sign_count_regressed")
    credential.sign_count = stored + 10
    done = passkey_step(server, contract, REAUTH_VERIFY, reauth_flow, authenticator.get(challenge["passkey"]), token=token)
    assert parse_time(done["reauthenticatedUntil"]) > datetime.now(timezone.utc) + timedelta(minutes=4)
    events = call(server, contract, ACTIVITY, token=token, expect=200)["events"]
    reasons = {event["details"].get("reason") for event in events
               if event["kind"] == "second_factor.failed" and event["details"].get("method") == "passkey"}
    assert {"passkey.unknown", "passkey.origin_mismatch", "passkey.challenge_mismatch",
            "passkey.user_verification_required", "passkey.rp_id_mismatch", "passkey.signature_invalid",
            "passkey.sign_count_regressed"} <= reasons, reasons
    assert "passkey.clone_suspected" in [event["kind"] for event in events]

    # With an authenticator app too, either one is accepted, the passkey first.
    bind_authenticator(server, contract, account)
    challenge = login(server, contract, account.email)
    assert (challenge["methods"], challenge["destinations"]) == (["passkey", "totp"], {})
    login_verify(server, contract, challenge["flowId"], "totp", account.authenticator.code())
    assert call(server, contract, SECURITY, token=token, expect=200)["loginPolicy"]["methods"] == ["passkey", "totp"]


def test_recovery_of_an_account_with_a_passkey_asks_for_the_passkey_or_the_other_channel(server, contract):
    # An email account whose only other factor is a passkey: the passkey is due after the code, and
    # its challenge comes with the answer.
    account = passkey_account(server, contract, "ulla")
    authenticator = account.passkey_authenticator
    flow_id, checked = recovery_code_entered(server, contract, account.email)
    assert (checked["status"], checked["methods"], checked["destinations"]) == \
        ("second_factor_required", ["passkey"], {}), checked
    request = checked["passkey"]
    assert request["userVerification"] == "required" and len(request["allowCredentials"]) == 1, request
    problem = passkey_step(server, contract, RECOVERY_SECOND_FACTOR, flow_id, None, body_valid=False,
                           expect=400, expect_code="request.invalid_field")
    assert problem["field"] == "credential"
    # An answer to another ceremony's challenge, a passkey the server does not know, an unreadable answer.
    elsewhere = passkey_sign_in_options(server, contract)["publicKey"]
    passkey_step(server, contract, RECOVERY_SECOND_FACTOR, flow_id, authenticator.get(elsewhere),
                 expect=422, expect_code="passkey.challenge_mismatch")
    stranger = SoftwareAuthenticator("ES256", origin=server.base_url)
    passkey_step(server, contract, RECOVERY_SECOND_FACTOR, flow_id,
                 stranger.get(elsewhere, credential=unregistered_credential(server, stranger)),
                 expect=422, expect_code="passkey.unknown")
    passkey_step(server, contract, RECOVERY_SECOND_FACTOR, flow_id, with_response(authenticator.get(elsewhere), signature="@@@"),
                 body_valid=False, expect=422, expect_code="passkey.invalid")
    recovery_password(server, contract, flow_id, NEW_PASSWORD, expect=409, expect_code="recovery.second_factor_required")
    verified = passkey_step(server, contract, RECOVERY_SECOND_FACTOR, flow_id, authenticator.get(request))
    assert verified["status"] == "verified", verified
    recovery_password(server, contract, flow_id, NEW_PASSWORD)
    # Every session ended with the reset; the passkey signs in again.
    account.token = sign_in_with_passkey(server, contract, authenticator)["session"]["token"]

    # With a phone number too, a passkey (often on the phone that was lost) does not stand alone:
    # a code to the channel the recovery did not use answers as well.
    phone = bind_phone(server, contract, account)
    flow_id, checked = recovery_code_entered(server, contract, account.email)
    assert (checked["methods"], checked["destinations"]) == (["passkey", "sms_code"], {"sms_code": masked_phone(phone)}), checked
    flow_id, checked = recovery_code_entered(server, contract, phone)
    assert (checked["methods"], checked["destinations"]) == \
        (["passkey", "email_code"], {"email_code": masked_email(account.email)}), checked
    recovery_send_code(server, contract, flow_id, "sms", expect=422, expect_code="second_factor.method_unavailable")
    code = fresh_code(server, contract, RECOVERY_SEND, flow_id, "email", account.email)
    assert recovery_second_factor(server, contract, flow_id, "email_code", code)["status"] == "verified"


def test_wrong_passkey_answers_count_toward_the_lockout(start_server, contract, relaxed_limits):
    guarded = start_server(**cheap_hashing(KEYWARD_LOCKOUT_MAX_FAILURES="2", KEYWARD_CODE_RESEND_INTERVAL="1",
                                           KEYWARD_WEBAUTHN_ORIGINS="https://app.example.com", **relaxed_limits))
    # Alone: an origin of webauthn.origins is accepted besides the public URL's.
    alone = passkey_account(guarded, contract, "vito")
    authenticator = alone.passkey_authenticator
    assert sign_in_with_passkey(guarded, contract, authenticator, origin="https://app.example.com")["accountId"] == \
        alone.account_id
    options = passkey_sign_in_options(guarded, contract)
    passkey_sign_in(guarded, contract, options["flowId"], tampered_signature(authenticator.get(options["publicKey"])),
                    expect=422, expect_code="passkey.signature_invalid")
    locked = passkey_sign_in(guarded, contract, options["flowId"],
                             authenticator.get(options["publicKey"], user_verified=False),
                             expect=423, expect_code="account.locked")
    assert locked["retryAfter"] >= 7000
    # The lock holds for a right answer and for the password too.
    passkey_sign_in(guarded, contract, options["flowId"], authenticator.get(options["publicKey"]),
                    expect=423, expect_code="account.locked")
    login(guarded, contract, alone.email, expect=423, expect_code="account.locked")
    kinds = activity_kinds(guarded, contract, alone.token)
    assert {"lock.placed", "lock.extended", "login.failed"} <= set(kinds), kinds

    # As the second factor.
    second = passkey_account(guarded, contract, "wren")
    challenge = login(guarded, contract, second.email)
    answer = second.passkey_authenticator.get
    passkey_step(guarded, contract, LOGIN_VERIFY, challenge["flowId"], answer(challenge["passkey"], origin="https://other.example"),
                 expect=422, expect_code="passkey.origin_mismatch")
    passkey_step(guarded, contract, LOGIN_VERIFY, challenge["flowId"], answer(challenge["passkey"], rp_id="example.com"),
                 expect=423, expect_code="account.locked")
    passkey_step(guarded, contract, LOGIN_VERIFY, challenge["flowId"], answer(challenge["passkey"]),
                 expect=423, expect_code="account.locked")
    sign_in_with_passkey(guarded, contract, second.passkey_authenticator, expect=423, expect_code="account.locked")


def test_passkey_sign_in_counts_toward_the_client_address_limit(start_server, contract):
    limited = start_server(**cheap_hashing(KEYWARD_RATE_SIGNINS_PER_IP=f"3/{NEVER_ENDING}"))
    first = passkey_sign_in_options(limited, contract)
    passkey_sign_in_options(limited, contract)
    stranger = SoftwareAuthenticator("ES256", origin=limited.base_url)
    passkey_sign_in(limited, contract, first["flowId"], stranger.get(first["publicKey"],
                                                                     credential=unregistered_credential(limited, stranger)),
                    expect=422, expect_code="passkey.unknown")
    problem = passkey_sign_in_options(limited, contract, expect=429, expect_code="rate_limited")
    assert problem["retryAfter"] > 3600
    passkey_sign_in(limited, contract, first["flowId"], stranger.get(first["publicKey"]),
                    expect=429, expect_code="rate_limited")
    login(limited, contract, unique_email("nobody"), expect=429, expect_code="rate_limited")


# ---------------------------------------------------------------------------------------------
# Guesses across operations: every wrong password or second factor counts toward one lockout.
# ---------------------------------------------------------------------------------------------

def test_guesses_beyond_the_failures_left_and_during_a_lock_are_refused_everywhere(start_server, contract, relaxed_limits):
    # One hashing thread and a moderate Argon2id cost: a password check queued behind a few others
    # stays in flight for seconds.
    guarded = start_server(KEYWARD_ARGON2_MEMORY_KIB="2048", KEYWARD_ARGON2_ITERATIONS="2", KEYWARD_HASHING_THREADS="1",
                           KEYWARD_CODE_RESEND_INTERVAL="1", **relaxed_limits)
    account = full_account(guarded, contract, "pia")
    token, authenticator = account.token, account.authenticator
    login_flow = login(guarded, contract, account.email)["flowId"]
    reauth_flow = call(guarded, contract, REAUTH, body={"password": STRONG_PASSWORD}, token=token, expect=200)["flowId"]
    changes = {}
    for kind, value, other in (("phone", unique_phone(), account.email), ("email", unique_email("pia-new"), account.phone)):
        started = start_change(guarded, contract, kind, value, token, old_available=False)
        changes[kind] = (started["flowId"], codes_of_change(guarded, contract, kind, started, token, value, other))

    guesses = {
        LOGIN: lambda **expected: login(guarded, contract, account.email, **expected),
        LOGIN_VERIFY: lambda **expected: login_verify(guarded, contract, login_flow, "totp", authenticator.wrong_code(),
                                                      **expected),
        REAUTH: lambda **expected: call(guarded, contract, REAUTH, body={"password": STRONG_PASSWORD}, token=token,
                                        **expected),
        REAUTH_VERIFY: lambda **expected: reauth_verify(guarded, contract, token, reauth_flow, "totp",
                                                        authenticator.wrong_code(), **expected),
        PASSWORD: lambda **expected: call(guarded, contract, PASSWORD, token=token, **expected,
                                          body={"currentPassword": STRONG_PASSWORD, "newPassword": NEW_PASSWORD}),
        PHONE_VERIFY: lambda **expected: change_verify(guarded, contract, "phone", token, changes["phone"][0], **expected,
                                                       **changes["phone"][1], totpCode=authenticator.wrong_code()),
        EMAIL_VERIFY: lambda **expected: change_verify(guarded, contract, "email", token, changes["email"][0], **expected,
                                                       **changes["email"][1], totpCode=authenticator.wrong_code()),
    }
    # Four wrong authenticator codes: one failure left.
    for _ in range(4):
        login_verify(guarded, contract, login_flow, "totp", authenticator.wrong_code(), expect=422, expect_code="totp.invalid")

    # The fifth guess, a wrong password, is admitted at once but checked behind other hashing work.
    # Until it is checked, the account has no failure left and no lock: every other guess is
    # refused unchecked.
    strangers = [unique_email("stranger") for _ in range(5)]
    queued = [in_background(lambda identifier=identifier: guarded.request(
        "POST", "/api/v1/login", json_body={"identifier": identifier, "password": STRONG_PASSWORD}, timeout=60))
        for identifier in strangers]
    time.sleep(0.3)
    fifth = in_background(lambda: guarded.request("POST", "/api/v1/account/reauth", token=token, timeout=60,
                                                  json_body={"password": "Wrong-Lantern-99"}))
    time.sleep(0.3)
    for operation, guess in guesses.items():
        problem = guess(expect=429, expect_code="rate_limited")
        assert problem["retryAfter"] >= 1
    locked = contract.check(REAUTH, fifth(), expect=423, code="account.locked")
    assert locked["retryAfter"] >= 7000
    for result in queued:
        contract.check(LOGIN, result(), expect=404, code="account.not_found")

    # The fifth failure placed the lock: now every guess is refused and extends it.
    for operation, guess in guesses.items():
        problem = guess(expect=423, expect_code="account.locked")
        assert parse_time(problem["lockedUntil"]) >= parse_time(locked["lockedUntil"])
    kinds = activity_kinds(guarded, contract, token)
    assert {"lock.placed", "lock.extended", "second_factor.failed", "login.failed"} <= set(kinds), kinds


# ---------------------------------------------------------------------------------------------
# Rate limits: a server whose limits are small and whose windows never roll over during a test.
# ---------------------------------------------------------------------------------------------

def test_rate_limits_answer_rate_limited(start_server, contract):
    limited = start_server(**cheap_hashing(
        KEYWARD_CODE_RESEND_INTERVAL="1",
        KEYWARD_RATE_CODES_PER_IP=f"100000/{NEVER_ENDING}",
        KEYWARD_RATE_CODES_PER_DESTINATION=f"2/{NEVER_ENDING}",
        KEYWARD_RATE_SIGNINS_PER_IP=f"100000/{NEVER_ENDING}",
        KEYWARD_RATE_SIGNINS_PER_IDENTIFIER=f"3/{NEVER_ENDING}"))

    # Registration: the first code and one resend fit the destination's limit of two.
    email = unique_email("nina")
    started = start_registration(limited, contract, email)
    wait_until(parse_time(started["resendAvailableAt"]))
    resent, _ = resend(limited, contract, started["registrationId"])
    wait_until(parse_time(resent["resendAvailableAt"]))
    _, reply = resend(limited, contract, started["registrationId"], expect=429, expect_code="rate_limited")
    assert reply.json()["retryAfter"] > 3600
    contract.check(REGISTRATIONS, limited.request("POST", "/api/v1/registrations",
                                                  json_body={"identifier": email, "password": STRONG_PASSWORD}),
                   expect=429, code="rate_limited")

    # Recovery: the registration's code and the recovery's first use up the limit.
    email = unique_email("omar")
    started = start_registration(limited, contract, email)
    verify(limited, contract, started["registrationId"], limited.newest_code(email))
    wait_until(parse_time(started["resendAvailableAt"]))
    recovery = start_recovery(limited, contract, email)
    wait_until(parse_time(recovery["resendAvailableAt"]))
    recovery_resend(limited, contract, recovery["flowId"], expect=429, expect_code="rate_limited")
    start_recovery(limited, contract, email, expect=429, expect_code="rate_limited")

    # Sign-in: three attempts naming one identifier, right or wrong, then 429 before any check.
    challenge = login(limited, contract, email, expect=200)
    login(limited, contract, email, "Wrong-Lantern-99", expect=401, expect_code="credentials.invalid")
    login(limited, contract, email, expect=200)
    problem = login(limited, contract, email, expect=429, expect_code="rate_limited")
    assert problem["retryAfter"] > 3600
    login(limited, contract, unique_email("nobody"), expect=404, expect_code="account.not_found")
    # The sign-in code counts against the destination's limit, which the two codes before used up.
    problem = in_time(lambda: send_code(limited, contract, LOGIN_SEND, challenge["flowId"], "email", expect=None))
    assert (problem["code"], problem["status"]) == ("rate_limited", 429), problem

    # So does the code of a recovery's second factor: recovering by phone, the email address has
    # had its registration and sign-in codes.
    account = signed_in_account(limited, contract, "ravi")
    phone = bind_phone(limited, contract, account)
    flow_id, checked = recovery_code_entered(limited, contract, phone)
    assert checked["methods"] == ["email_code"], checked
    problem = in_time(lambda: recovery_send_code(limited, contract, flow_id, "email", expect=None))
    assert (problem["code"], problem["status"]) == ("rate_limited", 429), problem


# ---------------------------------------------------------------------------------------------
# Strict mode: login.revealAccountExistence off.
# ---------------------------------------------------------------------------------------------

def test_strict_mode_answers_every_failed_sign_in_alike(start_server, contract, relaxed_limits):
    strict = start_server(**cheap_hashing(KEYWARD_LOGIN_REVEAL_ACCOUNT_EXISTENCE="false", KEYWARD_LOCKOUT_MAX_FAILURES="2",
                                          KEYWARD_LOGIN_STRICT_FAILURE_FLOOR_MS="0", **relaxed_limits))
    email = unique_email("pia")
    register(strict, contract, email)
    for identifier in (unique_email("nobody"), "not an identifier"):
        login(strict, contract, identifier, expect=401, expect_code="credentials.invalid")
    login(strict, contract, email, "Wrong-Lantern-99", expect=401, expect_code="credentials.invalid")
    login(strict, contract, email, "Wrong-Lantern-99", expect=401, expect_code="credentials.invalid")
    login(strict, contract, email, expect=401, expect_code="credentials.invalid")  # locked

    # Recovery for an identifier without an account looks the same, but no code is sent.
    stranger = unique_email("nobody")
    recovery = start_recovery(strict, contract, stranger)
    assert recovery["channel"] == "email"
    recovery_verify(strict, contract, recovery["flowId"], "123456", expect=422, expect_code="code.invalid")
    assert not [message for message in strict.mailbox() if message.get("to") == stranger]


# ---------------------------------------------------------------------------------------------
# Overload: a server with one hashing thread and room for one waiting job.
# ---------------------------------------------------------------------------------------------

def test_a_full_hashing_queue_answers_server_busy(start_server, contract, relaxed_limits):
    busy = start_server(KEYWARD_HASHING_THREADS="1", KEYWARD_HASHING_QUEUE_LIMIT="1", KEYWARD_ARGON2_ITERATIONS="3",
                        KEYWARD_ARGON2_MEMORY_KIB="4096", KEYWARD_CODE_RESEND_INTERVAL="1", **relaxed_limits)
    # Set up one request at a time: a recovery waiting for its new password, a session for
    # re-authentication, and a fresh one (of a third account) for password changes.
    email, changer = unique_email("load"), unique_email("load")
    started = start_registration(busy, contract, email)
    registration_code = busy.newest_code(email)
    verify(busy, contract, started["registrationId"], registration_code)
    register(busy, contract, changer)
    reauthenticating = register(busy, contract, unique_email("load"))["session"]["token"]
    flow_id = in_time(lambda: start_recovery(busy, contract, email, expect=None))["flowId"]
    recovery_verify(busy, contract, flow_id, busy.newest_code(email, exclude=(registration_code,)))
    changing = sign_in(busy, contract, changer)["session"]["token"]

    requests = [(LOGIN, "/api/v1/login", {"identifier": unique_email("load"), "password": STRONG_PASSWORD}, None)
                for _ in range(24)]
    requests += [(REGISTRATIONS, "/api/v1/registrations", {"identifier": unique_email("load"), "password": STRONG_PASSWORD}, None)
                 for _ in range(12)]
    requests += [(RECOVERY_PASSWORD, f"/api/v1/recovery/{flow_id}/password", {"newPassword": NEW_PASSWORD}, None)
                 for _ in range(8)]
    requests += [(REAUTH, "/api/v1/account/reauth", {"password": STRONG_PASSWORD}, reauthenticating) for _ in range(8)]
    requests += [(PASSWORD, "/api/v1/account/password",
                  {"currentPassword": "Wrong-Lantern-99", "newPassword": NEW_PASSWORD}, changing) for _ in range(8)]
    # Guesses for one account beyond its failures left are refused (429) before hashing; wrong
    # current passwords may lock it (423).
    allowed = {LOGIN: {404}, REGISTRATIONS: {201}, RECOVERY_PASSWORD: {200, 409}, REAUTH: {200, 429},
               PASSWORD: {422, 423, 429}}

    def send(index):
        operation, path, body, token = requests[index]
        return operation, busy.request(operation[0], path, json_body=body, token=token, timeout=120)

    answers = in_parallel(len(requests), send)
    busy_by_operation = {operation: 0 for operation in allowed}
    for operation, reply in answers:
        body = contract.check(operation, reply)
        if reply.status == 503:
            assert body["code"] == "server.busy" and body["retryAfter"] >= 1
            busy_by_operation[operation] += 1
        else:
            assert reply.status in allowed[operation], f"{operation}: {reply.status} {reply.body[:300]!r}"
    assert all(busy_by_operation.values()), f"no 503 server.busy for some operation: {busy_by_operation}"


# ---------------------------------------------------------------------------------------------
# Edge cases of the contract: non-object bodies, the Bearer challenge, punctual resends.
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [b"[1]", b"null", b'"text"', b"42"])
def test_a_json_body_that_is_not_an_object_is_malformed(server, contract, raw):
    reply = server.request("POST", "/api/v1/login", body=raw, headers={"Content-Type": "application/json"})
    contract.check(LOGIN, reply, expect=400, code="request.malformed")


@pytest.mark.parametrize("raw", [
    b'{"identifier": "a@example.com", "identifier": "b@example.com", "password": "Tr4velling-Lynx"}',
    b'{"identifier": "a@example.com", "identif\\u0069er": "b@example.com", "password": "Tr4velling-Lynx"}',
])
def test_a_member_named_twice_is_malformed(server, contract, raw):
    reply = server.request("POST", "/api/v1/login", body=raw, headers={"Content-Type": "application/json"})
    contract.check(LOGIN, reply, expect=400, code="request.malformed")


def test_session_required_carries_a_bearer_challenge(server, contract):
    reply = server.request("GET", "/api/v1/session")
    contract.check(SESSION, reply, expect=401, code="session.required")
    assert reply.headers.get("www-authenticate", "").lower().startswith("bearer")


def test_a_resend_at_resend_available_at_succeeds(server, contract):
    # Three registrations make a pass by luck (a true time within a few ms of a whole second) unlikely.
    started = [start_registration(server, contract, unique_email("punctual")) for _ in range(3)]
    statuses = []
    for registration in started:
        wait_until(parse_time(registration["resendAvailableAt"]), slack=0.0)
        _, reply = resend(server, contract, registration["registrationId"], expect=None)
        statuses.append(reply.status)
    assert statuses == [202, 202, 202], statuses


# ---------------------------------------------------------------------------------------------
# Flows that run out of time and codes that die early: a server of their own, started with the
# module so that its flows have expired by the time the last tests run.
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module", autouse=True)
def short_flows(start_server, contract, relaxed_limits) -> SimpleNamespace:
    """A server whose flows last 60 s (the least `login.flowLifetime` allows), whose codes work for
    60 s (the least `code.lifetime` allows) and die at the second wrong entry. As the module starts,
    one flow of each kind and a registration are opened on it in the background (`opened()` waits
    for them), while the other tests run."""
    server = start_server(**cheap_hashing(KEYWARD_LOGIN_FLOW_LIFETIME="60", KEYWARD_CODE_LIFETIME="60",
                                          KEYWARD_CODE_MAX_ATTEMPTS="2", KEYWARD_CODE_RESEND_INTERVAL="1",
                                          **relaxed_limits))

    def open_flows() -> SimpleNamespace:
        pending = unique_email("quincy")
        registration = start_registration(server, contract, pending)["registrationId"]
        registration_code = server.newest_code(pending)
        account = signed_in_account(server, contract, "quentin")
        token = account.token
        started = {"phone": start_change(server, contract, "phone", unique_phone(), token),
                   "login": login(server, contract, account.email),
                   "reauth": call(server, contract, REAUTH, body={"password": STRONG_PASSWORD}, token=token, expect=200),
                   "email": start_change(server, contract, "email", unique_email("quentin-new"), token)}
        for answer in started.values():
            assert parse_time(answer["expiresAt"]) <= datetime.now(timezone.utc) + timedelta(seconds=61), answer
        return SimpleNamespace(token=token, flows={kind: answer["flowId"] for kind, answer in started.items()},
                               expire=max(parse_time(answer["expiresAt"]) for answer in started.values()),
                               registration=(registration, registration_code))

    return SimpleNamespace(server=server, opened=in_background(open_flows))


def test_a_second_factor_code_dies_after_too_many_wrong_entries(short_flows, contract):
    server = short_flows.server  # code.maxAttempts 2
    # Two accounts, as each takes three failures here: a fourth and fifth would lock it.
    email, other = unique_email("rita"), unique_email("rita")
    register(server, contract, email)
    token = register(server, contract, other)["session"]["token"]
    challenge = login(server, contract, email)
    code = fresh_code(server, contract, LOGIN_SEND, challenge["flowId"], "email", email)
    problem = login_verify(server, contract, challenge["flowId"], "email_code", wrong_code(code),
                           expect=422, expect_code="code.invalid")
    assert problem["attemptsRemaining"] == 1
    login_verify(server, contract, challenge["flowId"], "email_code", wrong_code(code), expect=410, expect_code="code.exhausted")
    login_verify(server, contract, challenge["flowId"], "email_code", code, expect=410, expect_code="code.exhausted")

    flow_id = call(server, contract, REAUTH, body={"password": STRONG_PASSWORD}, token=token, expect=200)["flowId"]
    code = fresh_code(server, contract, REAUTH_SEND, flow_id, "email", other, token=token)
    reauth_verify(server, contract, token, flow_id, "email_code", wrong_code(code), expect=422, expect_code="code.invalid")
    reauth_verify(server, contract, token, flow_id, "email_code", wrong_code(code), expect=410, expect_code="code.exhausted")
    reauth_verify(server, contract, token, flow_id, "email_code", code, expect=410, expect_code="code.exhausted")
    # A new code works.
    reauth_verify(server, contract, token, flow_id, "email_code",
                  fresh_code(server, contract, REAUTH_SEND, flow_id, "email", other, token=token))


def test_flows_expire(short_flows, contract):
    opened = short_flows.opened()
    server, token, flows = short_flows.server, opened.token, opened.flows
    wait_until(opened.expire, slack=1.1)
    call(server, contract, LOGIN_FLOW, flows["login"], expect=410, expect_code="flow.expired")
    send_code(server, contract, LOGIN_SEND, flows["login"], "email", expect=410, expect_code="flow.expired")
    login_verify(server, contract, flows["login"], "email_code", "123456", expect=410, expect_code="flow.expired")
    send_code(server, contract, REAUTH_SEND, flows["reauth"], "email", token=token, expect=410, expect_code="flow.expired")
    reauth_verify(server, contract, token, flows["reauth"], "email_code", "123456", expect=410, expect_code="flow.expired")
    for kind in ("phone", "email"):
        call(server, contract, CHANGE_RESEND[kind], flows[kind], token=token, expect=410, expect_code="flow.expired")
        change_verify(server, contract, kind, token, flows[kind], newCode="123456", oldCode="123456",
                      expect=410, expect_code="flow.expired")
    # The registration lasts longer than its code, sent before these flows opened.
    registration, code = opened.registration
    verify(server, contract, registration, code, expect=410, expect_code="code.expired")


# ---------------------------------------------------------------------------------------------
# Coverage: keep last.
# ---------------------------------------------------------------------------------------------

def test_every_documented_answer_and_code_was_seen(contract):
    documented = {(method, template, key)
                  for method, template, operation in contract.operations() for key in operation["responses"]}
    for entry in UNREACHABLE:
        if isinstance(entry, tuple):
            assert entry in documented, f"UNREACHABLE lists {entry}, which the document no longer has"
        else:
            assert entry in contract.problem_codes, f"UNREACHABLE lists {entry}, which ProblemCode no longer has"
    unreachable_codes = {entry for entry in UNREACHABLE if isinstance(entry, str)}

    def only_unreachable_codes(entry):
        method, template, key = entry
        response, _ = contract.resolve(contract.document["paths"][template][method.lower()]["responses"][key], "")
        codes = set()
        for part in response.get("content", {}).get("application/problem+json", {}).get("schema", {}).get("allOf", []):
            codes |= set(part.get("properties", {}).get("code", {}).get("enum", []))
        return bool(codes) and codes <= unreachable_codes

    # An older path documented as an alias (`x-alias-of`) runs the same handler as its target: an
    # answer seen from either counts for both (test_older_resend_paths_answer_as_send_code checks
    # that they answer alike).
    aliases = {}
    for method, template, operation in contract.operations():
        if "x-alias-of" in operation:
            aliases[(method, template)] = (method, operation["x-alias-of"])
            aliases[(method, operation["x-alias-of"])] = (method, template)
    seen = contract.seen | {(*aliases[(method, template)], key) for method, template, key in contract.seen
                            if (method, template) in aliases}
    expected = {entry for entry in documented if entry not in UNREACHABLE and not only_unreachable_codes(entry)}
    missing = sorted(expected - seen)
    assert not missing, (f"documented answers no test provoked (cover them or list them in UNREACHABLE; "
                         f"run the folder Tests/api as a whole): {missing}")

    expected_codes = contract.problem_codes - unreachable_codes
    missing_codes = sorted(expected_codes - contract.codes_seen)
    assert not missing_codes, f"documented codes no test provoked (run the folder Tests/api as a whole): {missing_codes}"
