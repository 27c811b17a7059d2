"""Support cases through the JSON API, held against the OpenAPI document like every other answer.

A case opens three ways: from a sign-in's second step once the password was right (the factors
named unavailable, and a code to a channel still there), without the password (a code to the
identifier given, answered alike for an identifier no account has), or signed in. Its token opens
that one case; documents are judged by their bytes and refused as they stream in past the limit;
a case about a lost factor needs an ID and a selfie before it goes to review.

Answers are checked with the session's ``contract`` (conftest.py), so what these tests provoke
counts toward the coverage test that ends ``test_openapi_contract`` (which runs after this module);
the helpers that drive registration, sign-in and the authenticator app come from that module.

Servers of this module's own: ``strict`` (codes that expire after 60 s and die at the second wrong
entry, documents of at most 2048 bytes and two a case, one case an account a day), started with
the module so that the codes it sends in the background have expired by the time the test that
needs them runs; ``limited`` (two codes per destination) for the code limits.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import MAILBOX_TIMEOUT, Reply
from test_openapi_contract import (ACTIVITY, BODY_LIMIT, CASE, CASE_DOCUMENTS, CASE_LIST, CASE_MESSAGES, CASE_OPEN,
                                   CASE_SUBMIT, CASE_VERIFY, LOGIN_FLOW, NEVER_ENDING, READY, SESSION, UNAVAILABLE,
                                   UNAVAILABLE_SEND, UNKNOWN_ID, bind_authenticator, bind_phone, call, cheap_hashing,
                                   in_background, in_time, login, login_verify, masked_email, masked_phone,
                                   parse_time, path_of, register, second_step, signed_in_account, start_registration,
                                   unique_email, unique_phone, wait_until, wrong_code)

DEFAULT_DOCUMENT_LIMIT = 10 * 1024 * 1024  # support.maxDocumentBytes
STRICT_DOCUMENT_LIMIT = 2048  # the least support.maxDocumentBytes allows
RESPONSE_HOURS = 48  # support.responseHours
CASES_PER_DAY = 5  # support.casesPerAccountPerDay
LOST_FACTOR_REQUIREMENTS = [{"type": "id_front", "satisfied": False}, {"type": "selfie", "satisfied": False}]
CASE_KEYS = {"caseId", "topic", "status", "createdAt", "respondBy", "requirements", "documents", "messages", "decision"}
BOUNDARY = "keyward-contract-7f3a9c"
DESCRIPTION = "My phone was stolen with the authenticator app on it."


# ---------------------------------------------------------------------------------------------
# Files, judged by their bytes.
# ---------------------------------------------------------------------------------------------

def jpeg(marker: bytes = b"", padding: int = 16) -> bytes:
    """A JPEG as far as the server can tell: SOI and a segment marker, then EOI at the end."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + marker + b"\x00" * padding + b"\xff\xd9"


def png(marker: bytes = b"") -> bytes:
    """The PNG signature, an IHDR chunk (1x1, 8-bit RGB), then IEND."""
    ihdr = b"\x00\x00\x00\x0dIHDR" + b"\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + b"\x90\x77\x53\xde"
    return b"\x89PNG\r\n\x1a\n" + ihdr + marker + b"\x00\x00\x00\x00IEND\xaeB`\x82"


def pdf(version: bytes = b"1.7", marker: bytes = b"") -> bytes:
    return (b"%PDF-" + version + b"\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + marker
            + b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def multipart(parts, boundary: str = BOUNDARY) -> bytes:
    """A multipart/form-data body of `parts`, each (name, bytes, filename or None)."""
    body = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename:
            body += b"Content-Type: application/octet-stream\r\n"
        body += b"\r\n" + value + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


def upload(server, contract, case_id: str, token: str | None, kind: str | None, file: bytes | None, *,
           filename: str = "document.jpg", expect=201, expect_code=None):
    """One document as the browser's form sends it: a `type` part and a `file` part (either left
    out when None)."""
    parts = ([("type", kind.encode(), None)] if kind is not None else []) + \
            ([("file", file, filename)] if file is not None else [])
    return raw_upload(server, contract, case_id, token, multipart(parts), expect=expect, expect_code=expect_code)


def raw_upload(server, contract, case_id: str, token: str | None, body: bytes, *,
               content_type: str | None = f"multipart/form-data; boundary={BOUNDARY}", expect=None, expect_code=None):
    headers = {"Content-Type": content_type} if content_type else {}
    reply = server.request("POST", path_of(CASE_DOCUMENTS, case_id), body=body, headers=headers, token=token)
    return contract.check(CASE_DOCUMENTS, reply, expect=expect, code=expect_code)


def chunked_upload(server, case_id: str, token: str, pieces, *, finish: bool = True, timeout: float = 60.0):
    """Sends `pieces` (the multipart body, in parts) with `Transfer-Encoding: chunked` and no
    Content-Length from a thread, and reads the answer meanwhile, so that an answer the server
    gives before the body ends (or after closing the connection early) is read all the same. With
    `finish` False the body is never ended. Once the answer is read the connection is shut down,
    whatever the sender still had to send. Returns the answer and what the sender got through."""
    sock = socket.create_connection((server.host, server.port), timeout=timeout)
    progress = {"bytes": 0, "finished": False, "error": None}

    def send():
        try:
            for piece in pieces:
                sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                progress["bytes"] += len(piece)
            if finish:
                sock.sendall(b"0\r\n\r\n")
                progress["finished"] = True
        except OSError as error:  # the server may stop reading, or close, once it has answered
            progress["error"] = repr(error)

    try:
        sock.sendall((f"POST {path_of(CASE_DOCUMENTS, case_id)} HTTP/1.1\r\n"
                      f"Host: {server.host}:{server.port}\r\n"
                      f"Authorization: Bearer {token}\r\n"
                      f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                      "Transfer-Encoding: chunked\r\n"
                      "Accept: application/json, application/problem+json\r\n\r\n").encode())
        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            pytest.fail(f"no answer to a chunked upload ({error!r}); the sender got through {progress}")
        reply = Reply(response.status, {name.lower(): value for name, value in response.getheaders()}, body)
        return reply, dict(progress)
    finally:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # ends a sender still blocked in sendall
        except OSError:
            pass
        sock.close()


def document_parts(file_head: bytes, kind: str = "other") -> bytes:
    """The start of a multipart body whose `file` part begins with `file_head` and is left open."""
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\n{kind}\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode() + file_head


# ---------------------------------------------------------------------------------------------
# Helpers that drive the support desk.
# ---------------------------------------------------------------------------------------------

def authenticator_account(server, contract, label: str, *, phone: bool = False) -> SimpleNamespace:
    """A signed-in email account with an authenticator app bound (and a phone number with `phone`)."""
    account = signed_in_account(server, contract, label)
    if phone:
        bind_phone(server, contract, account)
    bind_authenticator(server, contract, account)
    return account


def waiting_sign_in(server, contract, account) -> str:
    """Step 1 of a sign-in (the right password); returns the flow waiting for its second factor."""
    challenge = login(server, contract, account.email)
    assert challenge["status"] == "second_factor_required", challenge
    return challenge["flowId"]


def send_proof(server, contract, flow_id: str, channel: str, *, expect=202, expect_code=None, body_valid=True):
    return call(server, contract, UNAVAILABLE_SEND, flow_id, body={"channel": channel}, body_valid=body_valid,
                expect=expect, expect_code=expect_code)


def proof_code(server, contract, flow_id: str, channel: str, destination: str) -> str:
    """Asks for a code to `channel` for the sign-in (within the resend interval) and reads it."""
    seen = server.codes(destination)
    sent = in_time(lambda: send_proof(server, contract, flow_id, channel, expect=None))
    assert set(sent) == {"channel", "destination", "resendAvailableAt"}, f"expected 202, got {sent}"
    assert sent["channel"] == channel, sent
    return server.newest_code(destination, exclude=seen)


def unavailable(server, contract, flow_id: str, factors, description: str = DESCRIPTION, *, method=None, code=None,
                expect=201, expect_code=None, body_valid=True):
    body = {"unavailable": factors, "description": description}
    if method is not None:
        body["method"] = method
    if code is not None:
        body["code"] = code
    return call(server, contract, UNAVAILABLE, flow_id, body=body, body_valid=body_valid, expect=expect,
                expect_code=expect_code)


def open_case(server, contract, token: str, topic: str = "other", description: str = "Where is my deposit?", *,
              expect=201, expect_code=None, body_valid=True):
    """Opens a case for the account of the session `token`."""
    return call(server, contract, CASE_OPEN, body={"topic": topic, "description": description}, token=token,
                body_valid=body_valid, expect=expect, expect_code=expect_code)


def start_opening(server, contract, identifier: str, topic: str = "phone_lost",
                  description: str = "My number was cancelled.", *, expect=202, expect_code=None, body_valid=True):
    """Opens a case without a session: a code to `identifier`."""
    return call(server, contract, CASE_OPEN, body={"identifier": identifier, "topic": topic, "description": description},
                body_valid=body_valid, expect=expect, expect_code=expect_code)


def verify_opening(server, contract, case_id: str, code: str, *, expect=200, expect_code=None):
    return call(server, contract, CASE_VERIFY, case_id, body={"code": code}, expect=expect, expect_code=expect_code)


def opening_with_code(server, contract, identifier: str, topic: str = "phone_lost", *,
                      destination: str | None = None, then=None) -> tuple[dict, str]:
    """Starts an opening for `identifier` (waiting out a resend interval if one is the answer),
    calls `then()` if given, and reads the code sent to `destination` (the identifier as the
    mailbox shows it); returns the answer and the code."""
    destination = destination or identifier
    seen = server.codes(destination)
    started = in_time(lambda: start_opening(server, contract, identifier, topic, expect=None))
    assert set(started) == {"caseId", "channel", "resendAvailableAt"}, f"expected 202, got {started}"
    if then is not None:
        then()
    return started, server.newest_code(destination, exclude=seen)


def message(server, contract, case_id: str, token: str | None, body, *, expect=201, expect_code=None, body_valid=True):
    return call(server, contract, CASE_MESSAGES, case_id, body={"body": body}, token=token, body_valid=body_valid,
                expect=expect, expect_code=expect_code)


def view(server, contract, case_id: str, token: str | None, *, expect=200, expect_code=None):
    return call(server, contract, CASE, case_id, token=token, expect=expect, expect_code=expect_code)


def submit(server, contract, case_id: str, token: str | None, *, expect=200, expect_code=None):
    return call(server, contract, CASE_SUBMIT, case_id, token=token, expect=expect, expect_code=expect_code)


def list_cases(server, contract, token: str | None, *, expect=200, expect_code=None):
    return call(server, contract, CASE_LIST, token=token, expect=expect, expect_code=expect_code)


def assert_opened(opened: dict, topic: str, requirements: list[dict]):
    """A case that has just opened: the answer's members, its token, nothing added yet."""
    assert set(opened) == CASE_KEYS | {"caseToken"}, sorted(opened)
    assert (opened["topic"], opened["status"], opened["requirements"]) == (topic, "open", requirements), opened
    assert (opened["documents"], opened["messages"], opened["respondBy"], opened["decision"]) == ([], [], None, None)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", opened["caseToken"]), opened["caseToken"]
    assert abs(parse_time(opened["createdAt"]) - datetime.now(timezone.utc)) < timedelta(minutes=1), opened


def without_token(opened: dict) -> dict:
    return {key: value for key, value in opened.items() if key != "caseToken"}


def notice(server, to: str, case_id: str) -> dict:
    """The message to `to` that names the case, polling the development mailbox for it."""
    deadline = time.monotonic() + MAILBOX_TIMEOUT
    while True:
        for found in server.messages(to):
            if case_id in found.get("subject", "") + found.get("body", ""):
                return found
        if time.monotonic() > deadline:
            pytest.fail(f"no message naming case {case_id} reached {to} within {MAILBOX_TIMEOUT:.0f} s: "
                        f"{[found.get('subject') for found in server.messages(to)]}")
        time.sleep(0.1)


def assert_notice_keeps_the_token_out(server, to: str, case_id: str, case_token: str):
    found = notice(server, to, case_id)
    text = found.get("subject", "") + "\n" + found.get("body", "")
    assert case_token not in text, f"the notice to {to} carries the case token: {text!r}"
    assert "code" not in found or found["code"] is None, f"the notice to {to} looks like a code: {found}"


def activity_details(server, contract, token: str, kind: str) -> list[dict]:
    events = call(server, contract, ACTIVITY, token=token, expect=200)["events"]
    return [event["details"] for event in events if event["kind"] == kind]


def unknown_case() -> str:
    return str(uuid.uuid4())


# ---------------------------------------------------------------------------------------------
# Servers of this module's own.
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module", autouse=True)
def strict(start_server, contract, relaxed_limits) -> SimpleNamespace:
    """A server whose codes work for 60 s (the least `code.lifetime` allows) and die at the second
    wrong entry, whose documents hold at most 2048 bytes and two a case, and whose accounts open
    one case a day. As the module starts, a proof code for a sign-in and the code of a case opening
    are sent on it in the background (`expiring()` waits for them), while the other tests run."""
    server = start_server(**cheap_hashing(
        KEYWARD_CODE_LIFETIME="60", KEYWARD_CODE_MAX_ATTEMPTS="2", KEYWARD_CODE_RESEND_INTERVAL="1",
        KEYWARD_SUPPORT_MAX_DOCUMENT_BYTES=str(STRICT_DOCUMENT_LIMIT), KEYWARD_SUPPORT_MAX_DOCUMENTS="2",
        KEYWARD_SUPPORT_CASES_PER_ACCOUNT_PER_DAY="1", **relaxed_limits))

    def send_codes() -> SimpleNamespace:
        account = authenticator_account(server, contract, "expiring")
        flow_id = waiting_sign_in(server, contract, account)
        code = proof_code(server, contract, flow_id, "email", account.email)
        proof_sent = datetime.now(timezone.utc)
        owner = unique_email("expiring-opening")
        register(server, contract, owner)
        opening, opening_code = opening_with_code(server, contract, owner)
        opening_sent = datetime.now(timezone.utc)
        return SimpleNamespace(flow_id=flow_id, code=code, case_id=opening["caseId"], opening_code=opening_code,
                               expired=max(proof_sent, opening_sent) + timedelta(seconds=60))

    return SimpleNamespace(server=server, expiring=in_background(send_codes))


@pytest.fixture(scope="module")
def limited(start_server) -> object:
    """A server that lets one destination have two codes, ever (the resend interval is 1 s)."""
    return start_server(**cheap_hashing(
        KEYWARD_CODE_RESEND_INTERVAL="1",
        KEYWARD_RATE_CODES_PER_IP=f"100000/{NEVER_ENDING}",
        KEYWARD_RATE_CODES_PER_DESTINATION=f"2/{NEVER_ENDING}",
        KEYWARD_RATE_SIGNINS_PER_IP=f"100000/{NEVER_ENDING}",
        KEYWARD_RATE_SIGNINS_PER_IDENTIFIER=f"100000/{NEVER_ENDING}"))


@pytest.fixture(scope="module")
def some_case(server, contract) -> SimpleNamespace:
    """A case of an account of the main server, opened signed in, for requests that need one to exist."""
    account = signed_in_account(server, contract, "holder")
    opened = open_case(server, contract, account.token)
    return SimpleNamespace(id=opened["caseId"], token=opened["caseToken"], account=account)


# ---------------------------------------------------------------------------------------------
# From a sign-in's second step.
# ---------------------------------------------------------------------------------------------

def test_a_lost_authenticator_opens_a_case_from_the_sign_in_with_an_email_code(server, contract):
    account = authenticator_account(server, contract, "lost-app")
    flow_id = waiting_sign_in(server, contract, account)

    # What still works must prove the case: here the email address.
    problem = unavailable(server, contract, flow_id, ["totp"], expect=422, expect_code="case.proof_required")
    assert problem["channels"] == "email", problem
    for factors, valid in ((["sms"], True), (["passkey"], True), (["totp", "sms"], True), ([], False), (["fax"], False)):
        unavailable(server, contract, flow_id, factors, body_valid=valid, expect=422, expect_code="case.unavailable_invalid")
    for description in ("   ", "\n\t", "x" * 4001, "Lost \u0007 phone", "Lost\u0000"):
        unavailable(server, contract, flow_id, ["totp"], description, expect=422, expect_code="case.description_invalid")
    unavailable(server, contract, flow_id, ["totp"], method="email_code", code="123456",
                expect=409, expect_code="second_factor.code_not_sent")
    unavailable(server, contract, flow_id, ["totp"], method="sms_code", code="123456",
                expect=422, expect_code="second_factor.method_unavailable")
    unavailable(server, contract, flow_id, ["totp"], method="totp", code="123456", body_valid=False,
                expect=422, expect_code="second_factor.method_unavailable")
    unavailable(server, contract, flow_id, ["totp"], method="carrier_pigeon", code="123456", body_valid=False,
                expect=422, expect_code="second_factor.method_invalid")
    # A method without a code (or the reverse) proves nothing.
    problem = unavailable(server, contract, flow_id, ["totp"], method="email_code", expect=422,
                          expect_code="case.proof_required")
    assert problem["channels"] == "email"
    unavailable(server, contract, flow_id, ["totp"], code="123456", expect=422, expect_code="case.proof_required")

    send_proof(server, contract, flow_id, "sms", expect=422, expect_code="second_factor.method_unavailable")
    problem = send_proof(server, contract, flow_id, "pigeon", body_valid=False, expect=400,
                         expect_code="request.invalid_field")
    assert problem["field"] == "channel"
    seen = server.codes(account.email)
    sent = in_time(lambda: send_proof(server, contract, flow_id, "email", expect=None))
    assert sent["destination"] == masked_email(account.email) and sent["channel"] == "email", sent
    again = send_proof(server, contract, flow_id, "email", expect=429, expect_code="code.resend_too_soon")
    assert parse_time(again["resendAvailableAt"]) == parse_time(sent["resendAvailableAt"])
    code = server.newest_code(account.email, exclude=seen)

    problem = unavailable(server, contract, flow_id, ["totp"], method="email_code", code=wrong_code(code),
                          expect=422, expect_code="code.invalid")
    assert problem["attemptsRemaining"] == 4
    # A new code replaces the one before.
    wait_until(parse_time(sent["resendAvailableAt"]))
    older, code = code, proof_code(server, contract, flow_id, "email", account.email)
    if older != code:
        unavailable(server, contract, flow_id, ["totp"], method="email_code", code=older, expect=422,
                    expect_code="code.invalid")
    # The code proves the case only: it never signs in an account that has an authenticator.
    login_verify(server, contract, flow_id, "email_code", code, expect=422, expect_code="second_factor.method_unavailable")

    opened = unavailable(server, contract, flow_id, ["totp"], f"  {DESCRIPTION}\n", method="email_code",
                         code=f"{code[:3]} {code[3:]}")
    assert_opened(opened, "authenticator_lost", LOST_FACTOR_REQUIREMENTS)
    case_id, case_token = opened["caseId"], opened["caseToken"]

    # The sign-in is over: it opened the case instead.
    unavailable(server, contract, flow_id, ["totp"], method="email_code", code=code, expect=410, expect_code="flow.expired")
    send_proof(server, contract, flow_id, "email", expect=410, expect_code="flow.expired")
    call(server, contract, LOGIN_FLOW, flow_id, expect=410, expect_code="flow.expired")
    login_verify(server, contract, flow_id, "totp", account.authenticator.code(), expect=410, expect_code="flow.expired")

    # The owner is told, without the key; the activity records what proved the case.
    assert_notice_keeps_the_token_out(server, account.email, case_id, case_token)
    opened_events = activity_details(server, contract, account.token, "support_case.opened")
    assert {"caseId": case_id, "topic": "authenticator_lost", "proofs": "password,email_code"}.items() <= \
        opened_events[0].items(), opened_events

    # The token opens this case, and nothing else.
    assert view(server, contract, case_id, case_token) == without_token(opened)
    reply = server.request("GET", path_of(CASE, case_id))
    contract.check(CASE, reply, expect=401, code="case.token_required")
    assert reply.headers.get("www-authenticate", "").lower().startswith("bearer")
    view(server, contract, case_id, case_token[::-1], expect=404, expect_code="case.not_found")
    view(server, contract, unknown_case(), case_token, expect=404, expect_code="case.not_found")
    contract.check(SESSION, server.request("GET", "/api/v1/session", token=case_token), expect=401, code="session.required")
    list_cases(server, contract, case_token, expect=401, expect_code="session.required")
    # The owner's session sees it too.
    assert view(server, contract, case_id, account.token) == without_token(opened)
    assert list_cases(server, contract, account.token)["cases"] == [
        {"caseId": case_id, "topic": "authenticator_lost", "status": "open", "createdAt": opened["createdAt"]}]


def test_the_channels_left_prove_a_case_and_name_its_topic(server, contract):
    account = authenticator_account(server, contract, "all-factors", phone=True)
    cases = {}
    # (named unavailable, the channels left, the channel that proves it, the topic)
    for factors, left, channel, topic in ((["totp"], "email,sms", "sms", "authenticator_lost"),
                                          (["sms"], "email", "email", "phone_lost"),
                                          (["email", "email"], "sms", "sms", "email_lost")):
        flow_id = waiting_sign_in(server, contract, account)
        problem = unavailable(server, contract, flow_id, factors, expect=422, expect_code="case.proof_required")
        assert problem["channels"] == left, (factors, problem)
        other = "email" if channel == "sms" else "sms"
        if other not in left:
            # A code to a channel named unavailable proves nothing.
            unavailable(server, contract, flow_id, factors, method=f"{other}_code", code="123456",
                        expect=422, expect_code="second_factor.method_unavailable")
        destination = account.phone if channel == "sms" else account.email
        seen = server.codes(destination)
        sent = in_time(lambda: send_proof(server, contract, flow_id, channel, expect=None))
        assert sent["destination"] == (masked_phone(account.phone) if channel == "sms" else masked_email(account.email))
        code = server.newest_code(destination, exclude=seen)
        opened = unavailable(server, contract, flow_id, factors, method=f"{channel}_code", code=code)
        assert_opened(opened, topic, LOST_FACTOR_REQUIREMENTS)
        cases[opened["caseId"]] = opened["caseToken"]

    # Every case was announced on both channels, never with its key.
    for case_id, case_token in cases.items():
        for destination in (account.email, account.phone):
            assert_notice_keeps_the_token_out(server, destination, case_id, case_token)
    listed = list_cases(server, contract, account.token)["cases"]
    assert {entry["caseId"] for entry in listed} == set(cases)
    # Each token opens its own case only.
    first, second = list(cases)[:2]
    view(server, contract, first, cases[second], expect=404, expect_code="case.not_found")


def test_naming_every_channel_opens_a_case_with_the_password_alone(server, contract):
    email = unique_email("only-email")
    token = register(server, contract, email)["session"]["token"]
    flow_id = login(server, contract, email)["flowId"]
    opened = unavailable(server, contract, flow_id, ["email"], "My mailbox was deleted by the provider.")
    assert_opened(opened, "email_lost", LOST_FACTOR_REQUIREMENTS)
    assert activity_details(server, contract, token, "support_case.opened")[0]["proofs"] == "password"
    assert_notice_keeps_the_token_out(server, email, opened["caseId"], opened["caseToken"])


def test_sign_in_case_errors(server, contract):
    registration = start_registration(server, contract, unique_email("no-flow"))["registrationId"]
    for flow_id in (UNKNOWN_ID, registration, "not-a-flow"):
        send_proof(server, contract, flow_id, "email", expect=404, expect_code="flow.not_found")
        unavailable(server, contract, flow_id, ["totp"], expect=404, expect_code="flow.not_found")

    for body in ({}, {"channel": 5}, {"channel": None}):
        problem = call(server, contract, UNAVAILABLE_SEND, UNKNOWN_ID, body=body, body_valid=False, expect=400,
                       expect_code="request.invalid_field")
        assert problem["field"] == "channel"
    for body, field in [({"description": DESCRIPTION}, "unavailable"),
                        ({"unavailable": "totp", "description": DESCRIPTION}, "unavailable"),
                        ({"unavailable": ["totp"]}, "description"),
                        ({"unavailable": ["totp"], "description": 7}, "description"),
                        ({"unavailable": ["totp"], "description": DESCRIPTION, "method": 5, "code": "1"}, "method"),
                        ({"unavailable": ["totp"], "description": DESCRIPTION, "method": "email_code", "code": 123456},
                         "code")]:
        problem = call(server, contract, UNAVAILABLE, UNKNOWN_ID, body=body, body_valid=False, expect=400,
                       expect_code="request.invalid_field")
        assert problem["field"] == field, (body, problem)
    for operation in (UNAVAILABLE_SEND, UNAVAILABLE):
        reply = server.request("POST", path_of(operation, UNKNOWN_ID), body=b"{", headers={"Content-Type": "application/json"})
        contract.check(operation, reply, expect=400, code="request.malformed")

    # A finished sign-in takes no case.
    account = authenticator_account(server, contract, "finished")
    challenge = login(server, contract, account.email)
    second_step(server, contract, challenge, authenticator=account.authenticator)
    send_proof(server, contract, challenge["flowId"], "email", expect=409, expect_code="flow.completed")
    unavailable(server, contract, challenge["flowId"], ["totp"], expect=409, expect_code="flow.completed")


def test_a_mistyped_list_element_names_the_list(server, contract):
    problem = call(server, contract, UNAVAILABLE, UNKNOWN_ID, body={"unavailable": [1], "description": DESCRIPTION},
                   body_valid=False, expect=400, expect_code="request.invalid_field")
    assert problem["field"] == "unavailable[0]", problem


def test_wrong_proof_codes_count_toward_the_lockout(server, contract):
    account = authenticator_account(server, contract, "guesser")
    flow_id = waiting_sign_in(server, contract, account)
    code = proof_code(server, contract, flow_id, "email", account.email)
    # lockout.maxFailures 5 and code.maxAttempts 5: four wrong codes, then the fifth locks.
    for remaining in (4, 3, 2, 1):
        problem = unavailable(server, contract, flow_id, ["totp"], method="email_code", code=wrong_code(code),
                              expect=422, expect_code="code.invalid")
        assert problem["attemptsRemaining"] == remaining
    locked = unavailable(server, contract, flow_id, ["totp"], method="email_code", code=wrong_code(code),
                         expect=423, expect_code="account.locked")
    assert locked["retryAfter"] >= 3600
    # The lock holds for the right code and for the other steps of the sign-in.
    unavailable(server, contract, flow_id, ["totp"], method="email_code", code=code, expect=423, expect_code="account.locked")
    send_proof(server, contract, flow_id, "email", expect=423, expect_code="account.locked")
    call(server, contract, LOGIN_FLOW, flow_id, expect=423, expect_code="account.locked")
    assert list_cases(server, contract, account.token)["cases"] == []


def test_a_proof_code_dies_after_too_many_wrong_entries(strict, contract):
    server = strict.server  # code.maxAttempts 2
    account = authenticator_account(server, contract, "exhausting")
    flow_id = waiting_sign_in(server, contract, account)
    code = proof_code(server, contract, flow_id, "email", account.email)
    problem = unavailable(server, contract, flow_id, ["totp"], method="email_code", code=wrong_code(code),
                          expect=422, expect_code="code.invalid")
    assert problem["attemptsRemaining"] == 1
    unavailable(server, contract, flow_id, ["totp"], method="email_code", code=wrong_code(code),
                expect=410, expect_code="code.exhausted")
    unavailable(server, contract, flow_id, ["totp"], method="email_code", code=code, expect=410, expect_code="code.exhausted")
    # A new code works.
    opened = unavailable(server, contract, flow_id, ["totp"], method="email_code",
                         code=proof_code(server, contract, flow_id, "email", account.email))
    assert_opened(opened, "authenticator_lost", LOST_FACTOR_REQUIREMENTS)


# ---------------------------------------------------------------------------------------------
# Without the password, and signed in.
# ---------------------------------------------------------------------------------------------

def test_a_case_opens_without_the_password_and_an_unknown_identifier_is_answered_alike(server, contract):
    email = unique_email("no-password")
    token = register(server, contract, email)["session"]["token"]
    nobody, nobody_phone = unique_email("nobody"), unique_phone()

    # The resend interval holds a second opening back, for an identifier an account has or not.
    def again(identifier):
        problem = start_opening(server, contract, identifier, expect=429, expect_code="code.resend_too_soon")
        assert problem["retryAfter"] >= 1

    real, code = opening_with_code(server, contract, email.upper(), destination=email, then=lambda: again(email))
    fake = start_opening(server, contract, nobody)
    again(nobody)
    assert set(fake) == set(real) and (real["channel"], fake["channel"]) == ("email", "email"), (real, fake)
    assert real["caseId"] != fake["caseId"]
    assert start_opening(server, contract, nobody_phone)["channel"] == "sms"

    # Wrong codes are answered alike, and no code opens the unknown identifier's case.
    wrong_real = verify_opening(server, contract, real["caseId"], wrong_code(code), expect=422, expect_code="code.invalid")
    wrong_fake = verify_opening(server, contract, fake["caseId"], wrong_code(code), expect=422, expect_code="code.invalid")
    assert wrong_real["attemptsRemaining"] == wrong_fake["attemptsRemaining"] == 4
    verify_opening(server, contract, fake["caseId"], code, expect=422, expect_code="code.invalid")
    for _ in range(2):
        verify_opening(server, contract, fake["caseId"], code, expect=422, expect_code="code.invalid")
    verify_opening(server, contract, fake["caseId"], code, expect=410, expect_code="code.exhausted")

    opened = verify_opening(server, contract, real["caseId"], f"{code[:3]}-{code[3:]}")
    assert_opened(opened, "phone_lost", LOST_FACTOR_REQUIREMENTS)
    assert opened["caseId"] == real["caseId"]
    verify_opening(server, contract, real["caseId"], code, expect=409, expect_code="case.opening_completed")
    for case_id in (unknown_case(), "not-a-case"):
        verify_opening(server, contract, case_id, code, expect=404, expect_code="case.not_found")
    assert_notice_keeps_the_token_out(server, email, opened["caseId"], opened["caseToken"])
    # Nothing went to the identifiers without an account (messages leave in order: the notice,
    # queued after their openings, has arrived).
    assert server.messages(nobody) == [] and server.messages(nobody_phone) == []
    assert activity_details(server, contract, token, "support_case.opened")[0]["proofs"] == "email_code"
    assert view(server, contract, opened["caseId"], opened["caseToken"]) == without_token(opened)
    assert [entry["caseId"] for entry in list_cases(server, contract, token)["cases"]] == [opened["caseId"]]


def test_opening_input_errors(server, contract):
    email = unique_email("opening-errors")
    register(server, contract, email)
    start_opening(server, contract, "not an identifier", expect=422, expect_code="identifier.invalid")
    # A lost authenticator is reported from the sign-in, with the password.
    start_opening(server, contract, email, "authenticator_lost", expect=422, expect_code="case.topic_invalid")
    start_opening(server, contract, email, "lost", body_valid=False, expect=422, expect_code="case.topic_invalid")
    for description in ("", " \n ", "x" * 4001, "Help\u001b[31m"):
        start_opening(server, contract, email, "other", description, body_valid=description != "",
                      expect=422, expect_code="case.description_invalid")
    # Without a session the identifier is needed; the schema cannot say so (it is ignored signed in).
    problem = call(server, contract, CASE_OPEN, body={"topic": "other", "description": "Help"}, body_valid=None,
                   expect=400, expect_code="request.invalid_field")
    assert problem["field"] == "identifier"
    # A bearer token that is no live session counts as none.
    problem = call(server, contract, CASE_OPEN, body={"topic": "other", "description": "Help"}, token="A" * 43,
                   body_valid=None, expect=400, expect_code="request.invalid_field")
    assert problem["field"] == "identifier"
    for body, field in [({"identifier": email, "description": "Help"}, "topic"),
                        ({"identifier": email, "topic": "other"}, "description"),
                        ({"identifier": 5, "topic": "other", "description": "Help"}, "identifier"),
                        ({"identifier": email, "topic": ["other"], "description": "Help"}, "topic")]:
        problem = call(server, contract, CASE_OPEN, body=body, body_valid=False, expect=400,
                       expect_code="request.invalid_field")
        assert problem["field"] == field, (body, problem)
    for body, field in [({}, "code"), ({"code": 123456}, "code")]:
        problem = call(server, contract, CASE_VERIFY, UNKNOWN_ID, body=body, body_valid=False, expect=400,
                       expect_code="request.invalid_field")
        assert problem["field"] == field
    for operation, path in ((CASE_OPEN, "/api/v1/support/cases"), (CASE_VERIFY, path_of(CASE_VERIFY, UNKNOWN_ID))):
        reply = server.request("POST", path, body=b'{"topic": ', headers={"Content-Type": "application/json"})
        contract.check(operation, reply, expect=400, code="request.malformed")


def test_a_signed_in_person_opens_cases_at_once_and_no_other_account_sees_them(server, contract):
    email = unique_email("signed-in")
    token = register(server, contract, email)["session"]["token"]
    stranger_email = unique_email("stranger")
    stranger = register(server, contract, stranger_email)["session"]["token"]

    first = open_case(server, contract, token, "other", "Where is my deposit?")
    assert_opened(first, "other", [])
    time.sleep(1.1)  # newest first: a later second than the first case's
    cases = {first["caseId"]: first}
    for topic, requirements in (("authenticator_lost", LOST_FACTOR_REQUIREMENTS), ("account_restricted", []),
                                ("account_frozen", LOST_FACTOR_REQUIREMENTS)):
        opened = open_case(server, contract, token, topic, f"About {topic}.")
        assert_opened(opened, topic, requirements)
        cases[opened["caseId"]] = opened
    # Signed in, an identifier is ignored: the case is the session's account's.
    opened = call(server, contract, CASE_OPEN, token=token, expect=201,
                  body={"identifier": stranger_email, "topic": "other", "description": "Not for the stranger."})
    cases[opened["caseId"]] = opened
    listed = list_cases(server, contract, token)["cases"]
    assert {entry["caseId"] for entry in listed} == set(cases) and listed[-1]["caseId"] == first["caseId"], listed
    assert all(entry == {key: cases[entry["caseId"]][key] for key in ("caseId", "topic", "status", "createdAt")}
               for entry in listed), listed

    # Another account's session sees none of them; their tokens open their own cases only.
    assert list_cases(server, contract, stranger)["cases"] == []
    view(server, contract, first["caseId"], stranger, expect=404, expect_code="case.not_found")
    message(server, contract, first["caseId"], stranger, "Hello", expect=404, expect_code="case.not_found")
    submit(server, contract, first["caseId"], stranger, expect=404, expect_code="case.not_found")
    upload(server, contract, first["caseId"], stranger, "other", jpeg(), expect=404, expect_code="case.not_found")
    assert view(server, contract, first["caseId"], token) == without_token(first)
    reply = server.request("GET", "/api/v1/support/cases")
    contract.check(CASE_LIST, reply, expect=401, code="session.required")
    assert reply.headers.get("www-authenticate", "").lower().startswith("bearer")

    open_case(server, contract, token, "lost", body_valid=False, expect=422, expect_code="case.topic_invalid")
    open_case(server, contract, token, "other", "  ", expect=422, expect_code="case.description_invalid")

    # Five cases a day, however they open.
    problem = open_case(server, contract, token, "email_lost", expect=429, expect_code="rate_limited")
    assert problem["retryAfter"] >= 1
    started, code = opening_with_code(server, contract, email, "email_lost")
    verify_opening(server, contract, started["caseId"], code, expect=429, expect_code="rate_limited")
    flow_id = login(server, contract, email)["flowId"]
    unavailable(server, contract, flow_id, ["email"], expect=429, expect_code="rate_limited")
    assert len(list_cases(server, contract, token)["cases"]) == CASES_PER_DAY
    # The refused sign-in case left the sign-in waiting.
    assert call(server, contract, LOGIN_FLOW, flow_id, expect=200)["status"] == "second_factor_required"


# ---------------------------------------------------------------------------------------------
# Documents, messages, review.
# ---------------------------------------------------------------------------------------------

def test_a_case_takes_documents_judged_by_their_bytes_then_goes_to_review(server, contract):
    account = signed_in_account(server, contract, "documents")
    control = uuid.uuid4().hex  # in the description, which is stored as it is
    opened = open_case(server, contract, account.token, "account_frozen", f"I froze my account ({control}).")
    case_id, token = opened["caseId"], opened["caseToken"]

    problem = submit(server, contract, case_id, token, expect=422, expect_code="case.requirements_missing")
    assert problem["missing"] == "id_front,selfie"

    # Judged by the bytes, never the name or the declared type.
    refused = [b"my id card", b"<html><script>alert(1)</script></html>", b"\xff\xd8\xff\xe0 no end of image",
               png()[:32], png().replace(b"IHDR", b"IHDX"), pdf(version=b"3.0"), pdf()[:-7] + b"\n",
               b"%PDF-1.7\n%%EOF", b"", b"\xff\xd8\xff\xd9"[:3]]
    for file in refused:
        upload(server, contract, case_id, token, "id_front", file, filename="front.jpg", expect=415,
               expect_code="document.type_unsupported")
    upload(server, contract, case_id, token, "passport", jpeg(), expect=422, expect_code="document.kind_invalid")
    upload(server, contract, case_id, token, "", jpeg(), expect=422, expect_code="document.kind_invalid")

    marker = uuid.uuid4().hex.encode()
    front = upload(server, contract, case_id, token, "id_front", png(marker), filename="front.txt")
    assert (front["type"], front["contentType"], front["bytes"]) == ("id_front", "image/png", len(png(marker))), front
    problem = submit(server, contract, case_id, token, expect=422, expect_code="case.requirements_missing")
    assert problem["missing"] == "selfie"
    selfie = upload(server, contract, case_id, token, "selfie", jpeg(marker), filename="selfie.pdf")
    assert (selfie["type"], selfie["contentType"]) == ("selfie", "image/jpeg"), selfie
    extra = [upload(server, contract, case_id, account.token, "other", pdf(version, marker), filename="bill.png")
             for version in (b"1.4", b"2.0")]
    assert [document["contentType"] for document in extra] == ["application/pdf", "application/pdf"]
    back = upload(server, contract, case_id, token, "id_back", jpeg(padding=3000))
    assert back["bytes"] == len(jpeg(padding=3000))

    current = view(server, contract, case_id, token)
    assert current["documents"] == [front, selfie, *extra, back], current["documents"]
    assert current["requirements"] == [{"type": "id_front", "satisfied": True}, {"type": "selfie", "satisfied": True}]
    assert current["status"] == "open" and current["respondBy"] is None

    # Sealed at rest: the files' bytes are nowhere in the database, where the description is.
    stored = b"".join(path.read_bytes() for path in Path(server.data_dir).glob("keyward.sqlite*"))
    assert control.encode() in stored, "the database files were not found where the description is stored"
    assert marker not in stored, "a document's bytes are stored in the clear"

    # Messages: checked like the description, trimmed, oldest first.
    for body in ("", "   ", "x" * 4001, "Bell\u0007"):
        message(server, contract, case_id, token, body, body_valid=body != "", expect=422,
                expect_code="case.message_invalid")
    for body in (None, 5, ["text"]):
        problem = message(server, contract, case_id, token, body, body_valid=False, expect=400,
                          expect_code="request.invalid_field")
        assert problem["field"] == "body"
    problem = call(server, contract, CASE_MESSAGES, case_id, body={}, token=token, body_valid=False, expect=400,
                   expect_code="request.invalid_field")
    assert problem["field"] == "body"
    first = message(server, contract, case_id, token, "  I can also send a utility bill.\n\tIt has my address.  ")
    assert [(entry["from"], entry["body"]) for entry in first["messages"]] == \
        [("person", "I can also send a utility bill.\n\tIt has my address.")], first["messages"]
    longest = message(server, contract, case_id, account.token, "é" * 4000)
    assert [entry["body"] for entry in longest["messages"]] == [first["messages"][0]["body"], "é" * 4000]

    before = datetime.now(timezone.utc).replace(microsecond=0)
    submitted = submit(server, contract, case_id, token)
    after = datetime.now(timezone.utc)
    assert submitted["status"] == "in_review", submitted
    respond_by = parse_time(submitted["respondBy"])
    assert before + timedelta(hours=RESPONSE_HOURS) <= respond_by <= after + timedelta(hours=RESPONSE_HOURS), submitted
    assert {key: value for key, value in submitted.items() if key not in ("status", "respondBy")} == \
        {key: value for key, value in longest.items() if key not in ("status", "respondBy")}
    submit(server, contract, case_id, token, expect=409, expect_code="case.already_submitted")
    submit(server, contract, case_id, account.token, expect=409, expect_code="case.already_submitted")
    # While support reviews it, the person can still write.
    assert len(message(server, contract, case_id, token, "One more thing.")["messages"]) == 3
    assert view(server, contract, case_id, token)["status"] == "in_review"
    assert [entry["status"] for entry in list_cases(server, contract, account.token)["cases"]] == ["in_review"]
    kinds = [event["kind"] for event in call(server, contract, ACTIVITY, token=account.token, expect=200)["events"]]
    assert {"support_case.opened", "support_case.document_uploaded", "support_case.message",
            "support_case.submitted"} <= set(kinds), kinds


def test_a_case_that_needs_nothing_goes_to_review_at_once(server, contract, some_case):
    submitted = submit(server, contract, some_case.id, some_case.token)
    assert (submitted["status"], submitted["requirements"]) == ("in_review", []), submitted


def test_case_operations_need_the_case_token_or_the_owners_session(server, contract, some_case):
    unknown = unknown_case()
    for case_id, token, status, code in ((some_case.id, None, 401, "case.token_required"),
                                         (some_case.id, "A" * 43, 404, "case.not_found"),
                                         (some_case.id, some_case.token[:-1], 404, "case.not_found"),
                                         (unknown, some_case.token, 404, "case.not_found"),
                                         ("not-a-case", some_case.token, 404, "case.not_found")):
        view(server, contract, case_id, token, expect=status, expect_code=code)
        message(server, contract, case_id, token, "Hello", expect=status, expect_code=code)
        submit(server, contract, case_id, token, expect=status, expect_code=code)
        upload(server, contract, case_id, token, "other", jpeg(), expect=status, expect_code=code)
    # Who may write is settled before the body is read.
    reply = server.request("POST", path_of(CASE_MESSAGES, some_case.id), body=b"[",
                           headers={"Content-Type": "application/json"})
    contract.check(CASE_MESSAGES, reply, expect=401, code="case.token_required")
    for headers in ({"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}):
        reply = server.request("GET", path_of(CASE, some_case.id), headers=headers)
        contract.check(CASE, reply, expect=401, code="case.token_required")


def test_upload_errors(server, contract, some_case):
    case_id, token = some_case.id, some_case.token
    document = ("file", jpeg(), "id.jpg")
    upload(server, contract, case_id, token, None, jpeg(), expect=400, expect_code="document.upload_invalid")
    upload(server, contract, case_id, token, "id_front", None, expect=400, expect_code="document.upload_invalid")
    for parts in ([], [("type", b"id_front", None), ("type", b"selfie", None), document],
                  [("type", b"id_front", None), document, document], [("type", b"x" * 100, None), document]):
        raw_upload(server, contract, case_id, token, multipart(parts), expect=400, expect_code="document.upload_invalid")
    well_formed = multipart([("type", b"other", None), document])
    for content_type in (None, "application/json", "text/plain", "multipart/form-data", "multipart/form-data; boundary=",
                         'multipart/form-data; boundary=""', "multipart/mixed; boundary=" + BOUNDARY,
                         "multipart/form-data; boundary=" + "b" * 71):
        raw_upload(server, contract, case_id, token, well_formed, content_type=content_type, expect=400,
                   expect_code="document.upload_invalid")
    raw_upload(server, contract, case_id, token, b'{"type": "id_front"}', content_type="application/json",
               expect=400, expect_code="document.upload_invalid")
    for body in (b"", b"garbage", f"--{BOUNDARY}\r\ngarbage".encode(), well_formed[:len(well_formed) // 2]):
        raw_upload(server, contract, case_id, token, body, expect=400, expect_code="document.upload_invalid")
    # A boundary of 70 characters, the most RFC 2046 allows, quoted or not, and other parts ignored.
    longest = "b" * 70
    raw_upload(server, contract, case_id, token, multipart([("type", b"other", None), document], longest),
               content_type=f"multipart/form-data; boundary={longest}", expect=201)
    raw_upload(server, contract, case_id, token, multipart([("note", b"hi", None), ("type", b"other", None), document]),
               content_type=f'multipart/form-data; boundary="{BOUNDARY}"', expect=201)


# Bodies no client should send, each with a name for the test id: (name, Content-Type, body).
GARBAGE = [
    ("json-array", "application/json", b"[1]"),
    ("json-null", "application/json", b"null"),
    ("json-string", "application/json", b'"text"'),
    ("json-cut", "application/json", b"{"),
    ("not-utf8", "application/json", b"\xff\xfe"),
    ("member-twice", "application/json", b'{"a": 1, "a": 2}'),
    ("deeply-nested", "application/json", b'{"x":' * 5000),
    ("no-body-no-type", None, b""),
    ("text-plain", "text/plain", b"{}"),
    ("multipart-no-boundary", "multipart/form-data", b"--x\r\n\r\n--x--\r\n"),
    ("multipart-boundary-71", "multipart/form-data; boundary=" + "z" * 71, b"--z\r\n"),
    ("multipart-json-array", "multipart/form-data; boundary=x", b"[]"),
    ("multipart-file-cut", "multipart/form-data; boundary=x",
     b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\n\xff\xd8\xff'),
    ("multipart-headers-only", "multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\n"),
]
CASE_OPERATIONS = [UNAVAILABLE_SEND, UNAVAILABLE, CASE_OPEN, CASE_VERIFY, CASE_MESSAGES, CASE_DOCUMENTS, CASE_SUBMIT]


@pytest.mark.parametrize("operation, content_type, body", [
    pytest.param(operation, content_type, body, id=f"{operation[1].rsplit('/', 1)[-1]}-{name}")
    for operation in CASE_OPERATIONS for name, content_type, body in GARBAGE
])
def test_garbage_gets_a_documented_answer_never_a_500(server, contract, some_case, operation, content_type, body):
    flow_id = login(server, contract, some_case.account.email)["flowId"] if operation[1].startswith("/api/v1/login") \
        else some_case.id
    token = some_case.token if "{id}" in operation[1] and operation[1].startswith("/api/v1/support") else None
    reply = server.request(operation[0], path_of(operation, flow_id), body=body, token=token,
                           headers={"Content-Type": content_type} if content_type else {})
    contract.check(operation, reply)
    assert 400 <= reply.status < 500 or (operation == CASE_SUBMIT and reply.status in (200, 409)), \
        f"{operation}: {reply.status} {reply.body[:300]!r}"
    for trace in (b".swift:", b"Fatal error", b"Traceback", b"backtrace"):
        assert trace not in reply.body, f"{operation}: the answer shows a stack trace: {reply.body[:500]!r}"


# Every support operation that takes a JSON body, and whether it needs the case token.
JSON_OPERATIONS = [(UNAVAILABLE_SEND, False), (UNAVAILABLE, False), (CASE_OPEN, False), (CASE_VERIFY, False),
                   (CASE_MESSAGES, True)]


@pytest.mark.parametrize("operation, with_token", JSON_OPERATIONS,
                         ids=[operation[1].rsplit("/", 1)[-1] for operation, _ in JSON_OPERATIONS])
def test_a_support_body_over_the_limit_or_not_json_is_refused(server, contract, some_case, operation, with_token):
    path = path_of(operation, some_case.id if with_token else UNKNOWN_ID)
    token = some_case.token if with_token else None
    body = ('{"identifier": "big@example.com", "topic": "other", "code": "1", "body": "'
            + "x" * BODY_LIMIT + '"}').encode()
    reply = server.request(operation[0], path, body=body, headers={"Content-Type": "application/json"}, token=token)
    problem = contract.check(operation, reply, expect=413, code="request.too_large")
    assert problem["limitBytes"] == BODY_LIMIT
    small = b'{"identifier": "text@example.com", "topic": "other", "description": "x", "code": "1", "body": "x"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        reply = server.request(operation[0], path, body=small, headers={"Content-Type": content_type}, token=token)
        contract.check(operation, reply, expect=415, code="request.unsupported_media_type")


# ---------------------------------------------------------------------------------------------
# Limits.
# ---------------------------------------------------------------------------------------------

def test_a_20_mib_chunked_upload_is_refused_as_it_streams(server, contract, some_case):
    # The default support.maxDocumentBytes (10 MiB); no Content-Length tells the server the size.
    block = b"A" * 65536
    pieces = [document_parts(b"\xff\xd8\xff\xe0")] + [block] * (20 * 16) + [b"\xff\xd9\r\n" + f"--{BOUNDARY}--\r\n".encode()]
    documents = view(server, contract, some_case.id, some_case.token)["documents"]
    reply, progress = chunked_upload(server, some_case.id, some_case.token, pieces)
    problem = contract.check(CASE_DOCUMENTS, reply, expect=413, code="document.too_large")
    assert problem["limit"] == DEFAULT_DOCUMENT_LIMIT, (problem, progress)
    assert contract.check(READY, server.request("GET", "/readyz"), expect=200) == {"status": "ready"}
    assert view(server, contract, some_case.id, some_case.token)["documents"] == documents


def test_documents_past_the_limits_are_refused(strict, contract):
    server = strict.server  # support.maxDocumentBytes 2048, support.maxDocuments 2
    account = signed_in_account(server, contract, "small-files")
    opened = open_case(server, contract, account.token)
    case_id, token = opened["caseId"], opened["caseToken"]

    largest = jpeg(padding=STRICT_DOCUMENT_LIMIT - len(jpeg(padding=0)))
    assert len(largest) == STRICT_DOCUMENT_LIMIT
    problem = upload(server, contract, case_id, token, "id_front", largest + b"\x00", expect=413,
                     expect_code="document.too_large")
    assert problem["limit"] == STRICT_DOCUMENT_LIMIT
    # Declared far larger than any acceptable upload: refused before it is read.
    problem = upload(server, contract, case_id, token, "id_front", jpeg(padding=200_000), expect=413,
                     expect_code="document.too_large")
    assert problem["limit"] == STRICT_DOCUMENT_LIMIT
    # Streamed without a length, and never ended: refused as the file grows past the limit (an
    # answer only at the end of the body would never come, and the read would time out).
    reply, progress = chunked_upload(server, case_id, token, [document_parts(b"\xff\xd8\xff\xe0")] + [b"B" * 8192] * 24,
                                     finish=False, timeout=20)
    problem = contract.check(CASE_DOCUMENTS, reply, expect=413, code="document.too_large")
    assert problem["limit"] == STRICT_DOCUMENT_LIMIT, (problem, progress)

    assert upload(server, contract, case_id, token, "id_front", largest)["bytes"] == STRICT_DOCUMENT_LIMIT
    upload(server, contract, case_id, token, "selfie", png())
    problem = upload(server, contract, case_id, token, "other", pdf(), expect=409, expect_code="document.limit_reached")
    assert problem["limit"] == 2
    assert len(view(server, contract, case_id, token)["documents"]) == 2
    assert contract.check(READY, server.request("GET", "/readyz"), expect=200) == {"status": "ready"}


def test_the_daily_case_limit_is_a_setting(strict, contract):
    server = strict.server  # support.casesPerAccountPerDay 1
    account = authenticator_account(server, contract, "one-a-day")
    open_case(server, contract, account.token)
    problem = open_case(server, contract, account.token, expect=429, expect_code="rate_limited")
    assert problem["retryAfter"] >= 1
    flow_id = waiting_sign_in(server, contract, account)
    code = proof_code(server, contract, flow_id, "email", account.email)
    unavailable(server, contract, flow_id, ["totp"], method="email_code", code=code, expect=429, expect_code="rate_limited")


def test_a_right_proof_code_refused_by_the_daily_limit_does_not_count_toward_the_lockout(strict, contract):
    server = strict.server  # support.casesPerAccountPerDay 1, lockout.maxFailures 5 (the default)
    account = authenticator_account(server, contract, "refused-proof")
    open_case(server, contract, account.token)
    flow_id = waiting_sign_in(server, contract, account)
    code = proof_code(server, contract, flow_id, "email", account.email)
    for _ in range(5):
        unavailable(server, contract, flow_id, ["totp"], method="email_code", code=code, expect=429,
                    expect_code="rate_limited")
    # The owner, with the right password and authenticator code, still signs in.
    challenge = login(server, contract, account.email, expect=200)
    second_step(server, contract, challenge, authenticator=account.authenticator)


def test_the_code_limits_apply_to_support_codes(limited, contract):
    server = limited  # two codes per destination, ever
    # A proof code for a sign-in counts: the registration's code and one proof code use the limit up.
    email = unique_email("limited-proof")
    register(server, contract, email)
    flow_id = login(server, contract, email)["flowId"]
    sent = in_time(lambda: send_proof(server, contract, flow_id, "email", expect=None))
    assert "destination" in sent, sent
    wait_until(parse_time(sent["resendAvailableAt"]))
    problem = send_proof(server, contract, flow_id, "email", expect=429, expect_code="rate_limited")
    assert problem["retryAfter"] > 3600
    # So does an opening's code, for an identifier an account has or not, alike.
    start_opening(server, contract, email, expect=429, expect_code="rate_limited")
    nobody = unique_email("limited-nobody")
    started = start_opening(server, contract, nobody)
    wait_until(parse_time(started["resendAvailableAt"]))
    started = start_opening(server, contract, nobody)
    wait_until(parse_time(started["resendAvailableAt"]))
    problem = start_opening(server, contract, nobody, expect=429, expect_code="rate_limited")
    assert problem["retryAfter"] > 3600


def test_codes_expire(strict, contract):
    server = strict.server  # code.lifetime 60
    sent = strict.expiring()
    wait_until(sent.expired, slack=1.1)
    unavailable(server, contract, sent.flow_id, ["totp"], method="email_code", code=sent.code, expect=410,
                expect_code="code.expired")
    verify_opening(server, contract, sent.case_id, sent.opening_code, expect=410, expect_code="code.expired")
