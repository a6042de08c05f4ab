"""The shared page plus the personal layer in a real browser (docs/personal-layer.md):
a signed-in reader whose script runs gets the page every reader gets and their
own layer over it; one without the script gets the page drawn for them."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from broadsheet.discussion.models import Comment
from broadsheet.discussion.operations import post_comment, vote_on_comment
from broadsheet.moderation.operations import set_discussion_mode
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/articles/the-last-ferry/"


def open_shared_page(page) -> None:
    """The first article page after signing in is drawn for the reader and arms the
    marker; from the next one on, the reader gets the shared page and the layer."""
    page.goto(URL)
    expect(page.locator("#discussion[data-reader-handle]")).to_have_count(1)
    for _ in range(100):  # the layer's answer sets it (no wait_for_function: strict CSP)
        if any(c["name"] == "broadsheet_layer" for c in page.context.cookies()):
            break
        page.wait_for_timeout(50)
    page.goto(URL)
    expect(page.locator("#discussion[data-personal=applied]")).to_have_count(1)


def footer_buttons(page, number: int) -> list[str]:
    footer = page.locator(f"#comment-{number} .comment__actions")
    return [" ".join(text.split()) for text in footer.get_by_role("button").all_inner_texts()]


def test_two_readers_one_shared_page_each_with_their_own_layer(
    new_page, article, kestrel, nikolai, moderator
):
    set_discussion_mode(article=article, editor=moderator, mode="premoderated")
    held = post_comment(article=article, author=nikolai, body="Nikolai's held words")
    set_discussion_mode(article=article, editor=moderator, mode="")
    hers = post_comment(article=article, author=kestrel, body="Anna writes first")
    his = post_comment(article=article, author=nikolai, body="Nikolai answers")
    vote_on_comment(comment=his, voter=kestrel, value=1)

    anna = new_page()
    sign_in(anna, "kestrel-7")
    open_shared_page(anna)
    nikolai_page = new_page()
    sign_in(nikolai_page, "unc-2")
    open_shared_page(nikolai_page)

    # The account links and the form came with the layer.
    expect(anna.locator(".account-nav__me")).to_have_text("kestrel-7")
    expect(nikolai_page.locator(".account-nav__me")).to_have_text("unc-2")
    expect(anna.get_by_label("Comment")).to_be_visible()
    expect(anna.get_by_role("button", name="Follow this discussion")).to_be_visible()
    # Her own comment: edit and delete, no votes, no report; his: votes, hers pressed.
    expect(
        anna.locator(f"#comment-{hers.number}").get_by_role("button", name="Edit")
    ).to_be_visible()
    expect(
        anna.locator(f"#comment-{hers.number}").get_by_role("button", name="Vote up")
    ).to_have_count(0)
    expect(
        anna.locator(f"#comment-{hers.number}").get_by_role("button", name="Report")
    ).to_have_count(0)
    up = anna.locator(f"#comment-{his.number}").get_by_role("button", name="Vote up")
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(anna.locator(f"#comment-{his.number}").get_by_role("button", name="Edit")).to_have_count(
        0
    )
    # Nikolai: his held comment, his own controls, her vote not his.
    expect(nikolai_page.locator(f"#comment-{held.number}")).to_contain_text("Nikolai's held words")
    expect(anna.locator(f"#comment-{held.number}")).to_have_count(0)
    expect(anna.get_by_text("Nikolai's held words")).to_have_count(0)
    expect(
        nikolai_page.locator(f"#comment-{his.number}").get_by_role("button", name="Edit")
    ).to_be_visible()
    expect(
        nikolai_page.locator(f"#comment-{hers.number}").get_by_role("button", name="Vote up")
    ).to_have_attribute("aria-pressed", "false")
    expect(
        nikolai_page.locator(f"#comment-{hers.number}").get_by_role("button", name="Edit")
    ).to_have_count(0)

    # Her vote on the shared page posts, without a reload.
    down = nikolai_page.locator(f"#comment-{hers.number}").get_by_role("button", name="Vote down")
    down.click()
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(nikolai_page.locator(f"#comment-{hers.number} [data-score]")).to_have_text("-1")
    # And she posts from the layer's form; the comment appears as hers.
    anna.get_by_label("Comment").fill("Posted from the shared page")
    anna.get_by_role("button", name="Post comment").click()
    expect(anna.get_by_text("Posted from the shared page")).to_be_visible()
    assert Comment.objects.filter(body_markdown="Posted from the shared page").exists()
    assert not anna.console_errors and not nikolai_page.console_errors


def test_a_signed_in_reader_on_the_shared_page_shows_online(new_page, article, kestrel):
    post_comment(article=article, author=kestrel, body="Here I am")
    page = new_page()
    sign_in(page, "kestrel-7")
    open_shared_page(page)
    kestrel.refresh_from_db()
    assert kestrel.is_online
    other = new_page()
    other.goto(URL)
    expect(other.locator('[data-presence-handle="kestrel-7"]').first).to_have_text("Online")


def test_without_javascript_a_reader_signs_in_posts_votes_and_edits(
    new_page, article, kestrel, nikolai
):
    theirs = post_comment(article=article, author=nikolai, body="Nikolai's comment")
    page = new_page(java_script_enabled=False)
    sign_in(page, "kestrel-7")
    page.goto(URL)
    expect(page.locator(".account-nav__me")).to_have_text("kestrel-7")
    page.get_by_label("Comment").fill("Written without a script")
    page.get_by_role("button", name="Post comment").click()
    mine = Comment.objects.get(body_markdown="Written without a script")
    expect(page.locator(f"#comment-{mine.number}")).to_contain_text("Written without a script")
    page.goto(URL)
    page.locator(f"#comment-{theirs.number}").get_by_role("button", name="Vote up").click()
    page.goto(URL)
    expect(
        page.locator(f"#comment-{theirs.number}").get_by_role("button", name="Vote up")
    ).to_have_attribute("aria-pressed", "true")
    page.locator(f"#comment-{mine.number}").get_by_role("button", name="Edit").click()
    page.get_by_label("Comment").fill("Edited without a script")
    page.get_by_role("button", name=re.compile("Save")).click()
    page.goto(URL)
    expect(page.locator(f"#comment-{mine.number}")).to_contain_text("Edited without a script")
    # No script ever asked for a layer, so no marker: every page is drawn for her.
    assert "broadsheet_layer" not in {c["name"] for c in page.context.cookies()}


def test_a_stale_marker_without_javascript_offers_the_readers_own_page(new_page, article, kestrel):
    page = new_page(java_script_enabled=False)
    sign_in(page, "kestrel-7")
    base = page.context.cookies()[0]
    page.context.add_cookies(
        [{"name": "broadsheet_layer", "value": "1", "domain": base["domain"], "path": "/"}]
    )
    page.goto(URL)
    expect(page.get_by_label("Comment")).to_have_count(0)  # the shared page
    page.get_by_role("link", name="Show the page with your account").click()
    expect(page).to_have_url(re.compile(re.escape(URL) + "$"))
    expect(page.locator(".account-nav__me")).to_have_text("kestrel-7")
    expect(page.get_by_label("Comment")).to_be_visible()


def test_screenshots_of_the_shared_page_with_the_layer(new_page, article, kestrel, nikolai):
    """Not an assertion of looks: pictures to look at (test-artifacts/)."""
    hers = post_comment(article=article, author=kestrel, body="Anna's comment, with controls")
    post_comment(article=article, author=nikolai, body="Nikolai's, with votes that post")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, viewport in (("desktop", (1280, 900)), ("phone", (390, 844))):
        page = new_page(viewport={"width": viewport[0], "height": viewport[1]})
        sign_in(page, "kestrel-7")
        open_shared_page(page)
        page.locator(f"#comment-{hers.number}").scroll_into_view_if_needed()
        path = Path(ARTIFACTS) / f"personal-layer-{name}.png"
        page.screenshot(path=path, full_page=True)
        assert path.stat().st_size > 0


def test_a_repeat_view_comes_with_the_layer_stitched_in_and_asks_for_nothing(
    new_page, article, kestrel, nikolai
):
    """ADR 0024: once the front cache keeps the reader's layer, the next page view
    carries it as a data block; the script applies it without a request."""
    hers = post_comment(article=article, author=kestrel, body="Anna writes first")
    his = post_comment(article=article, author=nikolai, body="Nikolai answers")
    vote_on_comment(comment=his, voter=kestrel, value=1)
    page = new_page()
    sign_in(page, "kestrel-7")
    open_shared_page(page)  # that view asked for the layer, and the front cache kept it
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))

    answer = page.goto(URL)
    expect(page.locator("#discussion[data-personal=applied]")).to_have_count(1)
    headers = answer.headers
    assert headers["cache-control"].replace(" ", "") == "private,no-cache"
    assert headers.get("content-encoding") == "gzip"  # joined, and Chromium reads it
    assert not [url for url in asked if "/layer/" in url]
    expect(page.locator("#personal-layer-data")).to_have_count(0)  # read, then removed
    expect(page.locator(".account-nav__me")).to_have_text("kestrel-7")
    expect(
        page.locator(f"#comment-{hers.number}").get_by_role("button", name="Edit")
    ).to_be_visible()
    up = page.locator(f"#comment-{his.number}").get_by_role("button", name="Vote up")
    expect(up).to_have_attribute("aria-pressed", "true")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=Path(ARTIFACTS) / "personal-layer-stitched.png", full_page=True)

    # Posting works from the stitched page's form.
    page.get_by_label("Comment").fill("Posted from a stitched page")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Posted from a stitched page")).to_be_visible()
    assert Comment.objects.filter(body_markdown="Posted from a stitched page").exists()
    # The post changed the discussion: the kept layer is stale, so the next view
    # comes without it and the script asks again, as before.
    asked.clear()
    page.goto(URL)
    expect(page.locator("#discussion[data-personal=applied]")).to_have_count(1)
    assert [url for url in asked if "/layer/" in url]
    assert not page.console_errors
