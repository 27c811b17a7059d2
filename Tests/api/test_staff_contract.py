"""The support desk's staff side through the JSON API, held against the OpenAPI document.

Staff are added on the server's machine (`keyward staff add`, which prints a one-time enrolment
link), enrol with a password and an authenticator app, and sign in with both at once. This module
covers enrolment, staff sessions (refusals answered alike, the limits per address and per client,
signing out, disabling), which credentials open the staff routes (only a staff session: never a
customer's session, a case token or an operator key), the queue, a case with what staff need to
decide it, the person's documents as sandboxed attachments, and the operator's read-only view of
the cases. Actions on cases, their approval and the person's confirmation of a new phone number or
address are in ``test_staff_actions_contract``, which uses the helpers defined here.

Answers are checked with the session's ``contract`` (conftest.py), so that what these tests
provoke counts toward the coverage test that ends ``test_openapi_contract``. Authenticator codes
come from the ``Authenticator`` of that module, which never offers a time step twice: the server
takes each step once, enrolment's confirmation included.

Servers of this module's own: ``desk`` (cheap hashing, relaxed customer limits, the operator key),
and, started by the tests that need them, one whose staff sign-in limits are reached and one whose
hashing queue is full. Staff sign-in limits (10 attempts per address, 30 per client address in 15
minutes) are fixed, and every test server is reached from 127.0.0.1, so no server here takes more
than 30 staff sign-ins.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from conftest import OPERATOR_KEY, _binary
from test_openapi_contract import (ACTIVITY, BODY_LIMIT, SESSION, UNKNOWN_ID, Authenticator, call, cheap_hashing,
                                   in_parallel, parse_time, signed_in_account, unique_email)
from test_support_cases_contract import (CASE_LIST, activity_details, authenticator_account, jpeg, open_case,
                                         pdf, png, proof_code, submit, unavailable, unknown_case, upload, view,
                                         waiting_sign_in, without_token)

STAFF_ENROL = ("POST", "/api/v1/staff/enrollment/{token}")
STAFF_ENROL_CONFIRM = ("POST", "/api/v1/staff/enrollment/{token}/confirm")
STAFF_SIGN_IN = ("POST", "/api/v1/staff/sessions")
STAFF_SIGN_OUT = ("DELETE", "/api/v1/staff/sessions/current")
STAFF_QUEUE = ("GET", "/api/v1/staff/cases")
STAFF_CASE = ("GET", "/api/v1/staff/cases/{id}")
STAFF_DOCUMENT = ("GET", "/api/v1/staff/cases/{id}/documents/{documentId}")
STAFF_ACT = ("POST", "/api/v1/staff/cases/{id}/actions")
STAFF_AWAITING = ("GET", "/api/v1/staff/actions")
STAFF_APPROVE = ("POST", "/api/v1/staff/actions/{id}/approve")
OPERATOR_CASES = ("GET", "/api/v1/admin/cases")
OPERATOR_CASE = ("GET", "/api/v1/admin/cases/{id}")
CONTACT_CONFIRM = ("POST", "/api/v1/support/cases/{id}/confirm-contact")
CONTACT_SEND = ("POST", "/api/v1/support/cases/{id}/confirm-contact/send-code")
DIAGNOSIS_PATH = "/api/v1/admin/sign-in-diagnosis"

STAFF_PASSWORD = "Granite-Meadow-83"
STAFF_SESSION_HOURS = 12
SIGN_INS_PER_ADDRESS = 10  # in 15 minutes; three times as many per client address
SIGN_IN_WINDOW = 900
CHALLENGE = 'Bearer realm="keyward"'
STAFF_CASE_KEYS = {"case", "accountId", "description", "proofs", "unavailable", "overdue", "diagnosis", "events",
                   "actions", "otherCases"}


# ---------------------------------------------------------------------------------------------
# Requests.
# ---------------------------------------------------------------------------------------------

def fill(operation, *values, query: str | None = None) -> str:
    """The operation's path with its `{…}` parameters replaced by `values`, in order."""
    parts = iter(values)
    path = re.sub(r"\{[^}]+\}", lambda _: next(parts), operation[1])
    return path if query is None else f"{path}?{query}"


def call_at(server, contract, operation, *values, query=None, body=None, token=None, body_valid: bool | None = True,
            headers=None, expect=None, expect_code=None):
    """Like ``call`` for operations with several path parameters, or a query."""
    if body is not None and body_valid is not None:
        (contract.assert_request_valid if body_valid else contract.assert_request_invalid)(operation, body)
    reply = server.request(operation[0], fill(operation, *values, query=query), json_body=body, token=token,
                           headers=headers)
    return contract.check(operation, reply, expect=expect, code=expect_code)


def raw_post(server, contract, operation, *values, body: bytes, content_type: str | None = "application/json",
             token=None, expect=None, expect_code=None):
    headers = {"Content-Type": content_type} if content_type else {}
    reply = server.request(operation[0], fill(operation, *values), body=body, headers=headers, token=token)
    return contract.check(operation, reply, expect=expect, code=expect_code)


# ---------------------------------------------------------------------------------------------
# Staff: added on the server's machine, enrolled and signed in through the API.
# ---------------------------------------------------------------------------------------------

def staff_command(server, *arguments: str) -> str:
    """Runs `keyward staff …` against the server's data directory, as an operator would on its
    machine (without the server's own `KEYWARD_*` settings); returns what it printed."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KEYWARD_")}
    result = subprocess.run([str(_binary()), "staff", *arguments, "--data-dir", server.data_dir],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, f"keyward staff {' '.join(arguments)} failed: {result.stderr or result.stdout}"
    return result.stdout


def link_token(output: str) -> str:
    link = re.search(r"/staff/enroll/([A-Za-z0-9_-]{43})\s*$", output, re.MULTILINE)
    assert link, f"no enrolment link in: {output!r}"
    return link.group(1)


def add_staff(server, email: str, role: str) -> str:
    """Adds a member of staff; returns the token of their enrolment link."""
    return link_token(staff_command(server, "add", "--email", email, "--role", role))


def enrol(server, contract, token: str, password: str = STAFF_PASSWORD, *, expect=200, expect_code=None,
          body_valid: bool | None = True):
    return call_at(server, contract, STAFF_ENROL, token, body={"password": password}, body_valid=body_valid,
                   expect=expect, expect_code=expect_code)


def confirm_enrolment(server, contract, token: str, code: str, *, expect=200, expect_code=None):
    return call_at(server, contract, STAFF_ENROL_CONFIRM, token, body={"code": code}, expect=expect,
                   expect_code=expect_code)


def staff_sign_in(server, contract, email: str, code: str, password: str = STAFF_PASSWORD, *, expect=201,
                  expect_code=None):
    return call(server, contract, STAFF_SIGN_IN, body={"email": email, "password": password, "code": code},
                expect=expect, expect_code=expect_code)


def enrolled_staff(server, contract, role: str, label: str | None = None) -> SimpleNamespace:
    """A member of staff with `role`, enrolled (one authenticator code used) but not signed in."""
    email = unique_email(label or f"staff-{role}")
    link = add_staff(server, email, role)
    authenticator = Authenticator(enrol(server, contract, link))
    member = confirm_enrolment(server, contract, link, authenticator.code())
    return SimpleNamespace(email=email, role=role, id=member["staffId"], authenticator=authenticator, link=link,
                           token=None)


def signed_in_staff(server, contract, role: str, label: str | None = None) -> SimpleNamespace:
    """A member of staff with `role`, enrolled and signed in (`token`): two authenticator codes used."""
    member = enrolled_staff(server, contract, role, label)
    member.token = staff_sign_in(server, contract, member.email, member.authenticator.code())["token"]
    return member


# ---------------------------------------------------------------------------------------------
# The person's side: cases with documents.
# ---------------------------------------------------------------------------------------------

def add_documents(server, contract, case_id: str, case_token: str) -> dict[str, tuple[bytes, str, str]]:
    """Uploads an ID (PNG), a selfie (JPEG) and a bill (PDF), each marked so that its bytes are its
    own; returns, by document id, the bytes, the type judged from them and the file extension."""
    marker = uuid.uuid4().hex.encode()
    files = {}
    for kind, content, content_type, extension in (("id_front", png(marker), "image/png", "png"),
                                                   ("selfie", jpeg(marker), "image/jpeg", "jpg"),
                                                   ("other", pdf(marker=marker), "application/pdf", "pdf")):
        document = upload(server, contract, case_id, case_token, kind, content)
        assert (document["type"], document["contentType"]) == (kind, content_type), document
        files[document["documentId"]] = (content, content_type, f"{kind}-{document['documentId']}.{extension}")
    return files


def case_with_documents(server, contract, account, topic: str = "authenticator_lost", *,
                        submitted: bool = True) -> SimpleNamespace:
    """A case the signed-in `account` opened about `topic`, with an ID, a selfie and a bill, sent to
    support for review unless `submitted` is False."""
    opened = open_case(server, contract, account.token, topic, f"Please help ({uuid.uuid4().hex[:8]}).")
    case_id, case_token = opened["caseId"], opened["caseToken"]
    files = add_documents(server, contract, case_id, case_token)
    current = submit(server, contract, case_id, case_token) if submitted else view(server, contract, case_id, case_token)
    return SimpleNamespace(id=case_id, token=case_token, account=account, files=files, view=current)


def staff_case(server, contract, case_id: str, token: str, *, expect=200, expect_code=None):
    return call(server, contract, STAFF_CASE, case_id, token=token, expect=expect, expect_code=expect_code)


def queue(server, contract, token: str, status: str | None = None, *, expect=200, expect_code=None):
    return call_at(server, contract, STAFF_QUEUE, query=None if status is None else f"status={status}", token=token,
                   expect=expect, expect_code=expect_code)


def queue_entry(case: dict) -> dict:
    """What the queue shows of a case (as the person sees it), while it is not overdue."""
    return {"caseId": case["caseId"], "topic": case["topic"], "status": case["status"],
            "createdAt": case["createdAt"], "respondBy": case["respondBy"], "overdue": False}


def activity_of(server, contract, token: str) -> list[dict]:
    return call(server, contract, ACTIVITY, token=token, expect=200)["events"]


# ---------------------------------------------------------------------------------------------
# Servers and members of this module's own.
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def desk(start_server, relaxed_limits):
    """The support desk: cheap hashing, relaxed customer limits, the operator key."""
    return start_server(**cheap_hashing(KEYWARD_CODE_RESEND_INTERVAL="1", KEYWARD_OPERATOR_API_KEYS=OPERATOR_KEY,
                                        **relaxed_limits))


@pytest.fixture(scope="module")
def agent(desk, contract) -> SimpleNamespace:
    """A signed-in agent of the desk, for reading."""
    return signed_in_staff(desk, contract, "agent")


def near_window_end(window: int = SIGN_IN_WINDOW, margin: float = 20.0):
    """Waits out the end of the current fixed rate-limit window when it is less than `margin` seconds
    away, so that a test counting attempts runs inside one window."""
    left = window - time.time() % window
    if left < margin:
        time.sleep(left + 0.5)


# ---------------------------------------------------------------------------------------------
# Enrolment.
# ---------------------------------------------------------------------------------------------

def test_a_member_enrols_with_a_password_and_an_authenticator_then_signs_in_with_both(desk, contract):
    email = unique_email("staff-enrolling")
    link = add_staff(desk, email, "reviewer")

    confirm_enrolment(desk, contract, link, "123456", expect=409, expect_code="staff.enrolment_incomplete")
    problem = enrol(desk, contract, link, "short", expect=422, expect_code="password.invalid")
    assert {violation["code"] for violation in problem["violations"]} == \
        {"password.too_short", "password.needs_uppercase", "password.needs_digit"}, problem
    problem = enrol(desk, contract, link, email.split("@")[0].capitalize() + "-Aa9", expect=422,
                    expect_code="password.invalid")
    assert [violation["code"] for violation in problem["violations"]] == ["password.contains_identifier"], problem

    # Asking again before confirming replaces the key.
    replaced = Authenticator(enrol(desk, contract, link))
    enrolment = enrol(desk, contract, link)
    secret = enrolment["secret"].replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4}){7}", enrolment["secret"]) and secret != replaced.secret, enrolment
    assert enrolment["otpauthUri"] == (f"otpauth://totp/Keyward:{quote(email, safe='')}?secret={secret}"
                                       "&issuer=Keyward&algorithm=SHA1&digits=6&period=30")
    assert enrolment["qrSvg"].rstrip().endswith("</svg>")
    authenticator = Authenticator(enrolment)
    confirm_enrolment(desk, contract, link, replaced.code(), expect=422, expect_code="totp.invalid")
    confirm_enrolment(desk, contract, link, "12ab", expect=422, expect_code="totp.invalid")
    # Not enrolled yet: the password alone signs nobody in.
    staff_sign_in(desk, contract, email, authenticator.wrong_code(), expect=401, expect_code="staff.credentials_invalid")

    confirming = authenticator.code()
    member = confirm_enrolment(desk, contract, link, confirming)
    assert (member["email"], member["role"], member["status"]) == (email, "reviewer", "active"), member
    # The link is used up, both steps.
    enrol(desk, contract, link, expect=410, expect_code="staff.enrolment_invalid")
    confirm_enrolment(desk, contract, link, confirming, expect=410, expect_code="staff.enrolment_invalid")

    # The code that confirmed the enrolment does not sign in; the next one does, the address
    # written as the member likes.
    staff_sign_in(desk, contract, email, confirming, expect=401, expect_code="staff.credentials_invalid")
    before = datetime.now(timezone.utc).replace(microsecond=0)
    session = staff_sign_in(desk, contract, f"  {email.upper()} ", authenticator.code())
    after = datetime.now(timezone.utc)
    assert (session["staffId"], session["role"]) == (member["staffId"], "reviewer"), session
    lifetime = timedelta(hours=STAFF_SESSION_HOURS)
    assert before + lifetime <= parse_time(session["expiresAt"]) <= after + lifetime, session
    assert queue(desk, contract, session["token"])["cases"] is not None


def test_an_unknown_or_reissued_enrolment_link_is_refused(desk, contract):
    for token in ("A" * 43, "not-a-link"):
        enrol(desk, contract, token, expect=410, expect_code="staff.enrolment_invalid")
        confirm_enrolment(desk, contract, token, "123456", expect=410, expect_code="staff.enrolment_invalid")
    # A new link for a member who has not enrolled ends the old one.
    email = unique_email("staff-reinvited")
    first = add_staff(desk, email, "agent")
    enrol(desk, contract, first)
    second = link_token(staff_command(desk, "invite", "--email", email))
    assert second != first
    enrol(desk, contract, first, expect=410, expect_code="staff.enrolment_invalid")
    confirm_enrolment(desk, contract, first, "123456", expect=410, expect_code="staff.enrolment_invalid")
    authenticator = Authenticator(enrol(desk, contract, second))
    assert confirm_enrolment(desk, contract, second, authenticator.code())["status"] == "active"


def test_enrolment_and_sign_in_bodies_are_checked_before_anything_else(desk, contract):
    for operation, bodies in ((STAFF_ENROL, [({}, "password"), ({"password": 5}, "password"),
                                             ({"password": None}, "password")]),
                              (STAFF_ENROL_CONFIRM, [({}, "code"), ({"code": 123456}, "code")]),
                              (STAFF_SIGN_IN, [({"password": STAFF_PASSWORD, "code": "123456"}, "email"),
                                               ({"email": "a@example.com", "code": "123456"}, "password"),
                                               ({"email": "a@example.com", "password": STAFF_PASSWORD}, "code"),
                                               ({"email": "a@example.com", "password": STAFF_PASSWORD, "code": 1},
                                                "code")])):
        values = ("A" * 43,) if "{token}" in operation[1] else ()
        for body, field in bodies:
            problem = call_at(desk, contract, operation, *values, body=body, body_valid=False, expect=400,
                              expect_code="request.invalid_field")
            assert problem["field"] == field, (operation, body, problem)
        for raw in (b"{", b"[1]", b'{"code": "1", "code": "2"}'):
            raw_post(desk, contract, operation, *values, body=raw, expect=400, expect_code="request.malformed")
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            raw_post(desk, contract, operation, *values, body=b'{"password": "x", "code": "1", "email": "a@b.c"}',
                     content_type=content_type, expect=415, expect_code="request.unsupported_media_type")
        big = ('{"email": "a@example.com", "code": "1", "password": "' + "x" * BODY_LIMIT + '"}').encode()
        problem = raw_post(desk, contract, operation, *values, body=big, expect=413, expect_code="request.too_large")
        assert problem["limitBytes"] == BODY_LIMIT


# ---------------------------------------------------------------------------------------------
# Staff sessions.
# ---------------------------------------------------------------------------------------------

def test_every_refused_staff_sign_in_is_answered_alike(desk, contract):
    member = enrolled_staff(desk, contract, "agent", "staff-refused")
    invited = unique_email("staff-invited")
    link = add_staff(desk, invited, "agent")
    enrol(desk, contract, link)  # a password, but no confirmed authenticator
    authenticator = member.authenticator
    refusals = [(member.email, "Wrong-Meadow-84", authenticator.code()),  # the code stays unused
                (member.email, STAFF_PASSWORD, authenticator.wrong_code()),
                (member.email, STAFF_PASSWORD, "12ab"),
                (unique_email("staff-nobody"), STAFF_PASSWORD, "123456"),
                (invited, STAFF_PASSWORD, "123456"),
                ("not an address", STAFF_PASSWORD, "123456")]
    answers = []
    for email, password, code in refusals:
        reply = desk.request("POST", "/api/v1/staff/sessions", json_body={"email": email, "password": password, "code": code})
        answers.append(contract.check(STAFF_SIGN_IN, reply, expect=401, code="staff.credentials_invalid"))
        assert reply.headers.get("www-authenticate") == CHALLENGE
    assert all(answer == answers[0] for answer in answers), answers
    # None of them used the code up.
    assert staff_sign_in(desk, contract, member.email, authenticator.last_code())["staffId"] == member.id


def test_signing_out_ends_that_staff_session_only(desk, contract):
    member = signed_in_staff(desk, contract, "agent", "staff-leaving")
    other = staff_sign_in(desk, contract, member.email, member.authenticator.code())["token"]
    reply = desk.request("DELETE", "/api/v1/staff/sessions/current", token=member.token)
    contract.check(STAFF_SIGN_OUT, reply, expect=204)
    for operation in (STAFF_QUEUE, STAFF_SIGN_OUT):
        reply = desk.request(operation[0], operation[1], token=member.token)
        contract.check(operation, reply, expect=401, code="staff.session_required")
        assert reply.headers.get("www-authenticate") == CHALLENGE
    assert "cases" in queue(desk, contract, other)


def test_a_disabled_member_is_signed_out_and_cannot_sign_in(desk, contract):
    member = signed_in_staff(desk, contract, "reviewer", "staff-disabled")
    assert "cases" in queue(desk, contract, member.token)
    assert f"Disabled {member.email}" in staff_command(desk, "disable", "--email", member.email)
    queue(desk, contract, member.token, expect=401, expect_code="staff.session_required")
    staff_sign_in(desk, contract, member.email, member.authenticator.code(), expect=401,
                  expect_code="staff.credentials_invalid")


def test_staff_sign_in_is_limited_per_address_and_per_client_address(start_server, contract, relaxed_limits):
    limited = start_server(**cheap_hashing(**relaxed_limits))  # the staff limits are not settings
    member = enrolled_staff(limited, contract, "agent", "staff-limited")
    near_window_end()
    for _ in range(SIGN_INS_PER_ADDRESS):
        staff_sign_in(limited, contract, member.email, "123456", "Wrong-Meadow-84", expect=401,
                      expect_code="staff.credentials_invalid")
    # Even the right password and code are refused now, and the refusal counts for nothing.
    problem = staff_sign_in(limited, contract, member.email, member.authenticator.code(), expect=429,
                            expect_code="rate_limited")
    assert 1 <= problem["retryAfter"] <= SIGN_IN_WINDOW, problem
    # 30 attempts from one client address, whatever the address they name.
    for _ in range(3 * SIGN_INS_PER_ADDRESS - SIGN_INS_PER_ADDRESS):
        staff_sign_in(limited, contract, unique_email("staff-other"), "123456", expect=401,
                      expect_code="staff.credentials_invalid")
    problem = staff_sign_in(limited, contract, unique_email("staff-other"), "123456", expect=429,
                            expect_code="rate_limited")
    assert 1 <= problem["retryAfter"] <= SIGN_IN_WINDOW, problem


def test_a_full_hashing_queue_answers_staff_server_busy(start_server, contract, relaxed_limits):
    busy = start_server(KEYWARD_HASHING_THREADS="1", KEYWARD_HASHING_QUEUE_LIMIT="1", KEYWARD_ARGON2_ITERATIONS="3",
                        KEYWARD_ARGON2_MEMORY_KIB="4096", **relaxed_limits)
    link = add_staff(busy, unique_email("staff-busy"), "agent")
    near_window_end()
    # At most 30 sign-ins: the client address's limit is not what answers.
    requests = [(STAFF_ENROL, f"/api/v1/staff/enrollment/{link}", {"password": STAFF_PASSWORD}) for _ in range(12)]
    requests += [(STAFF_SIGN_IN, "/api/v1/staff/sessions",
                  {"email": unique_email("staff-busy"), "password": STAFF_PASSWORD, "code": "123456"}) for _ in range(18)]
    allowed = {STAFF_ENROL: 200, STAFF_SIGN_IN: 401}

    def send(index):
        operation, path, body = requests[index]
        return operation, busy.request(operation[0], path, json_body=body, timeout=120)

    busy_answers = {operation: 0 for operation in allowed}
    for operation, reply in in_parallel(len(requests), send):
        body = contract.check(operation, reply)
        if reply.status == 503:
            assert body["code"] == "server.busy" and body["retryAfter"] >= 1, body
            busy_answers[operation] += 1
        else:
            assert reply.status == allowed[operation], f"{operation}: {reply.status} {reply.body[:300]!r}"
    assert all(busy_answers.values()), f"no 503 server.busy for some operation: {busy_answers}"


# ---------------------------------------------------------------------------------------------
# What opens the staff routes.
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def outsider(desk, contract) -> SimpleNamespace:
    """A customer of the desk with a session and a case of their own."""
    account = signed_in_account(desk, contract, "outsider")
    opened = open_case(desk, contract, account.token)
    return SimpleNamespace(account=account, case_id=opened["caseId"], case_token=opened["caseToken"])


SIGNED_IN_ROUTES = [(STAFF_SIGN_OUT, ()), (STAFF_QUEUE, ()), (STAFF_CASE, (UNKNOWN_ID,)),
                    (STAFF_DOCUMENT, (UNKNOWN_ID, UNKNOWN_ID)), (STAFF_ACT, (UNKNOWN_ID,)), (STAFF_AWAITING, ()),
                    (STAFF_APPROVE, (UNKNOWN_ID,))]
CREDENTIALS = ["none", "unknown-token", "empty-bearer", "basic", "customer-session", "case-token", "operator-key"]


@pytest.mark.parametrize("credential", CREDENTIALS)
@pytest.mark.parametrize("operation, values", SIGNED_IN_ROUTES,
                         ids=[f"{operation[0]}-{operation[1].removeprefix('/api/v1/staff/')}" for operation, _ in SIGNED_IN_ROUTES])
def test_signed_in_staff_routes_take_a_staff_session_only(desk, contract, outsider, operation, values, credential):
    authorization = {"none": None, "unknown-token": "Bearer " + "A" * 43, "empty-bearer": "Bearer",
                     "basic": "Basic dXNlcjpwYXNz", "customer-session": f"Bearer {outsider.account.token}",
                     "case-token": f"Bearer {outsider.case_token}", "operator-key": f"Bearer {OPERATOR_KEY}"}[credential]
    headers = {"Authorization": authorization} if authorization else {}
    # A body the operation would take: the session is settled before it is read.
    body = {"action": "reject", "reason": "Not the account holder."} if operation == STAFF_ACT else None
    reply = desk.request(operation[0], fill(operation, *values), json_body=body, headers=headers)
    contract.check(operation, reply, expect=401, code="staff.session_required")
    assert reply.headers.get("www-authenticate") == CHALLENGE


def test_a_staff_session_opens_nothing_outside_the_staff_routes(desk, contract, agent, outsider):
    call(desk, contract, SESSION, token=agent.token, expect=401, expect_code="session.required")
    call(desk, contract, CASE_LIST, token=agent.token, expect=401, expect_code="session.required")
    # On a case, a bearer token that is no session is taken for the case's token.
    view(desk, contract, outsider.case_id, agent.token, expect=404, expect_code="case.not_found")
    call_at(desk, contract, OPERATOR_CASES, token=agent.token, expect=401, expect_code="operator.unauthorized")
    call(desk, contract, OPERATOR_CASE, outsider.case_id, token=agent.token, expect=401,
         expect_code="operator.unauthorized")
    reply = desk.request("POST", DIAGNOSIS_PATH, json_body={"identifier": outsider.account.email}, token=agent.token)
    assert (reply.status, reply.json()["code"]) == (401, "operator.unauthorized"), reply.body[:300]


# ---------------------------------------------------------------------------------------------
# The queue, a case, its documents.
# ---------------------------------------------------------------------------------------------

def test_the_queue_lists_the_cases_waiting_on_support_and_filters_by_status(desk, contract, agent):
    account = signed_in_account(desk, contract, "queued")
    waiting = case_with_documents(desk, contract, account, "phone_lost")
    draft = case_with_documents(desk, contract, account, "account_frozen", submitted=False)
    assert (waiting.view["status"], draft.view["status"]) == ("in_review", "open")

    default = queue(desk, contract, agent.token)["cases"]
    assert queue_entry(waiting.view) in default and draft.id not in {entry["caseId"] for entry in default}, default
    assert {entry["status"] for entry in default} == {"in_review"}
    assert queue(desk, contract, agent.token, "in_review")["cases"] == default
    opened = queue(desk, contract, agent.token, "open")["cases"]
    assert queue_entry(draft.view) in opened and waiting.id not in {entry["caseId"] for entry in opened}, opened
    assert {entry["status"] for entry in opened} == {"open"}
    for status in ("closed", "IN_REVIEW", "in%20review"):
        problem = queue(desk, contract, agent.token, status, expect=400, expect_code="request.invalid_field")
        assert problem["field"] == "status"

    # The operator's view: every case without a status, newest first.
    everything = call_at(desk, contract, OPERATOR_CASES, token=OPERATOR_KEY, expect=200)["cases"]
    assert queue_entry(waiting.view) in everything and queue_entry(draft.view) in everything
    created = [parse_time(entry["createdAt"]) for entry in everything]
    assert created == sorted(created, reverse=True), "the operator's list is not newest first"
    assert call_at(desk, contract, OPERATOR_CASES, query="status=open", token=OPERATOR_KEY,
                   expect=200)["cases"] == opened
    problem = call_at(desk, contract, OPERATOR_CASES, query="status=pending", token=OPERATOR_KEY, expect=400,
                      expect_code="request.invalid_field")
    assert problem["field"] == "status"
    for key in (None, "not-the-operator-key"):
        reply = desk.request("GET", OPERATOR_CASES[1], token=key)
        contract.check(OPERATOR_CASES, reply, expect=401, code="operator.unauthorized")
        assert reply.headers.get("www-authenticate") == CHALLENGE


def test_staff_read_a_case_with_what_proved_it_the_diagnosis_the_events_and_the_other_cases(desk, contract, agent):
    account = authenticator_account(desk, contract, "staff-reads")
    flow_id = waiting_sign_in(desk, contract, account)
    code = proof_code(desk, contract, flow_id, "email", account.email)
    description = f"My phone was stolen with the app on it ({uuid.uuid4().hex[:8]})."
    opened = unavailable(desk, contract, flow_id, ["totp"], description, method="email_code", code=code)
    case_id = opened["caseId"]
    other = open_case(desk, contract, account.token, "other", "And where is my deposit?")

    detail = staff_case(desk, contract, case_id, agent.token)
    assert set(detail) == STAFF_CASE_KEYS, sorted(detail)
    assert detail["case"] == without_token(opened)
    assert (detail["accountId"], detail["description"]) == (account.account_id, description)
    assert (detail["proofs"], detail["unavailable"], detail["overdue"]) == (["password", "email_code"], ["totp"], False)
    assert (detail["diagnosis"]["accountId"], detail["diagnosis"]["identifier"]) == (account.account_id, account.email)
    assert detail["diagnosis"]["authenticatorBound"] is True
    kinds = [event["kind"] for event in detail["events"]]
    assert "support_case.opened" in kinds, kinds
    assert detail["actions"] == []
    assert detail["otherCases"] == [queue_entry(without_token(other))]
    # Staff reading the diagnosis is recorded on the account, for its owner to see.
    assert "support.diagnosed" in [event["kind"] for event in activity_of(desk, contract, account.token)]

    # The operator's view of the same case.
    seen = call(desk, contract, OPERATOR_CASE, case_id, token=OPERATOR_KEY, expect=200)
    assert {key: seen[key] for key in STAFF_CASE_KEYS - {"events", "diagnosis"}} == \
        {key: detail[key] for key in STAFF_CASE_KEYS - {"events", "diagnosis"}}
    for unknown in (unknown_case(), "not-a-case"):
        staff_case(desk, contract, unknown, agent.token, expect=404, expect_code="case.not_found")
        call(desk, contract, OPERATOR_CASE, unknown, token=OPERATOR_KEY, expect=404, expect_code="case.not_found")
    for key in (None, "not-the-operator-key", account.token):
        call(desk, contract, OPERATOR_CASE, case_id, token=key, expect=401, expect_code="operator.unauthorized")


def test_staff_open_a_document_as_a_sandboxed_attachment_and_the_owner_sees_it(desk, contract, agent):
    account = signed_in_account(desk, contract, "documents-read")
    case = case_with_documents(desk, contract, account, "account_frozen")
    listed = staff_case(desk, contract, case.id, agent.token)["case"]["documents"]
    assert {document["documentId"] for document in listed} == set(case.files), listed

    for document_id, (content, content_type, filename) in case.files.items():
        reply = desk.request("GET", fill(STAFF_DOCUMENT, case.id, document_id), token=agent.token,
                             headers={"Accept": "*/*"})
        contract.check(STAFF_DOCUMENT, reply, expect=200)
        assert reply.body == content and reply.media_type == content_type, (reply.headers, reply.body[:40])
        assert reply.headers["content-disposition"] == f'attachment; filename="{filename}"'
        assert reply.headers["content-security-policy"].startswith("sandbox"), reply.headers
        assert (reply.headers["x-content-type-options"], reply.headers["cache-control"]) == ("nosniff", "no-store")

    viewed = activity_details(desk, contract, account.token, "support_case.document_viewed")
    assert sorted(details["documentId"] for details in viewed) == sorted(case.files), viewed
    assert all((details["caseId"], details["staffId"]) == (case.id, agent.id) for details in viewed), viewed

    # Another case's document, or no document, is not found through this case.
    elsewhere = case_with_documents(desk, contract, account, "other", submitted=False)
    foreign = next(iter(elsewhere.files))
    for case_id, document_id in ((case.id, foreign), (case.id, UNKNOWN_ID), (unknown_case(), foreign),
                                 (case.id, "not-a-document")):
        call_at(desk, contract, STAFF_DOCUMENT, case_id, document_id, token=agent.token, expect=404,
                expect_code="document.not_found")
