import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD


def sign_in(page, handle: str) -> None:
    """Sign in through the form, as a reader does."""
    page.goto("/accounts/sign-in/")
    page.get_by_label("Handle or email").fill(handle)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))
