"""Staff actions on support cases through the JSON API, held against the OpenAPI document.

What staff do to a case and its account: reset a lost authenticator, set a new phone number or
email address (which takes effect only when the person enters the code sent to it, on the case),
sign the account out everywhere, lift its sign-in locks, ask the person for more, or decline the
case. The dangerous actions wait for a second member, a reviewer or admin who did not propose
them, while `support.fourEyes` is on, and always when an agent proposes them. Each test checks the
action's effect on the account from the person's side (sessions ended, sign-in methods, holds,
identifiers), and that a decided case takes nothing more, from staff or from the person.

Answers are checked with the session's ``contract`` (conftest.py) and count toward the coverage
test that ends ``test_openapi_contract``. Staff and person helpers come from
``test_staff_contract``, ``test_support_cases_contract`` and ``test_openapi_contract``.

Servers of this module's own: ``desk`` (four eyes, the default) and ``trusting``
(`support.fourEyes` off), each with an agent, a reviewer and an admin signed in.
"""

from __future__ import annotations

import math
import time
from types import SimpleNamespace

import pytest
from conftest import OPERATOR_KEY
from test_openapi_contract import (BODY_LIMIT, SECURITY, SESSION, UNKNOWN_ID, activity_kinds, bind_phone, call,
                                   change_verify, cheap_hashing, in_time, login, masked_phone, operator_holds, parse_time,
                                   second_step, sign_in, signed_in_account, start_change, unique_email, unique_phone,
                                   wait_for_message, wrong_code)
from test_staff_contract import (CONTACT_CONFIRM, CONTACT_SEND, STAFF_ACT, STAFF_APPROVE, STAFF_AWAITING, add_documents,
                                 case_with_documents, queue, raw_post, signed_in_staff, staff_case)
from test_support_cases_contract import (authenticator_account, jpeg, message, open_case, proof_code, submit,
                                         unavailable, upload, view, waiting_sign_in)

REASON = "ID and selfie match the account holder."
DECISIONS = {
    "reset_authenticator": "Support reset your authenticator app. Sign in with a code sent to your email or phone, "
                           "then set up a new authenticator app.",
    "replace_phone": "Your new phone number is confirmed and replaces the old one.",
    "replace_email": "Your new email address is confirmed and replaces the old one.",
    "unlock": "Support lifted the lock on your account. You can sign in again.",
    "revoke_sessions": "Support signed your account out on every device.",
    "reject": "Support declined this case.",
}
ACTION_KEYS = {"actionId", "caseId", "action", "reason", "status", "proposedBy", "createdAt"}
CODE_ATTEMPTS = 5  # code.maxAttempts
RESEND_INTERVAL = 1


# ---------------------------------------------------------------------------------------------
# Helpers.
# ---------------------------------------------------------------------------------------------

def act(server, contract, case_id: str, token: str, action: str, reason: str = REASON, *, expect=201,
        expect_code=None, body_valid: bool | None = True, **values):
    """Takes (201) or proposes (202) `action` on the case; `values` are `phone`, `email` or `message`."""
    return call(server, contract, STAFF_ACT, case_id, body={"action": action, "reason": reason, **values},
                token=token, body_valid=body_valid, expect=expect, expect_code=expect_code)


def approve(server, contract, action_id: str, token: str, *, expect=200, expect_code=None):
    return call(server, contract, STAFF_APPROVE, action_id, token=token, expect=expect, expect_code=expect_code)


def awaiting(server, contract, token: str) -> list[dict]:
    return call(server, contract, STAFF_AWAITING, token=token, expect=200)["actions"]


def confirm_contact(server, contract, case_id: str, token: str | None, code: str, *, expect=200, expect_code=None):
    return call(server, contract, CONTACT_CONFIRM, case_id, body={"code": code}, token=token, expect=expect,
                expect_code=expect_code)


def send_contact_code(server, contract, case_id: str, token: str | None, *, expect=202, expect_code=None):
    return call(server, contract, CONTACT_SEND, case_id, token=token, expect=expect, expect_code=expect_code)


def assert_action(action: dict, kind: str, case_id: str, proposer, status: str, *, value: str | None = None,
                  approver=None, reason: str = REASON):
    """An action's members: `value` only where the action has one, `approvedBy` only once approved,
    `appliedAt` only once applied."""
    keys = ACTION_KEYS | ({"value"} if value is not None else set()) | ({"approvedBy"} if approver else set()) \
        | ({"appliedAt"} if status == "applied" else set())
    assert set(action) == keys, (sorted(action), sorted(keys))
    assert (action["action"], action["caseId"], action["proposedBy"], action["status"], action["reason"]) == \
        (kind, case_id, proposer.id, status, reason), action
    assert action.get("value") == value and action.get("approvedBy") == (approver.id if approver else None), action


def signed_out(server, contract, *tokens: str):
    for token in tokens:
        call(server, contract, SESSION, token=token, expect=401, expect_code="session.required")


def wait_out_resend(sent_by: float):
    """Waits until a code sent before the time `sent_by` (epoch seconds) no longer holds the next one back."""
    delay = math.ceil(sent_by + RESEND_INTERVAL) + 0.1 - time.time()
    if delay > 0:
        time.sleep(delay)


def new_contact_code(server, destination: str, seen: tuple[str, ...] = ()) -> str:
    return server.newest_code(destination, exclude=seen)


def hold_reasons(server, contract, account_id: str) -> list[str]:
    return [hold["reason"] for hold in operator_holds(server, contract, account_id, f"Bearer {OPERATOR_KEY}")["holds"]]


# ---------------------------------------------------------------------------------------------
# Servers and teams of this module's own.
# ---------------------------------------------------------------------------------------------

def team_of(server, contract) -> SimpleNamespace:
    return SimpleNamespace(**{role: signed_in_staff(server, contract, role) for role in ("agent", "reviewer", "admin")})


@pytest.fixture(scope="module")
def desk(start_server, relaxed_limits):
    """Four eyes (the default), cheap hashing, relaxed customer limits, the operator key."""
    return start_server(**cheap_hashing(KEYWARD_CODE_RESEND_INTERVAL=str(RESEND_INTERVAL),
                                        KEYWARD_OPERATOR_API_KEYS=OPERATOR_KEY, **relaxed_limits))


@pytest.fixture(scope="module")
def team(desk, contract) -> SimpleNamespace:
    return team_of(desk, contract)


@pytest.fixture(scope="module")
def trusting(start_server, relaxed_limits):
    """Like ``desk``, with `support.fourEyes` off."""
    return start_server(**cheap_hashing(KEYWARD_SUPPORT_FOUR_EYES="false",
                                        KEYWARD_CODE_RESEND_INTERVAL=str(RESEND_INTERVAL),
                                        KEYWARD_OPERATOR_API_KEYS=OPERATOR_KEY, **relaxed_limits))


@pytest.fixture(scope="module")
def trusted_team(trusting, contract) -> SimpleNamespace:
    return team_of(trusting, contract)


# ---------------------------------------------------------------------------------------------
# Dangerous actions and their approval.
# ---------------------------------------------------------------------------------------------

def test_an_authenticator_reset_waits_for_a_second_member_then_the_person_signs_in_with_an_email_code(desk, contract,
                                                                                                       team):
    account = authenticator_account(desk, contract, "reset-me")
    flow_id = waiting_sign_in(desk, contract, account)
    opened = unavailable(desk, contract, flow_id, ["totp"], method="email_code",
                         code=proof_code(desk, contract, flow_id, "email", account.email))
    case_id, case_token = opened["caseId"], opened["caseToken"]
    add_documents(desk, contract, case_id, case_token)
    submit(desk, contract, case_id, case_token)

    # Under four eyes even a reviewer's reset waits; it changes nothing yet.
    proposed = act(desk, contract, case_id, team.reviewer.token, "reset_authenticator", expect=202)
    assert_action(proposed, "reset_authenticator", case_id, team.reviewer, "awaiting_approval")
    assert proposed in awaiting(desk, contract, team.agent.token)
    assert view(desk, contract, case_id, case_token)["status"] == "in_review"
    assert login(desk, contract, account.email)["methods"] == ["totp"]

    action_id = proposed["actionId"]
    approve(desk, contract, action_id, team.reviewer.token, expect=403, expect_code="staff.self_approval")
    approve(desk, contract, action_id, team.agent.token, expect=403, expect_code="staff.role_insufficient")
    for unknown in (UNKNOWN_ID, "not-an-action"):
        approve(desk, contract, unknown, team.admin.token, expect=404, expect_code="staff.action_not_found")
    approved = approve(desk, contract, action_id, team.admin.token)
    assert_action(approved, "reset_authenticator", case_id, team.reviewer, "applied", approver=team.admin)
    assert {key: approved[key] for key in ACTION_KEYS - {"status"}} == {key: proposed[key] for key in ACTION_KEYS - {"status"}}
    assert parse_time(approved["appliedAt"]) >= parse_time(approved["createdAt"])
    approve(desk, contract, action_id, team.admin.token, expect=409, expect_code="staff.action_not_pending")
    assert action_id not in {action["actionId"] for action in awaiting(desk, contract, team.admin.token)}

    # Every session ended; the case is resolved and says why.
    signed_out(desk, contract, account.token, account.registration_token)
    resolved = view(desk, contract, case_id, case_token)
    assert (resolved["status"], resolved["decision"]) == ("resolved", f"{DECISIONS['reset_authenticator']} {REASON}")
    detail = staff_case(desk, contract, case_id, team.agent.token)
    assert (detail["case"], detail["actions"]) == (resolved, [approved])
    # The person signs in with a code to their email address, and withdrawals are held.
    challenge = login(desk, contract, account.email)
    assert challenge["methods"] == ["email_code"], challenge
    token = second_step(desk, contract, challenge, account.email)["session"]["token"]
    assert call(desk, contract, SECURITY, token=token, expect=200)["factors"]["totp"] is False
    assert "support.authenticator_reset" in hold_reasons(desk, contract, account.account_id)
    kinds = activity_kinds(desk, contract, token)
    assert {"support_case.action_proposed", "support_case.action_approved", "support.authenticator_reset"} <= \
        set(kinds), kinds
    # The decided case takes no more actions.
    act(desk, contract, case_id, team.admin.token, "reject", expect=409, expect_code="case.closed")


def test_an_agents_dangerous_action_waits_even_without_four_eyes_and_a_reviewers_applies_at_once(trusting, contract,
                                                                                                  trusted_team):
    proposed_by_agent = authenticator_account(trusting, contract, "agent-reset")
    reset_at_once = authenticator_account(trusting, contract, "reviewer-reset")
    first = case_with_documents(trusting, contract, proposed_by_agent)
    second = case_with_documents(trusting, contract, reset_at_once)

    proposed = act(trusting, contract, first.id, trusted_team.agent.token, "reset_authenticator", expect=202)
    assert_action(proposed, "reset_authenticator", first.id, trusted_team.agent, "awaiting_approval")
    assert login(trusting, contract, proposed_by_agent.email)["methods"] == ["totp"]
    approved = approve(trusting, contract, proposed["actionId"], trusted_team.reviewer.token)
    assert_action(approved, "reset_authenticator", first.id, trusted_team.agent, "applied",
                  approver=trusted_team.reviewer)

    applied = act(trusting, contract, second.id, trusted_team.reviewer.token, "reset_authenticator", expect=201)
    assert_action(applied, "reset_authenticator", second.id, trusted_team.reviewer, "applied")
    assert applied["actionId"] not in {action["actionId"] for action in awaiting(trusting, contract,
                                                                                  trusted_team.admin.token)}
    for account, case in ((proposed_by_agent, first), (reset_at_once, second)):
        assert login(trusting, contract, account.email)["methods"] == ["email_code"]
        assert view(trusting, contract, case.id, case.token)["status"] == "resolved"
        signed_out(trusting, contract, account.token)


# ---------------------------------------------------------------------------------------------
# A new phone number or email address, confirmed by the person.
# ---------------------------------------------------------------------------------------------

def test_a_new_phone_number_set_by_support_takes_effect_with_the_code_sent_to_it(desk, contract, team):
    account = signed_in_account(desk, contract, "new-phone")
    old_phone = bind_phone(desk, contract, account)
    case = case_with_documents(desk, contract, account, "phone_lost")
    confirm_contact(desk, contract, case.id, case.token, "123456", expect=409, expect_code="case.no_contact_pending")
    send_contact_code(desk, contract, case.id, case.token, expect=409, expect_code="case.no_contact_pending")

    new_phone = unique_phone()
    proposed = act(desk, contract, case.id, team.agent.token, "replace_phone", "The old number was cancelled.",
                   expect=202, phone=new_phone)
    assert_action(proposed, "replace_phone", case.id, team.agent, "awaiting_approval", value=new_phone,
                  reason="The old number was cancelled.")
    send_contact_code(desk, contract, case.id, case.token, expect=409, expect_code="case.no_contact_pending")
    assert desk.codes(new_phone) == (), "a code went to the new phone number before the approval"

    approve(desk, contract, proposed["actionId"], team.reviewer.token)
    code = new_contact_code(desk, new_phone)
    waiting = view(desk, contract, case.id, case.token)
    assert waiting["status"] == "waiting_for_person", waiting
    assert waiting["messages"][-1]["from"] == "support" and masked_phone(new_phone) in waiting["messages"][-1]["body"]
    # Nothing changed yet.
    assert call(desk, contract, SESSION, token=account.token, expect=200)

    problem = confirm_contact(desk, contract, case.id, case.token, wrong_code(code), expect=422,
                              expect_code="code.invalid")
    assert problem["attemptsRemaining"] == CODE_ATTEMPTS - 1
    confirm_contact(desk, contract, case.id, None, code, expect=401, expect_code="case.token_required")
    confirm_contact(desk, contract, UNKNOWN_ID, case.token, code, expect=404, expect_code="case.not_found")
    send_contact_code(desk, contract, case.id, None, expect=401, expect_code="case.token_required")
    send_contact_code(desk, contract, UNKNOWN_ID, case.token, expect=404, expect_code="case.not_found")
    for body in ({}, {"code": 123456}):
        problem = call(desk, contract, CONTACT_CONFIRM, case.id, body=body, token=case.token, body_valid=False,
                       expect=400, expect_code="request.invalid_field")
        assert problem["field"] == "code"
    raw_post(desk, contract, CONTACT_CONFIRM, case.id, body=b'{"code": ', token=case.token, expect=400,
             expect_code="request.malformed")
    raw_post(desk, contract, CONTACT_CONFIRM, case.id, body=b'{"code": "123456"}', content_type="text/plain",
             token=case.token, expect=415, expect_code="request.unsupported_media_type")
    raw_post(desk, contract, CONTACT_CONFIRM, case.id, body=('{"code": "' + "1" * BODY_LIMIT + '"}').encode(),
             token=case.token, expect=413, expect_code="request.too_large")

    # A new code replaces the first, within the resend interval.
    seen = desk.codes(new_phone)
    sent = in_time(lambda: send_contact_code(desk, contract, case.id, case.token, expect=None))
    assert set(sent) == {"resendAvailableAt"}, f"expected 202, got {sent}"
    again = send_contact_code(desk, contract, case.id, case.token, expect=429, expect_code="code.resend_too_soon")
    assert parse_time(again["resendAvailableAt"]) == parse_time(sent["resendAvailableAt"])
    older, code = code, new_contact_code(desk, new_phone, seen)
    if older != code:
        confirm_contact(desk, contract, case.id, case.token, older, expect=422, expect_code="code.invalid")

    confirmed = confirm_contact(desk, contract, case.id, case.token, code)
    assert (confirmed["status"], confirmed["decision"]) == \
        ("resolved", f"{DECISIONS['replace_phone']} The old number was cancelled."), confirmed
    assert confirmed == view(desk, contract, case.id, case.token)
    confirm_contact(desk, contract, case.id, case.token, code, expect=409, expect_code="case.no_contact_pending")
    send_contact_code(desk, contract, case.id, case.token, expect=409, expect_code="case.no_contact_pending")

    # The new number signs in in place of the old; sessions ended, withdrawals held, the owner told.
    signed_out(desk, contract, account.token, account.registration_token)
    assert login(desk, contract, new_phone)["status"] == "second_factor_required"
    login(desk, contract, old_phone, expect=404, expect_code="account.not_found")
    assert "support.phone_changed" in hold_reasons(desk, contract, account.account_id)
    wait_for_message(desk, account.email, lambda found: "support changed the phone number" in
                     (found.get("subject", "") + found.get("body", "")).lower())


def test_without_four_eyes_a_new_email_address_applies_at_once_and_too_many_wrong_codes_end_it(trusting, contract,
                                                                                                 trusted_team):
    account = signed_in_account(trusting, contract, "new-email")
    case = case_with_documents(trusting, contract, account, "email_lost")
    new_email = unique_email("new-email-set")

    applied = act(trusting, contract, case.id, trusted_team.reviewer.token, "replace_email", expect=201,
                  email=new_email.upper())
    sent_by = time.time()
    assert_action(applied, "replace_email", case.id, trusted_team.reviewer, "applied", value=new_email)
    code = new_contact_code(trusting, new_email)
    for remaining in range(CODE_ATTEMPTS - 1, 0, -1):
        problem = confirm_contact(trusting, contract, case.id, account.token, wrong_code(code), expect=422,
                                  expect_code="code.invalid")
        assert problem["attemptsRemaining"] == remaining
    confirm_contact(trusting, contract, case.id, case.token, wrong_code(code), expect=410, expect_code="code.exhausted")
    confirm_contact(trusting, contract, case.id, case.token, code, expect=410, expect_code="code.exhausted")

    # Support sets it again: a new code.
    wait_out_resend(sent_by)
    seen = trusting.codes(new_email)
    act(trusting, contract, case.id, trusted_team.reviewer.token, "replace_email", expect=201, email=new_email)
    confirmed = confirm_contact(trusting, contract, case.id, case.token, new_contact_code(trusting, new_email, seen))
    assert (confirmed["status"], confirmed["decision"]) == ("resolved", f"{DECISIONS['replace_email']} {REASON}")

    signed_out(trusting, contract, account.token)
    login(trusting, contract, account.email, expect=404, expect_code="account.not_found")
    token = sign_in(trusting, contract, new_email)["session"]["token"]
    assert call(trusting, contract, SECURITY, token=token, expect=200)["factors"]["email"] == new_email
    wait_for_message(trusting, account.email, lambda found: "support changed the email address" in
                     (found.get("subject", "") + found.get("body", "")).lower())


def test_a_new_phone_number_another_account_took_meanwhile_is_refused(trusting, contract, trusted_team):
    account = signed_in_account(trusting, contract, "phone-race")
    case = case_with_documents(trusting, contract, account, "phone_lost")
    contested = unique_phone()
    act(trusting, contract, case.id, trusted_team.reviewer.token, "replace_phone", expect=201, phone=contested)
    code = new_contact_code(trusting, contested)
    # Another account binds the number first.
    rival = signed_in_account(trusting, contract, "phone-rival")
    started = start_change(trusting, contract, "phone", contested, rival.token)
    change_verify(trusting, contract, "phone", rival.token, started["flowId"],
                  newCode=new_contact_code(trusting, contested, (code,)))

    confirm_contact(trusting, contract, case.id, case.token, code, expect=409, expect_code="identifier.taken")
    assert view(trusting, contract, case.id, case.token)["status"] == "waiting_for_person"
    assert call(trusting, contract, SESSION, token=account.token, expect=200)
    # Setting it now is refused at once.
    act(trusting, contract, case.id, trusted_team.reviewer.token, "replace_phone", expect=409,
        expect_code="identifier.taken", phone=contested)


def test_setting_a_contact_again_within_the_resend_interval_waits_for_it(trusting, desk, contract, trusted_team, team):
    # The code to a new phone number or address obeys the resend interval of its destination.
    account = signed_in_account(trusting, contract, "set-twice")
    case = case_with_documents(trusting, contract, account, "phone_lost")
    phone = unique_phone()
    act(trusting, contract, case.id, trusted_team.reviewer.token, "replace_phone", expect=201, phone=phone)
    sent_by = time.time()
    problem = act(trusting, contract, case.id, trusted_team.reviewer.token, "replace_phone", expect=429,
                  expect_code="code.resend_too_soon", phone=phone)
    assert problem["retryAfter"] >= 1
    wait_out_resend(sent_by)
    act(trusting, contract, case.id, trusted_team.reviewer.token, "replace_phone", expect=201, phone=phone)

    # So does an approval that sends one.
    shared = unique_phone()
    proposals = []
    for label in ("approve-first", "approve-second"):
        person = signed_in_account(desk, contract, label)
        waiting = case_with_documents(desk, contract, person, "phone_lost")
        proposals.append(act(desk, contract, waiting.id, team.agent.token, "replace_phone", expect=202, phone=shared))
    approve(desk, contract, proposals[0]["actionId"], team.reviewer.token)
    sent_by = time.time()
    problem = approve(desk, contract, proposals[1]["actionId"], team.reviewer.token, expect=429,
                      expect_code="code.resend_too_soon")
    assert problem["retryAfter"] >= 1
    wait_out_resend(sent_by)
    approve(desk, contract, proposals[1]["actionId"], team.reviewer.token)


# ---------------------------------------------------------------------------------------------
# Actions that apply at once.
# ---------------------------------------------------------------------------------------------

def test_signing_the_account_out_and_lifting_its_lock_apply_at_once_and_resolve_the_case(desk, contract, team):
    account = signed_in_account(desk, contract, "signed-out-unlocked")
    first = open_case(desk, contract, account.token, "other", "Someone else is signed in to my account.")
    second = open_case(desk, contract, account.token, "other", "I locked myself out.")

    applied = act(desk, contract, first["caseId"], team.agent.token, "revoke_sessions", "Sessions from unknown devices.")
    assert_action(applied, "revoke_sessions", first["caseId"], team.agent, "applied",
                  reason="Sessions from unknown devices.")
    signed_out(desk, contract, account.token, account.registration_token)
    decided = view(desk, contract, first["caseId"], first["caseToken"])
    assert (decided["status"], decided["decision"]) == \
        ("resolved", f"{DECISIONS['revoke_sessions']} Sessions from unknown devices."), decided

    for _ in range(4):
        login(desk, contract, account.email, "Wrong-Lantern-99", expect=401, expect_code="credentials.invalid")
    login(desk, contract, account.email, "Wrong-Lantern-99", expect=423, expect_code="account.locked")
    login(desk, contract, account.email, expect=423, expect_code="account.locked")
    applied = act(desk, contract, second["caseId"], team.agent.token, "unlock")
    assert_action(applied, "unlock", second["caseId"], team.agent, "applied")
    decided = view(desk, contract, second["caseId"], second["caseToken"])
    assert (decided["status"], decided["decision"]) == ("resolved", f"{DECISIONS['unlock']} {REASON}"), decided
    token = sign_in(desk, contract, account.email)["session"]["token"]
    assert {"support.sessions_revoked", "support.unlocked"} <= set(activity_kinds(desk, contract, token))


def test_asking_for_more_writes_to_the_person_and_the_case_waits_for_them(desk, contract, team):
    account = signed_in_account(desk, contract, "asked-for-more")
    case = case_with_documents(desk, contract, account, "account_frozen")
    applied = act(desk, contract, case.id, team.agent.token, "request_info", "The selfie is blurred.",
                  message="  Please send a sharper selfie.\n\tHold your ID next to your face.  ")
    text = "Please send a sharper selfie.\n\tHold your ID next to your face."
    assert_action(applied, "request_info", case.id, team.agent, "applied", value=text, reason="The selfie is blurred.")

    waiting = view(desk, contract, case.id, case.token)
    assert (waiting["status"], waiting["decision"]) == ("waiting_for_person", None), waiting
    assert [(entry["from"], entry["body"]) for entry in waiting["messages"]] == [("support", text)]
    assert case.id not in {entry["caseId"] for entry in queue(desk, contract, team.agent.token)["cases"]}
    # The person answers and sends the case back.
    upload(desk, contract, case.id, case.token, "selfie", jpeg(b"sharper"))
    message(desk, contract, case.id, case.token, "Here it is.")
    back = submit(desk, contract, case.id, case.token)
    assert back["status"] == "in_review" and parse_time(back["respondBy"]) >= parse_time(case.view["respondBy"]), back
    assert case.id in {entry["caseId"] for entry in queue(desk, contract, team.agent.token)["cases"]}


# ---------------------------------------------------------------------------------------------
# Refusals.
# ---------------------------------------------------------------------------------------------

def test_actions_are_checked_against_the_case_and_the_account(desk, contract, team):
    account = signed_in_account(desk, contract, "checked-actions")
    phone = bind_phone(desk, contract, account)
    stranger = signed_in_account(desk, contract, "checked-stranger")
    case = case_with_documents(desk, contract, account, "other", submitted=False)
    token = team.agent.token

    def refused(action, status, code, *, reason=REASON, body_valid=True, **values):
        act(desk, contract, case.id, token, action, reason, expect=status, expect_code=code, body_valid=body_valid,
            **values)

    refused("fly", 422, "staff.action_invalid", body_valid=False)
    for reason in ("", "  \n ", "x" * 4001, "Bell\u0007"):
        refused("reject", 422, "staff.action_invalid", reason=reason)
    refused("replace_phone", 422, "staff.action_invalid")
    refused("replace_email", 422, "staff.action_invalid")
    refused("request_info", 422, "staff.action_invalid")
    refused("request_info", 422, "staff.action_invalid", message="   ")
    refused("replace_phone", 422, "contact.kind_mismatch", phone=unique_email("kind"))
    refused("replace_email", 422, "contact.kind_mismatch", email=unique_phone())
    refused("replace_phone", 422, "identifier.invalid", phone="not a number")
    refused("replace_email", 422, "identifier.invalid", email="nobody@")
    refused("replace_phone", 409, "contact.unchanged", phone=phone)
    refused("replace_email", 409, "contact.unchanged", email=account.email.upper())
    refused("replace_email", 409, "identifier.taken", email=stranger.email)
    # Nothing is restricted or frozen: there is nothing to lift.
    refused("lift_restriction", 409, "staff.action_not_applicable")
    refused("unfreeze", 409, "staff.action_not_applicable")
    for case_id in (UNKNOWN_ID, "not-a-case"):
        act(desk, contract, case_id, token, "reject", expect=404, expect_code="case.not_found")

    for body, field in [({"reason": REASON}, "action"), ({"action": "reject"}, "reason"),
                        ({"action": "reject", "reason": 5}, "reason"),
                        ({"action": "replace_phone", "reason": REASON, "phone": 447700900123}, "phone"),
                        ({"action": "request_info", "reason": REASON, "message": ["Hi"]}, "message")]:
        problem = call(desk, contract, STAFF_ACT, case.id, body=body, token=token, body_valid=False, expect=400,
                       expect_code="request.invalid_field")
        assert problem["field"] == field, (body, problem)
    raw_post(desk, contract, STAFF_ACT, case.id, body=b'{"action": "reject", ', token=token, expect=400,
             expect_code="request.malformed")
    raw_post(desk, contract, STAFF_ACT, case.id, body=b'{"action": "reject", "reason": "x"}', content_type="text/plain",
             token=token, expect=415, expect_code="request.unsupported_media_type")
    raw_post(desk, contract, STAFF_ACT, case.id, token=token, expect=413, expect_code="request.too_large",
             body=('{"action": "reject", "reason": "' + "x" * BODY_LIMIT + '"}').encode())

    # None of it left a trace on the case.
    detail = staff_case(desk, contract, case.id, token)
    assert (detail["actions"], detail["case"]["status"], detail["case"]["messages"]) == ([], "open", []), detail


def test_a_decided_case_takes_nothing_more_from_staff_or_the_person(desk, contract, team):
    account = signed_in_account(desk, contract, "declined")
    case = case_with_documents(desk, contract, account)
    pending = act(desk, contract, case.id, team.agent.token, "reset_authenticator", expect=202)
    rejected = act(desk, contract, case.id, team.reviewer.token, "reject", "The selfie does not match the ID.")
    assert_action(rejected, "reject", case.id, team.reviewer, "applied", reason="The selfie does not match the ID.")
    decided = view(desk, contract, case.id, case.token)
    assert (decided["status"], decided["decision"]) == \
        ("rejected", f"{DECISIONS['reject']} The selfie does not match the ID."), decided

    approve(desk, contract, pending["actionId"], team.admin.token, expect=409, expect_code="case.closed")
    for action, values in (("reject", {}), ("unlock", {}), ("request_info", {"message": "Anything else?"}),
                           ("replace_email", {"email": unique_email("too-late")})):
        act(desk, contract, case.id, team.admin.token, action, expect=409, expect_code="case.closed", **values)
    message(desk, contract, case.id, case.token, "Please look again.", expect=409, expect_code="case.closed")
    upload(desk, contract, case.id, case.token, "other", jpeg(), expect=409, expect_code="case.closed")
    submit(desk, contract, case.id, case.token, expect=409, expect_code="case.closed")
    submit(desk, contract, case.id, account.token, expect=409, expect_code="case.closed")
    confirm_contact(desk, contract, case.id, case.token, "123456", expect=409, expect_code="case.no_contact_pending")

    # The case and its history stay readable; the account was not touched.
    assert view(desk, contract, case.id, case.token) == decided
    detail = staff_case(desk, contract, case.id, team.agent.token)
    assert detail["case"] == decided
    assert {action["actionId"]: action for action in detail["actions"]} == \
        {pending["actionId"]: pending, rejected["actionId"]: rejected}, detail["actions"]
    assert call(desk, contract, SESSION, token=account.token, expect=200)
