"""Passkeys through the real pages, in Chromium with a DevTools virtual authenticator standing in
for the device: adding one on /account/security behind re-authentication, answering the sign-in's
second step with it, signing in with it alone from /login (through the identifier field's autofill
and through the button), renaming it, and removing it after confirming with it, after which sign-in
asks for an emailed code again.

A passkey belongs to a host (the RP ID), and browsers offer WebAuthn only to secure contexts, so
these tests run a server of their own whose public URL is ``http://localhost:<port>`` and browse
that address. The authenticator keeps discoverable credentials and verifies the user.

While the authenticator simulates the user's presence, Chromium answers every request at once,
including the conditional request /login starts for the identifier field's autofill: the sign-in
page then signs in on its own, as if the person had picked the passkey the field offers. A test
that needs /login to stay (to type a password, or to press "Sign in with a passkey") turns the
simulation off first, so that the autofill request waits, like a person who ignores the offer.

Every sign-in, with a passkey too, counts as confirming it is you for a few minutes. To reach the
confirmation with a passkey, the removal test keeps the unconfirmed session registering made, and
the passkey is added from a second device and copied into this one's authenticator, as a password
manager syncs it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conftest import (SHARED_SERVER_SETTINGS, STRONG_PASSWORD, click_for_post, enter_login_code, latest_code,
                      new_context, newest_code, password_step, register, running_server, screenshot, sign_in,
                      sign_in_with_code, submit_form, unique_email, wait_for_message)
from test_security_settings import SECURITY, confirm_it_is_you, sign_out, status_notice

AUTHENTICATOR_OPTIONS = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                         "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True}
SIGN_OUT_BUTTON = "header.topbar form[action='/logout'] button"
PASSKEY_OPTIONS = "/api/v1/login/passkey/options"

# Signs in through the JSON API with a passkey the browser holds for this site, as an app would,
# and answers the API's status and body. Used where the sign-in page cannot be: after a refusal,
# /login starts its autofill request again, which an authenticator that answers every request at
# once would answer, and be refused for, over and over.
API_PASSKEY_SIGN_IN = """async () => {
  const started = await (await fetch("/api/v1/login/passkey/options", { method: "POST" })).json();
  const credential = await navigator.credentials.get(
    { publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(started.publicKey) });
  const answer = await fetch("/api/v1/login/passkey", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ flowId: started.flowId, credential: credential.toJSON() }) });
  return { status: answer.status, body: await answer.json() };
}"""


@dataclass
class Device:
    """A page with a virtual authenticator attached, and the DevTools session that controls it."""
    page: object
    cdp: object
    authenticator_id: str

    def credentials(self) -> list[dict]:
        """The credentials the authenticator holds now."""
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id})["credentials"]

    def simulate_presence(self, enabled: bool):
        """Whether the authenticator answers requests at once, as if touched (True), or leaves
        them waiting (False). A request already waiting keeps waiting either way."""
        self.cdp.send("WebAuthn.setAutomaticPresenceSimulation",
                      {"authenticatorId": self.authenticator_id, "enabled": enabled})


@pytest.fixture(scope="module")
def passkey_server():
    """A server like the shared one whose public URL, and so its passkeys' RP ID, is localhost."""
    with running_server(SHARED_SERVER_SETTINGS, host="localhost") as base_url:
        yield base_url


def open_device(context) -> Device:
    """A new page in ``context`` with an empty virtual authenticator of its own."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR_OPTIONS})
    return Device(page, cdp, added["authenticatorId"])


@pytest.fixture
def device(browser, passkey_server):
    """A page in a fresh context on ``passkey_server`` with an empty virtual authenticator."""
    context = new_context(browser, passkey_server)
    yield open_device(context)
    context.close()


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def listed_passkeys(page) -> list[str]:
    """The names of the passkeys /account/security lists, in its order."""
    return [name.strip() for name in page.locator("#passkeys li .passkey-name").all_inner_texts()]


def add_passkey(device: Device, server: str, name: str) -> str:
    """From a freshly confirmed /account/security, adds a passkey called ``name`` made by the
    device's authenticator; leaves the page on /account/security?done=passkey-added and returns
    the passkey's id on the server."""
    page = device.page
    page.fill("#passkey-name", name)
    posted = click_for_post(page, page.locator("#add-passkey"), "/account/security/passkeys")
    assert posted.status == 302 and page.url == f"{server}{SECURITY}?done=passkey-added", \
        f"adding the passkey answered {posted.status} and left the page on {page.url}"
    return page.locator("#passkeys li").last.get_attribute("data-id")


def account_with_passkey(device: Device, server: str, label: str, name: str = "Test laptop") -> tuple[str, str]:
    """Registers a fresh account, confirms it is its owner on /account/security and adds a passkey
    called ``name``; returns the email address and the passkey's id."""
    email = unique_email(label)
    register(device.page, server, email)
    confirm_it_is_you(device.page, server, email)
    return email, add_passkey(device, server, name)


def sign_out_to_a_waiting_autofill(device: Device):
    """Signs out with the authenticator's presence simulation off, so that /login stays and its
    autofill request waits. Returns the number of autofill requests the page started."""
    device.simulate_presence(False)
    started = []

    def note(request):
        if request.url.endswith(PASSKEY_OPTIONS):
            started.append(request)

    device.page.on("request", note)
    try:
        sign_out(device.page)
        device.page.wait_for_load_state("networkidle")
    finally:
        device.page.remove_listener("request", note)
    return len(started)


def use_passkey(page, path_suffix: str):
    """Clicks "Use your passkey" on a second-step page; returns the response to the post of the
    browser's answer, once the page it leads to has loaded."""
    button = page.get_by_role("button", name="Use your passkey")
    assert button.is_visible(), "the second step does not offer the passkey"
    return click_for_post(page, button, path_suffix)


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------

def test_a_passkey_added_on_the_security_page_is_listed_kept_on_the_device_and_announced(device, passkey_server):
    server, page = passkey_server, device.page
    email = unique_email("passkey-added")
    register(page, server, email)
    page.goto(SECURITY)
    assert page.locator("#no-passkeys").is_visible() and listed_passkeys(page) == []
    assert page.locator("#add-passkey-form").count() == 0, "a passkey could be added before re-authentication"
    confirm_it_is_you(page, server, email)
    assert page.locator("#add-passkey-form").is_visible(), "the add form stays hidden with scripts and WebAuthn on"
    assert page.locator("#passkeys-unsupported").is_hidden(), "a browser with WebAuthn is told it cannot make passkeys"
    screenshot(page, "passkey-add")

    passkey_id = add_passkey(device, server, "Test laptop")
    assert passkey_id, "the new passkey has no id on the page"
    assert status_notice(page).startswith("Your passkey is added."), status_notice(page)
    assert listed_passkeys(page) == ["Test laptop"] and page.locator("#no-passkeys").count() == 0
    row = page.locator(f"#passkeys li[data-id='{passkey_id}']").inner_text()
    assert "added " in row and "last used" not in row, f"a passkey never used shows {row!r}"
    screenshot(page, "passkey-added")

    held = device.credentials()
    assert len(held) == 1, f"the authenticator holds {len(held)} credentials"
    assert held[0]["isResidentCredential"] and held[0]["rpId"] == "localhost", held[0]

    added = wait_for_message(server, email, "security alert: a passkey was added to your account")
    assert added["body"].startswith("A passkey was added to your account at "), added["body"]

    # Sign-in now asks for the passkey after the password, in the page's own words.
    assert page.locator("#sign-in-methods").inner_text() == "a passkey"


def test_the_second_step_after_the_password_is_answered_with_the_passkey(device, passkey_server):
    server, page = passkey_server, device.page
    email, _ = account_with_passkey(device, server, "passkey-second-step")
    sign_out_to_a_waiting_autofill(device)

    before = latest_code(server, email)
    posted = sign_in(page, email, STRONG_PASSWORD)
    assert posted.status == 302 and page.url == f"{server}/login/verify", \
        f"the password answered {posted.status} and led to {page.url} instead of the passkey step"
    assert "Use your passkey" in page.locator("section.card").inner_text()
    assert page.locator("#code").count() == 0, "the passkey step asks for a code"
    assert latest_code(server, email) == before, "a code was sent although the passkey is the second step"
    screenshot(page, "passkey-second-step")

    device.simulate_presence(True)
    uses = device.credentials()[0]["signCount"]
    verified = use_passkey(page, "/login/verify")
    assert verified.status == 302 and page.url == f"{server}/account", \
        f"the passkey answered {verified.status} and left the page on {page.url}"
    assert device.credentials()[0]["signCount"] > uses, "the authenticator was not asked"

    # The security page tells when the passkey was last used.
    page.goto(SECURITY)
    used = page.locator("#passkeys li time").nth(1)
    assert "last used" in page.locator("#passkeys li").inner_text() and used.get_attribute("datetime"), \
        page.locator("#passkeys li").inner_html()


def test_the_sign_in_page_signs_in_with_the_passkey_its_identifier_field_offers(device, passkey_server):
    server, page = passkey_server, device.page
    account_with_passkey(device, server, "passkey-autofill")

    # Signed out, /login asks for a passkey for the identifier field's autofill; the authenticator
    # answers at once, as when the person picks the passkey offered, and the page signs in.
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/login/passkey")) as posted:
        page.locator(SIGN_OUT_BUTTON).click()
    assert posted.value.status == 302, f"the autofill's passkey answered {posted.value.status}"
    page.wait_for_url(f"{server}/account")


def test_the_passkey_button_signs_in_while_the_identifier_field_offers_the_passkey(device, passkey_server):
    server, page = passkey_server, device.page
    account_with_passkey(device, server, "passkey-button")

    autofill_requests = sign_out_to_a_waiting_autofill(device)
    assert autofill_requests == 1, f"/login started {autofill_requests} autofill requests"
    assert page.locator("#identifier").get_attribute("autocomplete") == "username webauthn"
    assert page.locator("#passkey-form").is_visible(), "the passkey button stays hidden with WebAuthn on"
    screenshot(page, "passkey-sign-in")

    # The button's request replaces the autofill's, which is still waiting.
    device.simulate_presence(True)
    posted = click_for_post(page, page.get_by_role("button", name="Sign in with a passkey"), "/login/passkey")
    assert posted.status == 302 and page.url == f"{server}/account", \
        f"the passkey answered {posted.status} and left the page on {page.url}"


def test_a_synced_passkey_is_renamed_then_removed_after_confirming_with_it_and_sign_in_asks_for_a_code(
        device, browser, passkey_server):
    server, page = passkey_server, device.page
    email = unique_email("passkey-removed")
    register(page, server, email)  # a session made by registering, not yet confirmed

    # On a second device the owner signs in (which counts as confirming) and adds a passkey that
    # the password manager syncs to this device.
    laptop_context = new_context(browser, server)
    try:
        laptop = open_device(laptop_context)
        sign_in_with_code(laptop.page, server, email)
        laptop.page.goto(SECURITY)
        passkey_id = add_passkey(laptop, server, "Passkey")
        [synced] = laptop.credentials()
    finally:
        laptop_context.close()
    device.cdp.send("WebAuthn.addCredential", {"authenticatorId": device.authenticator_id, "credential": synced})

    # Renaming needs no confirmation.
    page.goto(SECURITY)
    row = page.locator(f"#passkeys li[data-id='{passkey_id}']")
    row.locator("input[name=name]").fill("Test laptop")
    renamed = click_for_post(page, row.get_by_role("button", name="Rename"), f"/passkeys/{passkey_id}/rename")
    assert renamed.status == 302 and page.url == f"{server}{SECURITY}?done=passkey-renamed", \
        f"renaming answered {renamed.status} and left the page on {page.url}"
    assert status_notice(page) == "The passkey was renamed."
    assert listed_passkeys(page) == ["Test laptop"]

    # Removing does: the password, then the passkey rather than a code.
    assert page.locator(".remove-passkey").count() == 0, "a passkey could be removed before re-authentication"
    assert page.locator("#confirm-intro").inner_text() == \
        "To change these settings, enter your password; we then ask for a passkey."
    before = latest_code(server, email)
    page.fill("#confirm-password", STRONG_PASSWORD)
    posted = submit_form(page, "Continue", f"{SECURITY}/confirm")
    assert posted.status == 302 and page.url == f"{server}{SECURITY}/confirm", \
        f"the password answered {posted.status} and left the page on {page.url}"
    assert page.locator("#code").count() == 0, "confirming asks for a code although a passkey is bound"
    assert latest_code(server, email) == before, "confirming sent a code although a passkey is bound"
    screenshot(page, "passkey-confirm")
    confirmed = use_passkey(page, f"{SECURITY}/confirm/verify")
    assert confirmed.status == 302 and page.url == f"{server}{SECURITY}?done=confirmed", \
        f"the passkey answered {confirmed.status} and left the page on {page.url}"

    removed = click_for_post(page, page.locator(f"#passkeys li[data-id='{passkey_id}'] .remove-passkey"),
                             f"/passkeys/{passkey_id}/remove")
    assert removed.status == 302 and page.url == f"{server}{SECURITY}?done=passkey-removed", \
        f"removing answered {removed.status} and left the page on {page.url}"
    assert status_notice(page).startswith("The passkey was removed."), status_notice(page)
    assert listed_passkeys(page) == [] and page.locator("#no-passkeys").is_visible()
    assert page.locator("#sign-in-methods").inner_text() == "a code by email"
    removal = wait_for_message(server, email, "security alert: a passkey was removed from your account")
    assert removal["body"].startswith("A passkey was removed from your account at "), removal["body"]
    screenshot(page, "passkey-removed")

    # The device still holds the credential, but it no longer signs in.
    assert len(device.credentials()) == 1
    refused = page.evaluate(API_PASSKEY_SIGN_IN)
    assert refused["status"] == 422 and refused["body"].get("code") == "passkey.unknown", refused

    # Sign-in with the password is back to an emailed code.
    sign_out_to_a_waiting_autofill(device)
    _, before = password_step(page, server, email)
    verified = enter_login_code(page, newest_code(server, email, exclude=(before,)))
    assert verified.status == 302 and page.url == f"{server}/account", \
        f"the code answered {verified.status} and left the page on {page.url}"
