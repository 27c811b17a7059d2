"""Restricted and frozen accounts through the JSON API, held against the OpenAPI document.

An operator restricts an account and lifts the restriction; its owner freezes it. Each stop ends
every session, holds withdrawals with no end while it lasts, and tells the owner; sign-in then
answers `403 account.restricted` or `403 account.frozen` only to the right password or passkey,
also to a sign-in that was waiting for its second factor when the stop came. An authenticator
code from a phone whose clock is off is answered `totp.clock_skew` with the drift.

Answers are checked with the session's ``contract`` (conftest.py) and count toward the coverage
test that ends ``test_openapi_contract``, whose helpers these tests use.
"""

from __future__ import annotations

import time

from test_openapi_contract import (BODY_LIMIT, LOGIN_SEND, SESSION, UNKNOWN_ID, bind_authenticator,
                                   call, fresh_code, login, login_verify, operator_holds, passkey_account, second_step,
                                   sign_in_with_passkey, signed_in_account, wait_for_message)

FREEZE = ("POST", "/api/v1/account/freeze")
RESTRICT = ("POST", "/api/v1/admin/accounts/{id}/restriction")
LIFT = ("DELETE", "/api/v1/admin/accounts/{id}/restriction")
WRONG_PASSWORD = "Wrong-Passw0rd-Here"


def restrict(server, contract, account_id: str, key: str | None, body=None, *, expect=201, expect_code=None,
             body_valid: bool | None = True):
    return call(server, contract, RESTRICT, account_id, body=body, token=key, body_valid=body_valid, expect=expect,
                expect_code=expect_code)


def lift(server, contract, account_id: str, key: str | None, body=None, *, expect=200, expect_code=None,
         body_valid: bool | None = True):
    return call(server, contract, LIFT, account_id, body=body, token=key, body_valid=body_valid, expect=expect,
                expect_code=expect_code)


def stopped_hold(server, contract, account_id: str, key: str) -> list[dict]:
    """The account's holds that last while a restriction or freeze is in force."""
    return [hold for hold in operator_holds(server, contract, account_id, f"Bearer {key}")["holds"]
            if hold["until"] is None]


def assert_sign_in_stopped(server, contract, email: str, code: str, **problem_members):
    """The right password learns of the stop; a wrong one learns nothing."""
    problem = login(server, contract, email, expect=403, expect_code=code)
    for name, value in problem_members.items():
        assert problem[name] == value, problem
    assert "support" in problem["detail"], problem["detail"]
    login(server, contract, email, WRONG_PASSWORD, expect=401, expect_code="credentials.invalid")


def test_an_operator_restricts_an_account_and_lifts_the_restriction(server, contract, operator_key):
    account = signed_in_account(server, contract, "rita")
    placed = restrict(server, contract, account.account_id, operator_key, {"reason": "  Chargebacks on 3 cards  "})
    assert set(placed) == {"restrictionId", "kind", "reason", "placedAt", "liftedAt"}
    assert (placed["kind"], placed["reason"], placed["liftedAt"]) == ("restricted", "risk.operator", None)
    # Restricting again changes nothing and answers the restriction in force.
    assert restrict(server, contract, account.account_id, operator_key, expect=200) == placed

    call(server, contract, SESSION, token=account.token, expect=401, expect_code="session.required")
    assert_sign_in_stopped(server, contract, account.email, "account.restricted", reason="risk.operator")
    assert [(hold["kind"], hold["reason"]) for hold in stopped_hold(server, contract, account.account_id, operator_key)] \
        == [("withdrawal", "account.restricted")]
    notice = wait_for_message(server, account.email, lambda message: "was restricted" in message["subject"])
    assert "Chargebacks" not in notice["body"], "the operator's note is for support, not the owner"

    lifted = lift(server, contract, account.account_id, operator_key, {"reason": "Cards cleared"})
    assert lifted["restrictionId"] == placed["restrictionId"] and lifted["liftedAt"] is not None
    lift(server, contract, account.account_id, operator_key, expect=404, expect_code="restriction.not_found")
    assert stopped_hold(server, contract, account.account_id, operator_key) == []
    wait_for_message(server, account.email, lambda message: "no longer restricted" in message["subject"])
    assert login(server, contract, account.email)["status"] == "second_factor_required"


def test_restriction_requests_are_checked(server, contract, operator_key):
    account = signed_in_account(server, contract, "rhea")
    for operation in (RESTRICT, LIFT):
        call(server, contract, operation, account.account_id, expect=401, expect_code="operator.unauthorized")
        call(server, contract, operation, account.account_id, token="not-a-key", expect=401,
             expect_code="operator.unauthorized")
        call(server, contract, operation, UNKNOWN_ID, token=operator_key, expect=404, expect_code="account.not_found")
        problem = call(server, contract, operation, account.account_id, body={"reason": 42}, token=operator_key,
                       body_valid=False, expect=400, expect_code="request.invalid_field")
        assert problem["field"] == "reason"
        problem = call(server, contract, operation, account.account_id, body={"reason": "x" * 1001}, token=operator_key,
                       body_valid=False, expect=400, expect_code="request.invalid_field")
        assert problem["field"] == "reason"
        path = f"/api/v1/admin/accounts/{account.account_id}/restriction"
        contract.check(operation, server.request(operation[0], path, body=b'{"reason": ', token=operator_key,
                                                 headers={"Content-Type": "application/json"}),
                       expect=400, code="request.malformed")
        contract.check(operation, server.request(operation[0], path, body=b'{"reason": "a"}', token=operator_key,
                                                 headers={"Content-Type": "text/plain"}),
                       expect=415, code="request.unsupported_media_type")
        big = ('{"reason": "' + "x" * BODY_LIMIT + '"}').encode()
        problem = contract.check(operation, server.request(operation[0], path, body=big, token=operator_key,
                                                           headers={"Content-Type": "application/json"}),
                                 expect=413, code="request.too_large")
        assert problem["limitBytes"] == BODY_LIMIT
    # Nothing above restricted the account.
    lift(server, contract, account.account_id, operator_key, expect=404, expect_code="restriction.not_found")
    call(server, contract, SESSION, token=account.token, expect=200)


def test_the_owner_freezes_their_account_without_reauthenticating(server, contract, operator_key):
    account = signed_in_account(server, contract, "fred")
    call(server, contract, FREEZE, expect=401, expect_code="session.required")
    # The registration's session is not freshly re-authenticated, and the brake needs no more.
    frozen = call(server, contract, FREEZE, token=account.registration_token, expect=200)
    assert (frozen["kind"], frozen["reason"], frozen["liftedAt"]) == ("frozen", "owner", None)
    for token in (account.token, account.registration_token):
        call(server, contract, SESSION, token=token, expect=401, expect_code="session.required")
    call(server, contract, FREEZE, token=account.token, expect=401, expect_code="session.required")

    assert_sign_in_stopped(server, contract, account.email, "account.frozen")
    assert [hold["reason"] for hold in stopped_hold(server, contract, account.account_id, operator_key)] \
        == ["account.frozen"]
    wait_for_message(server, account.email, lambda message: "was frozen" in message["subject"])
    # An operator lifts restrictions, never the owner's freeze.
    lift(server, contract, account.account_id, operator_key, expect=404, expect_code="restriction.not_found")
    login(server, contract, account.email, expect=403, expect_code="account.frozen")


def test_a_sign_in_waiting_for_its_second_factor_stops_with_the_account(server, contract, operator_key):
    account = signed_in_account(server, contract, "wade")
    challenge = login(server, contract, account.email)
    restrict(server, contract, account.account_id, operator_key)
    code_flow = challenge["flowId"]
    code = fresh_code(server, contract, LOGIN_SEND, code_flow, "email", account.email)
    problem = login_verify(server, contract, code_flow, "email_code", code, expect=403,
                           expect_code="account.restricted")
    assert problem["reason"] == "risk.operator"


def test_a_passkey_sign_in_to_a_frozen_account_is_refused(server, contract):
    account = passkey_account(server, contract, "penny")
    call(server, contract, FREEZE, token=account.token, expect=200)
    sign_in_with_passkey(server, contract, account.passkey_authenticator, expect=403, expect_code="account.frozen")


def test_a_code_from_a_phone_whose_clock_is_off_is_told_so(server, contract):
    account = signed_in_account(server, contract, "clara")
    authenticator = bind_authenticator(server, contract, account)
    challenge = login(server, contract, account.email)
    if time.time() % 30 > 27:  # both codes within one 30-second step of the server's clock
        time.sleep(30 - time.time() % 30 + 0.05)
    ahead = authenticator.totp.at(time.time() + 5 * 60)
    problem = login_verify(server, contract, challenge["flowId"], "totp", ahead, expect=422,
                           expect_code="totp.clock_skew")
    assert (problem["driftMinutes"], problem["drift"]) == (5, "5 minutes ahead"), problem
    assert "automatic" in problem["detail"]
    behind = authenticator.totp.at(time.time() - 3 * 60)
    problem = login_verify(server, contract, challenge["flowId"], "totp", behind, expect=422,
                           expect_code="totp.clock_skew")
    assert (problem["driftMinutes"], problem["drift"]) == (-3, "3 minutes behind"), problem
    # Refused all the same; the right code still signs in.
    second_step(server, contract, challenge, authenticator=authenticator)
