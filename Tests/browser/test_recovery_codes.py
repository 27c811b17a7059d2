"""Recovery codes through the real pages: made on /account/security behind re-authentication,
shown once with a text file to download and a print button, and used on the sign-in's second step
through "Use a recovery code" when the usual factor is out of reach."""

from __future__ import annotations

import re
from urllib.parse import unquote

from conftest import (click_for_post, password_step, path_of, register, screenshot, submit_form, unique_email,
                      wait_for_message)
from test_security_settings import SECURITY, confirm_it_is_you, sign_out

CODE = re.compile(r"[34679ACDEFGHJKMNPQRTWXY]{5}-[34679ACDEFGHJKMNPQRTWXY]{5}")


def make_recovery_codes(page) -> list[str]:
    """Makes a set from a freshly confirmed /account/security and returns the codes the page shows."""
    posted = click_for_post(page, page.locator("#make-recovery-codes"), f"{SECURITY}/recovery-codes")
    assert posted.status == 200, f"making recovery codes answered {posted.status}"
    codes = [text.strip() for text in page.locator("#recovery-codes li").all_inner_texts()]
    assert len(codes) == 10 and len(set(codes)) == 10 and all(CODE.fullmatch(code) for code in codes), codes
    return codes


def test_recovery_codes_are_shown_once_and_sign_in_in_place_of_the_usual_code(page, server):
    email = unique_email("recovery-codes")
    register(page, server, email)
    page.goto(SECURITY)
    assert page.locator("#recovery-codes-remaining").inner_text() == "0"
    assert page.locator("#make-recovery-codes").count() == 0, "recovery codes were offered before re-authentication"
    confirm_it_is_you(page, server, email)

    codes = make_recovery_codes(page)
    download = page.locator("#download-recovery-codes")
    href = download.get_attribute("href")
    assert href.startswith("data:text/plain;charset=utf-8,") and download.get_attribute("download").endswith(".txt")
    saved = unquote(href.split(",", 1)[1])
    assert all(code in saved for code in codes), saved
    assert page.locator("#print-recovery-codes").is_visible(), "the print button stays hidden with scripts on"
    screenshot(page, "recovery-codes")
    page.locator("#recovery-codes-saved").click()
    page.wait_for_url(f"{server}{SECURITY}?done=recovery-codes")
    assert page.locator("#recovery-codes-remaining").inner_text() == "10"
    wait_for_message(server, email, "new recovery codes were made")

    # Signed out, with the usual code out of reach: the second step takes a recovery code instead.
    sign_out(page)
    password_step(page, server, email)
    page.locator("#use-recovery-code").click()
    page.wait_for_url(re.compile(r"/login/verify\?method=recovery_code$"))
    assert page.locator("label[for=code]").inner_text() == "Recovery code"
    page.fill("#code", "CCCCC-CCCCC")
    refused = submit_form(page, "Verify", "/login/verify")
    assert refused.status == 422 and page.locator(".alert[data-code='recovery_code.invalid']").count() == 1
    assert page.locator("label[for=code]").inner_text() == "Recovery code", "a wrong code lost the chosen method"
    page.fill("#code", codes[0].lower().replace("-", " "))
    verified = submit_form(page, "Verify", "/login/verify")
    assert verified.status == 302 and path_of(page.url) == "/account", f"the recovery code left the page on {page.url}"
    used = wait_for_message(server, email, "a recovery code was used")
    assert "9 unused recovery codes remain" in used["body"], used["body"]
    page.goto(SECURITY)
    assert page.locator("#recovery-codes-remaining").inner_text() == "9"

    # The same code does not work twice.
    sign_out(page)
    password_step(page, server, email)
    page.goto("/login/verify?method=recovery_code")
    page.fill("#code", codes[0])
    again = submit_form(page, "Verify", "/login/verify")
    assert again.status == 422 and page.locator(".alert[data-code='recovery_code.invalid']").count() == 1
