"""The account settings page in a real browser, used by keyboard only: the state of
the reader's address, sending the link again, and verifying it."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import sign_in
from tests.mail import sent_mail


def press_tab_until(page, name: str, limit: int = 40) -> None:
    """Move the keyboard focus forward until it rests on the control named `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => (document.activeElement.innerText || document.activeElement.value || '')"
        )
        if focused.strip() == name:
            return
    raise AssertionError(f"no control named {name!r} in the first {limit} tab stops")


def test_a_reader_sends_the_link_again_and_verifies_by_keyboard(new_page, kestrel):
    page = new_page(viewport={"width": 390, "height": 844}, color_scheme="dark")
    sign_in(page, "kestrel-7")

    press_tab_until(page, "Settings")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/settings/$"))
    expect(page.locator("[data-email-state=unverified]")).to_have_text("Not verified")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "settings-unverified-phone-dark.png", full_page=True)

    sent_mail().clear()
    press_tab_until(page, "Send the link again")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("We have sent the link again")
    assert [message.to for message in sent_mail()] == [["kestrel-7@example.org"]]
    link = re.search(r"http://[^/\s]+(/accounts/verify-email/\S+/)", sent_mail()[0].body)
    assert link is not None, sent_mail()[0].body

    page.goto(link.group(1))
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()
    press_tab_until(page, "Verify email address")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Email address verified")).to_be_visible()

    page.goto("/accounts/settings/")
    expect(page.locator("[data-email-state=verified]")).to_have_text("Verified")
    expect(page.get_by_role("button", name="Send the link again")).to_have_count(0)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=ARTIFACTS / "settings-verified-wide.png", full_page=True)
    kestrel.refresh_from_db()
    assert kestrel.email_is_verified
