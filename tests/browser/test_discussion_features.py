"""Replies, quotes and votes as a reader does them, in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

from broadsheet.discussion.models import Comment
from broadsheet.discussion.operations import post_comment
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PASSAGE = "leaves the pier at ten past six"


def select_in_article(page, passage: str) -> None:
    """Select `passage` inside the article as a reader would, then release the mouse."""
    page.evaluate(
        """passage => {
            const walker = document.createTreeWalker(
                document.querySelector('.story__body'), NodeFilter.SHOW_TEXT);
            let node;
            while ((node = walker.nextNode())) {
                const at = node.data.indexOf(passage);
                if (at !== -1) {
                    const range = document.createRange();
                    range.setStart(node, at);
                    range.setEnd(node, at + passage.length);
                    const selection = window.getSelection();
                    selection.removeAllRanges();
                    selection.addRange(range);
                    node.parentElement.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
                    return;
                }
            }
            throw new Error('passage not found: ' + passage);
        }""",
        passage,
    )


def test_quote_a_selected_passage_post_it_and_see_it_anchored_and_counted(
    new_page, article, kestrel
):
    page = new_page()
    sign_in(page, "kestrel-7")
    page.goto("/articles/the-last-ferry/")
    paragraph = page.locator(".story__body p", has_text="ten past six every morning")
    expect(paragraph.locator(".paragraph-quotes")).to_have_count(0)
    select_in_article(page, PASSAGE)
    page.locator(".story__body").get_by_role("button", name="Quote").click()
    box = page.get_by_label("Comment")
    expect(box).to_be_focused()
    expect(box).to_have_value(re.compile(rf"^> {PASSAGE}\n\n"))
    box.press("End")
    box.type("Not on Sundays, though.")
    page.get_by_role("button", name="Post comment").click()

    comment = page.locator("#comment-1")
    expect(comment.locator("figure.article-quote blockquote")).to_have_text(PASSAGE)
    expect(comment.locator(".comment__body")).to_have_text("Not on Sundays, though.")
    expect(paragraph.locator(".paragraph-quotes")).to_have_text("1 comment quotes this")
    stored = Comment.objects.get(number=1)
    assert stored.quote_text == PASSAGE and stored.quote_anchor.startswith("p-")

    # Following the quote back highlights the passage in its paragraph.
    comment.get_by_role("link", name="From the article").click()
    expect(page.locator("mark.quoted-passage")).to_have_text(PASSAGE)
    expect(page).to_have_url(re.compile(rf"#{stored.quote_anchor}$"))


def test_reply_in_place_and_see_it_nested_under_its_parent(new_page, article, kestrel, nikolai):
    post_comment(article=article, author=nikolai, body="Who runs the ferry in winter?")
    post_comment(article=article, author=nikolai, body="A second question.")
    page = new_page()
    sign_in(page, "kestrel-7")
    page.goto("/articles/the-last-ferry/")
    first = page.locator("#comment-1")
    first.get_by_role("button", name="Reply").click()
    expect(first.locator("form.comment-form")).to_be_visible()  # the form came to the comment
    expect(page.get_by_text("Replying to #1 by unc-2.")).to_be_visible()
    page.get_by_label("Comment").fill("Nobody: the river freezes.")
    page.get_by_role("button", name="Post comment").click()

    reply = page.locator("#comment-3")
    expect(reply).to_have_class(re.compile(r"comment--depth-1"))
    expect(reply.get_by_role("link", name="in reply to #1")).to_be_visible()
    numbers = page.locator("ol.comments > li.comment").evaluate_all(
        "items => items.map(item => item.dataset.number)"
    )
    assert numbers == ["1", "3", "2"]  # the reply sits under its parent
    box_1 = page.locator("#comment-1 > article").bounding_box()
    box_3 = page.locator("#comment-3 > article").bounding_box()
    assert box_3["x"] > box_1["x"]  # and is indented


def test_vote_without_a_reload(new_page, article, kestrel, nikolai):
    post_comment(article=article, author=nikolai, body="Vote for me.")
    page = new_page()
    sign_in(page, "kestrel-7")
    page.goto("/articles/the-last-ferry/")
    page.evaluate("window.sameDocument = true")
    comment = page.locator("#comment-1")
    up = comment.get_by_role("button", name="Vote up")
    up.click()
    expect(comment.locator("[data-score]")).to_have_text("+1")
    expect(up).to_have_attribute("aria-pressed", "true")
    comment.get_by_role("button", name="Vote down").click()
    expect(comment.locator("[data-score]")).to_have_text("-1")
    expect(up).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("window.sameDocument") is True  # no reload happened
    assert Comment.objects.get(number=1).score == -1


def test_quote_a_comment_with_a_link_to_its_number(new_page, article, kestrel, nikolai):
    post_comment(article=article, author=nikolai, body="The fare is too low.")
    page = new_page()
    sign_in(page, "kestrel-7")
    page.goto("/articles/the-last-ferry/")
    page.locator("#comment-1").get_by_role("button", name="Quote").click()
    box = page.get_by_label("Comment")
    expect(box).to_have_value("> #1 unc-2:\n> The fare is too low.\n\n")
    box.press("End")
    box.type("It is not.")
    page.get_by_role("button", name="Post comment").click()
    quote = page.locator("#comment-2 blockquote")
    expect(quote).to_contain_text("The fare is too low.")
    expect(quote.get_by_role("link", name="#1")).to_have_attribute(
        "href", "/articles/the-last-ferry/comments/1/"
    )


def test_edit_and_delete_from_the_comment(new_page, article, kestrel, nikolai):
    page = new_page()
    sign_in(page, "kestrel-7")
    page.goto("/articles/the-last-ferry/")
    page.get_by_label("Comment").fill("Frist!")
    page.get_by_role("button", name="Post comment").click()
    post_comment(
        article=article, author=nikolai, body="A reply", parent=Comment.objects.get(number=1)
    )
    page.goto("/articles/the-last-ferry/comments/1/")
    page.locator("#comment-1").get_by_role("button", name="Edit").click()
    page.get_by_label("Comment").fill("First!")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#comment-1 .comment__body")).to_have_text("First!")
    expect(page.locator("#comment-1 .comment__edited")).to_have_text("edited")
    page.locator("#comment-1").get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Delete").click()
    expect(page.locator("#comment-1")).to_contain_text("Comment deleted by its author.")
    expect(page.locator("#comment-2")).to_contain_text("A reply")


def test_a_permalink_to_comment_150_of_300_is_highlighted(new_page, article, make_reader):
    from tests.discussion.test_scale import fill_thread

    fill_thread(article, [make_reader() for _ in range(3)], 300)
    page = new_page()
    page.goto("/articles/the-last-ferry/comments/150/")  # a reply, as every fifth is
    target = page.locator("#comment-150")
    expect(target).to_be_focused()
    expect(target).to_be_in_viewport()
    expect(target).to_have_class(re.compile("comment--highlighted"))
    expect(page.get_by_role("link", name="← Earlier comments")).to_be_visible()


def test_sort_control_offers_oldest_newest_best(new_page, article, nikolai):
    post_comment(article=article, author=nikolai, body="Older")
    post_comment(article=article, author=nikolai, body="Newer")
    page = new_page()
    page.goto("/articles/the-last-ferry/")
    page.get_by_role("link", name="Newest").click()
    expect(page.locator("ol.comments > li.comment").first).to_contain_text("Newer")
    expect(page.get_by_role("link", name="Newest")).to_have_attribute("aria-current", "true")
    page.get_by_role("link", name="Best").click()
    page.get_by_role("link", name="Oldest").click()
    expect(page.locator("ol.comments > li.comment").first).to_contain_text("Older")


def test_a_signed_out_reader_who_quotes_a_passage_is_asked_to_sign_in(new_page, article):
    page = new_page()
    page.goto("/articles/the-last-ferry/")
    select_in_article(page, PASSAGE)
    page.locator(".story__body").get_by_role("button", name="Quote").click()
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/\?next=/articles/the-last-ferry/"))
