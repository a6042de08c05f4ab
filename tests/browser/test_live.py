"""Two readers on one article: what one does, the other sees without reloading."""

import re

import pytest
from playwright.sync_api import expect

from broadsheet.discussion.models import Comment
from broadsheet.discussion.operations import post_comment, vote_on_comment
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def open_live(page, path="/articles/the-last-ferry/"):
    page.goto(path)
    expect(page.locator("#discussion")).to_have_attribute("data-live", "open")


@pytest.fixture
def short_presence(settings):
    # Presence windows of seconds, not minutes, so the test need not wait.
    settings.BROADSHEET_ONLINE_WINDOW_SECONDS = 3
    settings.BROADSHEET_PRESENCE_WRITE_INTERVAL_SECONDS = 1
    settings.BROADSHEET_LIVE_KEEPALIVE_SECONDS = 1
    settings.BROADSHEET_PRESENCE_BATCH_SECONDS = 0.2


def test_b_sees_a_new_comment_bar_then_the_comment_and_a_goes_offline_after_leaving(
    new_page, article, kestrel, nikolai, short_presence
):
    reader_b = new_page()
    sign_in(reader_b, "unc-2")
    open_live(reader_b)

    reader_a = new_page()
    sign_in(reader_a, "kestrel-7")
    open_live(reader_a)
    reader_a.get_by_label("Comment").fill("Live from the pier :wink:")
    reader_a.get_by_role("button", name="Post comment").click()
    expect(reader_a.locator("#comment-1")).to_be_visible()  # A sees their own at once

    reader_b.evaluate("window.sameDocument = true")
    bar = reader_b.get_by_role("button", name="1 new comment")
    expect(bar).to_be_visible()
    expect(reader_b.locator("#comment-1")).to_have_count(0)  # nothing jumps in by itself
    bar.click()
    comment = reader_b.locator("#comment-1")
    expect(comment).to_contain_text("Live from the pier")
    expect(comment.get_by_role("img", name="winked")).to_be_visible()
    expect(comment.locator(".presence")).to_have_text("Online")
    assert reader_b.evaluate("window.sameDocument") is True

    # Votes and edits arrive too.
    vote_on_comment(comment=Comment.objects.get(number=1), voter=nikolai, value=1)
    expect(comment.locator("[data-score]")).to_have_text("+1")

    # A leaves; once the (short) window passes, B sees A as Offline.
    reader_a.context.close()
    expect(comment.locator(".presence")).to_have_text("Offline", timeout=10_000)
    assert reader_b.evaluate("window.sameDocument") is True


def test_a_page_that_was_offline_gets_what_it_missed(new_page, article, kestrel):
    page = new_page()
    open_live(page)
    page.context.set_offline(True)
    post_comment(article=article, author=kestrel, body="Posted while you were away")
    page.context.set_offline(False)
    bar = page.get_by_role("button", name="1 new comment")
    expect(bar).to_be_visible(timeout=15_000)
    bar.click()
    expect(page.locator("#comment-1")).to_contain_text("Posted while you were away")


def test_a_comment_deleted_while_waiting_behind_the_bar_shows_only_its_placeholder(
    new_page, article, kestrel
):
    from broadsheet.discussion.operations import delete_comment

    page = new_page()
    open_live(page)
    comment = post_comment(article=article, author=kestrel, body="Words soon erased")
    bar = page.get_by_role("button", name="1 new comment")
    expect(bar).to_be_visible()
    delete_comment(comment=comment, deleter=kestrel)
    # Events arrive in order: once the next post is counted, the deletion is in.
    post_comment(article=article, author=kestrel, body="A later comment")
    bar = page.get_by_role("button", name="2 new comments")
    expect(bar).to_be_visible()
    bar.click()
    expect(page.locator("#comment-1")).to_have_class(re.compile("comment--deleted"))
    expect(page.locator("#discussion")).not_to_contain_text("Words soon erased")


def test_a_comment_that_arrived_live_takes_votes_and_replies_without_wiring(
    new_page, article, kestrel, nikolai
):
    page = new_page()
    sign_in(page, "unc-2")
    open_live(page)
    page.evaluate("window.sameDocument = true")
    post_comment(article=article, author=kestrel, body="Arrived while you read")
    page.get_by_role("button", name="1 new comment").click()
    comment = page.locator("#comment-1")
    comment.get_by_role("button", name="Vote up").click()
    expect(comment.locator("[data-score]")).to_have_text("+1")
    comment.get_by_role("button", name="Reply").click()
    expect(comment.locator("form.comment-form")).to_be_visible()
    expect(page.get_by_text("Replying to #1 by kestrel-7.")).to_be_visible()
    assert page.evaluate("window.sameDocument") is True
    assert Comment.objects.get(number=1).score == 1
    assert page.console_errors == []


def test_a_comment_whose_edit_is_held_leaves_open_pages(new_page, article, kestrel, settings):
    from broadsheet.discussion.operations import edit_comment

    settings.BROADSHEET_SUSPECT_WORDS = ["idiot"]
    comment = post_comment(article=article, author=kestrel, body="A fair point")
    page = new_page()
    open_live(page)
    expect(page.locator("#comment-1")).to_contain_text("A fair point")
    edit_comment(comment=comment, editor=kestrel, body="Only an idiot disagrees")
    expect(page.locator("#comment-1")).to_have_count(0)
    expect(page.locator("#discussion")).not_to_contain_text("idiot")
