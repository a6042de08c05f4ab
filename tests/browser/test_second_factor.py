"""Second factors in a real Chromium: a passkey made and then used to sign in (with
a virtual authenticator from the DevTools protocol), an authenticator app set up
and used with codes computed here, and a moderator sent to set a factor up before
the queue or the admin open.

Pages are opened at http://localhost:PORT, not 127.0.0.1: WebAuthn refuses an IP
address as the relying party's id, and localhost counts as a secure context."""

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from broadsheet.readers.models import Passkey, TotpDevice
from tests.conftest import PASSWORD


@pytest.fixture
def open_localhost(browser, asgi_server):
    contexts = []

    def open_page():
        context = browser.new_context(base_url=asgi_server.replace("127.0.0.1", "localhost"))
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on(
            "console",
            lambda message: message.type == "error" and page.console_errors.append(message.text),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()


def add_virtual_authenticator(page) -> None:
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    session.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


def type_password(page, handle: str, next_url: str = "") -> None:
    page.goto("/accounts/sign-in/" + (f"?next={next_url}" if next_url else ""))
    page.get_by_label("Handle or email").fill(handle)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_a_passkey_is_added_and_then_signs_the_reader_in(open_localhost, kestrel):
    page = open_localhost()
    add_virtual_authenticator(page)
    type_password(page, "kestrel-7")
    expect(page).to_have_url(re.compile(r"/$"))

    page.goto("/accounts/two-factor/")
    page.get_by_label("Passkey name").fill("Laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("[data-recovery-codes] li")).to_have_count(10)
    assert list(Passkey.objects.filter(reader=kestrel).values_list("name", flat=True)) == ["Laptop"]
    page.get_by_role("link", name="I have kept them, continue").click()
    expect(page.locator(".passkey strong")).to_have_text("Laptop")
    sign_out(page)

    type_password(page, "kestrel-7")
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/second-step/$"))
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)  # not signed in yet
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".account-nav__me")).to_have_text("kestrel-7")
    assert Passkey.objects.get(reader=kestrel).last_used_at is not None
    assert page.console_errors == []


def set_up_app(page) -> str:
    """From the two-factor page: scan (read) the key, confirm a code; the secret."""
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.locator(".totp-setup__qr svg")).to_be_visible()
    secret = page.locator("[data-totp-secret]").inner_text().strip()
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    return secret


def test_an_authenticator_app_is_set_up_and_its_codes_sign_the_reader_in(open_localhost, kestrel):
    page = open_localhost()
    type_password(page, "kestrel-7")
    page.goto("/accounts/two-factor/")
    secret = set_up_app(page)
    assert TotpDevice.objects.get(reader=kestrel).secret == secret
    sign_out(page)

    type_password(page, "kestrel-7")
    field = page.get_by_label("6-digit code or recovery code")
    # The code just confirmed counts as used: the next one is taken (within the drift).
    used = pyotp.TOTP(secret).now()
    field.fill(used)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_contain_text("That code was used already")
    page.console_errors.clear()  # the refusal's own 400
    page.get_by_label("6-digit code or recovery code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".account-nav__me")).to_have_text("kestrel-7")
    assert page.console_errors == []


def test_a_moderator_without_a_factor_sets_one_up_before_the_queue_or_admin_open(
    open_localhost, moderator, settings
):
    settings.BROADSHEET_STAFF_MFA = "required"
    page = open_localhost()
    type_password(page, "mod-1", next_url="/moderation/")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/\?next="))
    expect(page.locator(".messages")).to_contain_text("Staff accounts need a second factor")
    for door in ("/moderation/", "/admin/"):
        page.goto(door)
        expect(page).to_have_url(re.compile(r"/accounts/two-factor/\?next="))
        expect(page.get_by_role("heading", name="Passkeys and one-time codes")).to_be_visible()

    set_up_app(page)
    page.get_by_role("link", name="I have kept them, continue").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto("/moderation/")
    expect(page).to_have_url(re.compile(r"/moderation/$"))
    # Chromium asks the admin's pages for /favicon.ico, whenever it likes: a 404.
    assert [error for error in page.console_errors if "status of 404" not in error] == []
