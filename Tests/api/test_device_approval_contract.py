"""New-device approval through the JSON API, held against the OpenAPI document.

On a server of this module's own with `risk.newDeviceApproval=always` and codes that die after two
wrong entries, a sign-in whose password and authenticator code are right from a device that has
not signed in before waits for the code of a "Was this you?" email; entering it signs in and
remembers the device. A sign-in whose second factor was itself an email code is not asked again.

Answers are checked with the session's ``contract`` (conftest.py) and count toward the coverage
test that ends ``test_openapi_contract``, whose helpers these tests use.
"""

from __future__ import annotations

import pytest

from test_openapi_contract import (APPROVE_DEVICE as APPROVE, LOGIN, LOGIN_FLOW, LOGIN_SEND, STRONG_PASSWORD,
                                   bind_authenticator, call, cheap_hashing, in_parallel, login, login_verify, path_of,
                                   signed_in_account, wrong_code)

DEVICE = "contract-tests-device-0001"


@pytest.fixture(scope="module")
def approving(start_server, relaxed_limits):
    return start_server(**cheap_hashing(KEYWARD_RISK_NEW_DEVICE_APPROVAL="always", KEYWARD_CODE_RESEND_INTERVAL="1",
                                        KEYWARD_CODE_MAX_ATTEMPTS="2", **relaxed_limits))


def approve(server, contract, flow_id: str, code, *, expect=200, expect_code=None, body_valid=True):
    return call(server, contract, APPROVE, flow_id, body={"code": code}, body_valid=body_valid, expect=expect,
                expect_code=expect_code)


def password_step(server, contract, email: str, device_id: str | None = DEVICE) -> str:
    body = {"identifier": email, "password": STRONG_PASSWORD}
    if device_id:
        body["deviceId"] = device_id
    challenge = call(server, contract, LOGIN, body=body, expect=200)
    return challenge["flowId"]


def approved_second_factor(server, contract, email: str, flow_id: str, authenticator) -> str:
    """Enters the authenticator code of `flow_id` and returns the approval code it sent to `email`."""
    seen = server.codes(email)
    waiting = login_verify(server, contract, flow_id, "totp", authenticator.code())
    assert waiting["status"] == "device_approval_required" and waiting["channel"] == "email", waiting
    code = server.newest_code(email, exclude=seen)
    message = next(m for m in server.messages(email) if m.get("code") == code)
    assert message["subject"].startswith("Was this you?") and "/freeze/" in message["body"], message
    return code


def test_a_new_device_is_approved_with_the_emailed_code(approving, contract):
    account = signed_in_account(approving, contract, "ada")  # its email code proved the inbox: not asked
    authenticator = bind_authenticator(approving, contract, account)
    flow_id = password_step(approving, contract, account.email)
    approve(approving, contract, flow_id, "123456", expect=409, expect_code="device_approval.not_pending")

    seen = approving.codes(account.email)
    waiting = login_verify(approving, contract, flow_id, "totp", authenticator.code())
    assert waiting == {"status": "device_approval_required", "flowId": flow_id, "channel": "email",
                       "destination": waiting["destination"]}
    assert waiting["destination"].endswith("@example.com") and "•••" in waiting["destination"]
    code = approving.newest_code(account.email, exclude=seen)
    # The second step is spent; the flow waits for the approval code only.
    login_verify(approving, contract, flow_id, "totp", authenticator.code(), expect=409,
                 expect_code="device_approval.pending")
    call(approving, contract, LOGIN_FLOW, flow_id, expect=409, expect_code="device_approval.pending")
    call(approving, contract, LOGIN_SEND, flow_id, body={"channel": "email"}, expect=409,
         expect_code="device_approval.pending")

    problem = approve(approving, contract, flow_id, wrong_code(code), expect=422, expect_code="code.invalid")
    assert problem["attemptsRemaining"] >= 1
    for body in ({}, {"code": 318064}):
        problem = call(approving, contract, APPROVE, flow_id, body=body, body_valid=False, expect=400,
                       expect_code="request.invalid_field")
        assert problem["field"] == "code"
    # Bodies too large or not sent as JSON: test_openapi_contract's BODY_OPERATIONS.
    path = f"/api/v1/login/{flow_id}/approve-device"
    contract.check(APPROVE, approving.request("POST", path, body=b'{"code": ', headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")

    signed_in = approve(approving, contract, flow_id, code)
    assert signed_in["status"] == "authenticated" and signed_in["accountId"] == account.account_id
    approve(approving, contract, flow_id, code, expect=409, expect_code="flow.completed")
    approve(approving, contract, "00000000-0000-4000-8000-000000000000", code, expect=404, expect_code="flow.not_found")

    # The device is known now: its next sign-in ends at the second factor.
    again = password_step(approving, contract, account.email)
    assert login_verify(approving, contract, again, "totp", authenticator.code())["status"] == "authenticated"


def test_approval_codes_run_out_and_a_stopped_account_is_told(approving, contract):
    account = signed_in_account(approving, contract, "bea")
    authenticator = bind_authenticator(approving, contract, account)
    # Codes die after two wrong entries here.
    flow_id = password_step(approving, contract, account.email, device_id=None)
    code = approved_second_factor(approving, contract, account.email, flow_id, authenticator)
    remaining = approve(approving, contract, flow_id, wrong_code(code), expect=422, expect_code="code.invalid")
    assert remaining["attemptsRemaining"] == 1
    approve(approving, contract, flow_id, wrong_code(code), expect=410, expect_code="code.exhausted")
    approve(approving, contract, flow_id, code, expect=410, expect_code="code.exhausted")

    # Wrong passwords lock the account: a sign-in waiting for approval is locked out too.
    waiting = password_step(approving, contract, account.email, device_id=None)
    code = approved_second_factor(approving, contract, account.email, waiting, authenticator)
    for _ in range(4):
        login(approving, contract, account.email, password="Wrong-Lantern-99", expect=401, expect_code="credentials.invalid")
    login(approving, contract, account.email, password="Wrong-Lantern-99", expect=423, expect_code="account.locked")
    approve(approving, contract, waiting, code, expect=423, expect_code="account.locked")

    # A freeze after the second factor stops the approval too.
    frozen = signed_in_account(approving, contract, "cleo")
    frozen_app = bind_authenticator(approving, contract, frozen)
    other = password_step(approving, contract, frozen.email, device_id=None)
    code = approved_second_factor(approving, contract, frozen.email, other, frozen_app)
    call(approving, contract, ("POST", "/api/v1/account/freeze"), token=frozen.token, expect=200)
    approve(approving, contract, other, code, expect=403, expect_code="account.frozen")
    login(approving, contract, frozen.email, expect=403, expect_code="account.frozen")


def test_wrong_approval_codes_sent_at_once_beyond_the_failures_left_are_refused(approving, contract):
    answered: set[str] = set()
    for attempt in range(5):  # each try spends its account's failures: the next needs another account
        account = signed_in_account(approving, contract, f"dora{attempt}")
        authenticator = bind_authenticator(approving, contract, account)
        flow_id = password_step(approving, contract, account.email, device_id=None)
        code = approved_second_factor(approving, contract, account.email, flow_id, authenticator)
        path = path_of(APPROVE, flow_id)
        for reply in in_parallel(10, lambda _: approving.request("POST", path, json_body={"code": wrong_code(code)})):
            problem = contract.check(APPROVE, reply)
            assert (reply.status, problem["code"]) in {(422, "code.invalid"), (410, "code.exhausted"),
                                                       (423, "account.locked"), (429, "rate_limited")}, reply.body[:300]
            answered.add(problem["code"])
        if "rate_limited" in answered:
            break
    assert "rate_limited" in answered, f"no parallel wrong approval code was answered rate_limited: {answered}"
