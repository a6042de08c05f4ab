"""Sign-in with another account in a real browser: Broadsheet's sign-in page, the
test OpenID Connect provider's own login and consent pages (a separate process on
another port), and back, under the site's Content-Security-Policy."""

import re

from allauth.socialaccount.models import SocialAccount
from django.utils import timezone
from playwright.sync_api import expect

from broadsheet.readers.models import Reader
from tests.oidc_provider.fixtures import PROVIDER_PASSWORD


def sign_in_at_the_provider(browser, base: str, username: str, *, next_path: str = ""):
    """Click "Sign in with Test ID", log in at the provider, allow, come back."""
    context = browser.new_context(base_url=base)
    page = context.new_page()
    console_errors = []
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    page.goto("/accounts/sign-in/" + (f"?next={next_path}" if next_path else ""))
    # Our own form is still there, labels and all.
    expect(page.get_by_label("Handle or email")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    page.get_by_role("button", name="Sign in with Test ID").click()

    expect(page.get_by_role("heading", name="Test provider")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PROVIDER_PASSWORD)
    page.get_by_role("button", name="Log in at the provider").click()
    page.get_by_role("button", name="Authorize").click()

    expect(page).to_have_url(re.compile(re.escape(base) + (next_path or "/") + "$"))
    # No Content-Security-Policy refusal on the way (the provider has no favicon: 404).
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
    return context, page


def test_a_reader_signs_up_and_in_again_with_another_account(browser, oidc_site):
    context, page = sign_in_at_the_provider(browser, oidc_site, "osprey")
    expect(page.locator(".account-nav__me")).to_have_text("osprey")
    reader = Reader.objects.get(handle="osprey")
    assert reader.email == "osprey@example.org" and reader.email_is_verified
    context.close()

    context, page = sign_in_at_the_provider(browser, oidc_site, "osprey", next_path="/search/")
    expect(page.locator(".account-nav__me")).to_have_text("osprey")
    assert Reader.objects.filter(email__iexact="osprey@example.org").count() == 1
    assert SocialAccount.objects.filter(user=reader).count() == 1

    # The settings page shows the link; it is the only way in, so no disconnect.
    page.goto("/accounts/settings/")
    expect(page.get_by_role("heading", name="Linked accounts")).to_be_visible()
    expect(page.locator("[data-provider=testid]")).to_contain_text("Test ID")
    expect(page.get_by_role("button", name="Disconnect Test ID")).to_have_count(0)
    context.close()


def test_another_account_links_to_the_reader_with_the_same_verified_address(
    browser, oidc_site, make_reader
):
    local = make_reader(
        "bella", email="browser-linker@example.org", email_verified_at=timezone.now()
    )

    context, page = sign_in_at_the_provider(browser, oidc_site, "browser-linker")

    expect(page.locator(".account-nav__me")).to_have_text("bella")
    assert SocialAccount.objects.get().user == local
    assert Reader.objects.count() == 1
    # A reader with a password may disconnect it again.
    page.goto("/accounts/settings/")
    page.get_by_role("button", name="Disconnect Test ID").click()
    expect(page.get_by_role("status")).to_contain_text("no longer linked")
    assert not SocialAccount.objects.exists()
    context.close()
