""""Can't sign in?" through the JSON API, held against the OpenAPI document.

A code goes to the identifier given; the right code answers the findings: what stands between the
person and their account, most pressing first, each with the way out. In reveal mode an identifier
nobody has is told so at once; in strict mode it gets the same answer and nothing is sent.

Answers are checked with the session's ``contract`` (conftest.py) and count toward the coverage
test that ends ``test_openapi_contract``, whose helpers these tests use.
"""

from __future__ import annotations

import time

import pytest

from test_openapi_contract import (HELP_RESEND as RESEND, HELP_START as START, HELP_VERIFY as VERIFY, UNKNOWN_ID, call,
                                   cheap_hashing, in_time, login, register, unique_email, wrong_code)
WRONG_PASSWORD = "Wrong-Passw0rd-Here"


@pytest.fixture(scope="module")
def strict(start_server):
    return start_server(**cheap_hashing(KEYWARD_LOGIN_REVEAL_ACCOUNT_EXISTENCE="false", KEYWARD_CODE_RESEND_INTERVAL="1"))


def start(server, contract, identifier, *, expect=202, expect_code=None, body_valid=True):
    return call(server, contract, START, body={"identifier": identifier}, body_valid=body_valid, expect=expect,
                expect_code=expect_code)


def verify(server, contract, help_id: str, code, *, expect=200, expect_code=None, body_valid=True):
    return call(server, contract, VERIFY, help_id, body={"code": code}, body_valid=body_valid, expect=expect,
                expect_code=expect_code)


def started_with_code(server, contract, identifier: str) -> tuple[str, str]:
    """Starts a help (waiting out a resend interval if a code went there moments ago) and returns
    its id and the code it sent."""
    seen = server.codes(identifier)
    started = in_time(lambda: start(server, contract, identifier, expect=None))
    assert set(started) == {"helpId", "channel", "resendAvailableAt"}, started
    return started["helpId"], server.newest_code(identifier, exclude=seen)


def test_the_holder_of_a_locked_account_learns_when_the_lock_ends(server, contract):
    email = unique_email("hana")
    register(server, contract, email)
    help_id, code = started_with_code(server, contract, email)
    assert verify(server, contract, help_id, code)["findings"][0]["code"] == "nothing_found"

    for _ in range(5):
        login(server, contract, email, WRONG_PASSWORD, expect=None)
    help_id, code = started_with_code(server, contract, email)
    findings = verify(server, contract, help_id, code)["findings"]
    lock = findings[0]
    assert lock["code"] == "account.locked" and lock["at"] and "stop trying" in lock["detail"], findings
    assert lock["action"]["label"] == "Reset your password" and lock["action"]["href"].endswith("/recover")
    # The look is finished: the same help shows nothing twice.
    verify(server, contract, help_id, code, expect=409, expect_code="help.completed")


def test_codes_are_limited_refused_and_run_out(server, contract):
    email = unique_email("ivo")
    register(server, contract, email)
    help_id, code = started_with_code(server, contract, email)
    # A second code at once is too soon, from the help or from a new one.
    problem = call(server, contract, RESEND, help_id, expect=429, expect_code="code.resend_too_soon")
    assert problem["retryAfter"] >= 1
    start(server, contract, email, expect=429, expect_code="code.resend_too_soon")
    seen = server.codes(email)
    resent = in_time(lambda: call(server, contract, RESEND, help_id, expect=None))
    assert resent["helpId"] == help_id and resent["channel"] == "email"
    newer = server.newest_code(email, exclude=seen)

    for body in ({}, {"code": 318064}):
        problem = call(server, contract, VERIFY, help_id, body=body, body_valid=False, expect=400,
                       expect_code="request.invalid_field")
        assert problem["field"] == "code"
    # Bodies too large or not sent as JSON: test_openapi_contract's BODY_OPERATIONS.
    path = f"/api/v1/help/sign-in/{help_id}/verify"
    contract.check(VERIFY, server.request("POST", path, body=b'{"code": ', headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")
    verify(server, contract, UNKNOWN_ID, newer, expect=404, expect_code="help.not_found")
    call(server, contract, RESEND, UNKNOWN_ID, expect=404, expect_code="help.not_found")

    # Only the newest code works, and five wrong entries end it.
    problem = verify(server, contract, help_id, code if code != newer else wrong_code(newer), expect=422,
                     expect_code="code.invalid")
    for _ in range(problem["attemptsRemaining"] - 1):
        verify(server, contract, help_id, wrong_code(newer), expect=422, expect_code="code.invalid")
    verify(server, contract, help_id, wrong_code(newer), expect=410, expect_code="code.exhausted")
    verify(server, contract, help_id, newer, expect=410, expect_code="code.exhausted")

    other, right = started_with_code(server, contract, email)
    verify(server, contract, other, right)
    call(server, contract, RESEND, other, expect=409, expect_code="help.completed")


def test_bad_identifiers_and_bodies_are_refused(server, contract):
    start(server, contract, "not an address", expect=422, expect_code="identifier.invalid")
    problem = start(server, contract, unique_email("nobody"), expect=404, expect_code="account.not_found")
    assert "real site" in problem["detail"]
    for body in ({}, {"identifier": 42}):
        problem = call(server, contract, START, body=body, body_valid=False, expect=400,
                       expect_code="request.invalid_field")
        assert problem["field"] == "identifier"
    contract.check(START, server.request("POST", "/api/v1/help/sign-in", body=b'{"identifier": ',
                                         headers={"Content-Type": "application/json"}), expect=400, code="request.malformed")


def test_strict_mode_answers_strangers_alike_and_sends_them_nothing(strict, contract):
    email = unique_email("kai")
    register(strict, contract, email)
    known = in_time(lambda: start(strict, contract, email, expect=None))
    stranger = unique_email("stranger")
    unknown = start(strict, contract, stranger)
    assert set(unknown) == set(known) and unknown["channel"] == known["channel"] == "email"
    time.sleep(0.5)
    assert strict.messages(stranger) == []
    verify(strict, contract, unknown["helpId"], "000000", expect=422, expect_code="code.invalid")
