"""The support desk's two whole stories in Chromium, the person's pages and the staff console side by
side on one server:

* an authenticator lost with its backup: the password, "Security verification unavailable?", the
  email code, an ID and a selfie, the case sent to support; an agent proposes the reset from the
  console, a reviewer approves it; the person signs in with an email code and sees the withdrawal
  hold and the line in their activity;
* a phone lost by someone whose only factor was that phone, who cannot sign in at all: the case opens
  on the password alone; a reviewer proposes the new number, an admin approves; nothing changes
  until the person enters, on the case page, the code sent to the new phone, and then signs in with it.
"""

from __future__ import annotations

import re

from conftest import (STRONG_PASSWORD, add_staff, click_for_post, latest_code, new_context, newest_code, path_of,
                      register, sign_in, sign_in_with_code, submit_form, unique_email, unique_phone,
                      wait_for_resend_interval)
from test_security_settings import bind_authenticator, confirm_it_is_you, sign_out
from test_staff_console import enrol_and_sign_in
from test_support_cases import canvas_image, case_id_of, requirement, upload


def report_unavailable(page, server: str, identifier: str, tick: str, proof_to: str | None) -> str:
    """From a right password, reports the factor `tick` lost, proves `proof_to` with its code when
    given, and opens the case; uploads an ID and a selfie and sends it to support. Returns the case id."""
    posted = sign_in(page, identifier, STRONG_PASSWORD)
    assert posted.status == 302 and path_of(page.url) == "/login/verify", page.url
    with page.expect_navigation():
        page.get_by_role("link", name="Security verification unavailable?").click()
    page.check(f"#unavailable-{tick}")
    page.fill("#description", "I no longer have it and cannot get my codes.")
    if proof_to:
        submit_form(page, "Continue", "/login/verification-unavailable")
        wait_for_resend_interval(server, proof_to)
        before = latest_code(server, proof_to)
        click_for_post(page, page.get_by_role("button", name=re.compile(r"^Send a code to ")),
                       "/login/verification-unavailable/send-code")
        page.fill("#code", newest_code(server, proof_to, exclude=(before,)))
        opened = submit_form(page, "Open the case", "/login/verification-unavailable")
    else:
        # Nothing is left to prove: the case opens on the password alone.
        opened = submit_form(page, "Continue", "/login/verification-unavailable")
    assert opened.status == 303, f"opening the case answered {opened.status}"
    case_id = case_id_of(page)
    upload(page, case_id, "id_front", "id-front.png", "image/png", canvas_image(page.context, "image/png"))
    upload(page, case_id, "selfie", "selfie.jpg", "image/jpeg", canvas_image(page.context, "image/jpeg"))
    for kind in ["id_front", "selfie"]:
        assert requirement(page, kind).get_attribute("data-satisfied") == "yes"
    submitted = submit_form(page, "Send to support", f"/support/cases/{case_id}/submit")
    assert submitted.status == 303 and page.locator("#case-status").get_attribute("data-status") == "in_review"
    return case_id


def propose(staff_page, case_id: str, action: str, reason: str, value: str = ""):
    """Opens the case from the queue and submits `action` with `reason` (and the value it needs)."""
    staff_page.goto("/staff")
    staff_page.locator(f"tr[data-case='{case_id}'] a").click()
    staff_page.wait_for_url(f"**/staff/cases/{case_id}")
    images = staff_page.locator(".documents img")
    assert images.count() == 2 and all(images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
                                       for i in range(2)), "the documents do not show"
    staff_page.select_option("#action", action)
    staff_page.fill("#reason", reason)
    if value:
        staff_page.fill("#value", value)
    staff_page.click("#act button[type=submit]")
    staff_page.wait_for_url(f"**/staff/cases/{case_id}")
    assert "awaiting_approval" in staff_page.inner_text(".actions-taken")


def approve(staff_page, case_id: str):
    staff_page.goto("/staff/approvals")
    staff_page.locator(".approvals li", has=staff_page.locator(f"a[href='/staff/cases/{case_id}']")) \
        .locator("button.approve").click()
    staff_page.wait_for_url(f"**/staff/cases/{case_id}")


def test_a_lost_authenticator_is_reset_by_two_staff_and_the_person_signs_in_with_an_email_code(browser, page, server):
    email = unique_email("story-totp")
    register(page, server, email)
    confirm_it_is_you(page, server, email)
    bind_authenticator(page, server)
    sign_out(page)
    case_id = report_unavailable(page, server, email, "totp", proof_to=email)

    agent_email, reviewer_email = unique_email("story-agent"), unique_email("story-reviewer")
    agent_link, reviewer_link = add_staff(server, agent_email, "agent"), add_staff(server, reviewer_email, "reviewer")
    agent_context, reviewer_context = new_context(browser, server), new_context(browser, server)
    try:
        agent = agent_context.new_page()
        enrol_and_sign_in(agent, agent_link, agent_email)
        propose(agent, case_id, "reset_authenticator", "The ID and the selfie match the account holder.")
        reviewer = reviewer_context.new_page()
        enrol_and_sign_in(reviewer, reviewer_link, reviewer_email)
        approve(reviewer, case_id)
        assert reviewer.inner_text("#case-status") == "resolved"
    finally:
        agent_context.close()
        reviewer_context.close()

    # The case page says what support did.
    page.goto(f"/support/cases/{case_id}")
    assert page.locator("#case-status").get_attribute("data-status") == "resolved"
    assert "Support reset your authenticator app" in page.locator("#decision").inner_text()
    # The second step now asks for an email code; the account page shows the hold and the activity line.
    sign_in_with_code(page, server, email)
    body = page.inner_text("main")
    assert "after support reset your authenticator app" in body, "no withdrawal hold after the reset"
    assert "Support reset your authenticator app" in body, "the activity does not show the reset"


def test_a_person_who_lost_their_only_phone_gets_a_new_number_through_its_code_on_the_case_page(browser, page, server):
    phone, new_phone = unique_phone(), unique_phone()
    register(page, server, phone)
    sign_out(page)
    case_id = report_unavailable(page, server, phone, "sms", proof_to=None)

    reviewer_email, admin_email = unique_email("story-reviewer"), unique_email("story-admin")
    reviewer_link, admin_link = add_staff(server, reviewer_email, "reviewer"), add_staff(server, admin_email, "admin")
    reviewer_context, admin_context = new_context(browser, server), new_context(browser, server)
    try:
        reviewer = reviewer_context.new_page()
        enrol_and_sign_in(reviewer, reviewer_link, reviewer_email)
        propose(reviewer, case_id, "replace_phone", "ID matches; the old number was reassigned.", new_phone)
        assert "proved: password" in reviewer.inner_text("main")
        reviewer.goto("/staff/approvals")
        assert "You proposed this" in reviewer.inner_text(".approvals")
        admin = admin_context.new_page()
        enrol_and_sign_in(admin, admin_link, admin_email)
        approve(admin, case_id)
        assert admin.inner_text("#case-status") == "waiting_for_person"
    finally:
        reviewer_context.close()
        admin_context.close()

    # Until the person enters the new phone's code, the old number is still the account's.
    page.goto(f"/support/cases/{case_id}")
    assert page.locator("#case-status").get_attribute("data-status") == "waiting_for_person"
    form = page.locator("#confirm-contact-form")
    assert form.is_visible() and new_phone not in page.content()
    page.fill("#contact-code", newest_code(server, new_phone))
    confirmed = submit_form(page, "Confirm", f"/support/cases/{case_id}/confirm-contact")
    assert confirmed.status == 303 and page.locator("#case-status").get_attribute("data-status") == "resolved"
    sign_in_with_code(page, server, new_phone)
    assert "after support changed your phone number" in page.inner_text("main")
