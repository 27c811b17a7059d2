"""The staff console in Chromium: enrolment from the link ``keyward staff add`` prints, sign-in with
a password and an authenticator code, the queue, a case with its documents shown inline, and a
dangerous action that one member proposes and another approves.

The person's side is driven through the JSON API here (its pages have tests of their own); staff
authenticator codes come from ``pyotp`` fed with the key read off the enrolment page.
"""

from __future__ import annotations

import struct
import time
import urllib.error
import urllib.request
import uuid
import zlib

import pyotp

from conftest import (SHARED_SERVER_SETTINGS, STRONG_PASSWORD, add_staff, http, new_context, running_server,
                      session_token, sign_in_with_code, unique_email, newest_code,
                      wait_for_resend_interval)

STAFF_PASSWORD = "Harbour-Signal-Copper-93"


def tiny_png(red: int) -> bytes:
    """A real 4×4 PNG of one colour, which a browser decodes and draws."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes([red, 40, 90]) * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def upload(base_url: str, case_id: str, token: str, kind: str, content: bytes, filename: str) -> int:
    boundary = f"browser-test-{uuid.uuid4().hex}"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\n{kind}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{base_url}/api/v1/support/cases/{case_id}/documents", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                                              "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def submitted_case(base_url: str) -> tuple[str, str, str]:
    """A person registers, opens a signed-in case about a lost authenticator, uploads an ID and a
    selfie and sends it for review. Returns the case id, its token and the person's email."""
    email = unique_email("console")
    started = http("POST", f"{base_url}/api/v1/registrations", json_body={"identifier": email, "password": STRONG_PASSWORD})
    assert started.status == 201, started.body
    verified = http("POST", f"{base_url}/api/v1/registrations/{started.json()['flowId']}/verify",
                    json_body={"code": newest_code(base_url, email)})
    token = session_token(verified.json())
    opened = http("POST", f"{base_url}/api/v1/support/cases", headers={"Authorization": f"Bearer {token}"},
                  json_body={"topic": "authenticator_lost", "description": "My phone with the authenticator was stolen."})
    assert opened.status == 201, opened.body
    case_id, case_token = opened.json()["caseId"], opened.json()["caseToken"]
    assert upload(base_url, case_id, case_token, "id_front", tiny_png(200), "front.png") == 201
    assert upload(base_url, case_id, case_token, "selfie", tiny_png(30), "selfie.png") == 201
    submitted = http("POST", f"{base_url}/api/v1/support/cases/{case_id}/submit",
                     headers={"Authorization": f"Bearer {case_token}"})
    assert submitted.status == 200 and submitted.json()["status"] == "in_review", submitted.body
    return case_id, case_token, email


def enrol_and_sign_in(page, link: str, email: str) -> pyotp.TOTP:
    """Follows the enrolment link, sets the password, adds the key to an 'app', confirms, and signs
    in to the console; returns the app."""
    page.goto(link)
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    app = pyotp.TOTP(page.locator("#secret").inner_text().replace(" ", ""))
    page.fill("#code", app.now())
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/sign-in")
    page.fill("#email", email)
    page.fill("#password", STAFF_PASSWORD)
    # The enrolment used this time step's code; the next step's, which the server's window accepts, signs in.
    page.fill("#code", app.at(int(time.time()) + 30))
    page.click("button[type=submit]")
    page.wait_for_url("**/staff")
    return app


def test_an_agent_proposes_a_reset_from_the_case_page_and_a_reviewer_approves_it(browser):
    with running_server(SHARED_SERVER_SETTINGS) as base_url:
        case_id, case_token, _ = submitted_case(base_url)
        agent_email, reviewer_email = unique_email("agent"), unique_email("reviewer")
        agent_link, reviewer_link = add_staff(base_url, agent_email, "agent"), add_staff(base_url, reviewer_email, "reviewer")

        agent_context = new_context(browser, base_url)
        reviewer_context = new_context(browser, base_url)
        try:
            agent = agent_context.new_page()
            # Without a staff session the console sends the browser to the staff sign-in.
            agent.goto("/staff")
            assert agent.url.endswith("/staff/sign-in")
            enrol_and_sign_in(agent, agent_link, agent_email)
            row = agent.locator(f"tr[data-case='{case_id}']")
            assert row.count() == 1
            row.locator("a").click()
            agent.wait_for_url(f"**/staff/cases/{case_id}")
            images = agent.locator(".documents img")
            assert images.count() == 2
            for index in range(2):
                assert images.nth(index).evaluate("img => img.complete && img.naturalWidth") == 4
            assert "authenticator_lost" in agent.inner_text("main")

            agent.select_option("#action", "reset_authenticator")
            agent.fill("#reason", "The ID and the selfie match the account holder.")
            agent.click("#act button[type=submit]")
            agent.wait_for_url(f"**/staff/cases/{case_id}")
            assert "awaiting_approval" in agent.inner_text(".actions-taken")
            agent.goto("/staff/approvals")
            assert "You proposed this" in agent.inner_text(".approvals")
            assert agent.locator(".approvals button.approve").count() == 0

            reviewer = reviewer_context.new_page()
            enrol_and_sign_in(reviewer, reviewer_link, reviewer_email)
            reviewer.goto("/staff/approvals")
            reviewer.locator(".approvals button.approve").first.click()
            reviewer.wait_for_url(f"**/staff/cases/{case_id}")
            assert reviewer.inner_text("#case-status") == "resolved"
            assert "The ID and the selfie match" in reviewer.inner_text("#decision")
            assert "approved by " + reviewer_email in reviewer.inner_text(".actions-taken")
        finally:
            agent_context.close()
            reviewer_context.close()

        # The person sees the decision with their case key.
        view = http("GET", f"{base_url}/api/v1/support/cases/{case_id}", headers={"Authorization": f"Bearer {case_token}"})
        assert view.json()["status"] == "resolved"


def test_a_customer_session_never_opens_the_console(browser):
    with running_server(SHARED_SERVER_SETTINGS) as base_url:
        context = new_context(browser, base_url)
        try:
            page = context.new_page()
            email = unique_email("customer")
            started = http("POST", f"{base_url}/api/v1/registrations", json_body={"identifier": email, "password": STRONG_PASSWORD})
            http("POST", f"{base_url}/api/v1/registrations/{started.json()['flowId']}/verify",
                 json_body={"code": newest_code(base_url, email)})
            wait_for_resend_interval(base_url, email)
            sign_in_with_code(page, base_url, email)
            page.goto("/staff")
            assert page.url.endswith("/staff/sign-in")
            document = page.request.get(f"{base_url}/staff/cases/anything/documents/any", max_redirects=0)
            assert document.status == 303 and document.headers["location"].endswith("/staff/sign-in")
        finally:
            context.close()
