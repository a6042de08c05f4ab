"""The replies feed control on a reader's profile, by keyboard; the article page's
JSON-LD under the strict Content-Security-Policy."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_reader_turns_on_the_replies_feed_by_keyboard_and_reads_it(new_page, kestrel):
    page = new_page()
    sign_in(page, "kestrel-7")
    page.goto("/readers/kestrel-7/")
    expect(page.get_by_text("Your replies feed is off.")).to_be_visible()
    button = page.get_by_role("button", name="Turn on the replies feed")
    button.focus()
    page.keyboard.press("Enter")
    address = page.get_by_label("Your replies feed address")
    expect(address).to_be_visible()
    url = address.input_value()
    assert "/feeds/replies/" in url and url.endswith(".atom")
    feed = page.request.get(url)
    assert feed.status == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    # Turn it off, by keyboard too: the address stops working.
    page.get_by_role("button", name="Turn off the replies feed").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your replies feed is off.")).to_be_visible()
    assert page.request.get(url).status == 404


def test_article_page_json_ld_raises_no_csp_violation(new_page, article, kestrel, make_comment):
    make_comment(article, kestrel, "Words with </script> in them")
    page = new_page()
    page.goto("/articles/the-last-ferry/")
    data = page.locator('script[type="application/ld+json"]')
    expect(data).to_have_count(1)
    assert '"commentCount": 1' in data.text_content()
    assert page.console_errors == []
