import re

import pytest
from playwright.sync_api import expect

from broadsheet.discussion.models import Comment

pytestmark = pytest.mark.django_db(transaction=True)

SIGN_IN_SENTENCE = "Dear reader, to leave comments on the publication, you must sign in."


def sign_up(page, handle: str, display_name: str) -> None:
    page.goto("/articles/the-last-ferry/")
    page.get_by_role("link", name="create an account").click()
    page.get_by_label("Handle", exact=True).fill(handle)
    page.get_by_label("Display name").fill(display_name)
    page.get_by_label("Email").fill(f"{handle}@example.org")
    page.get_by_label("Password").fill("a long and private passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/articles/the-last-ferry/"))


def post(page, text: str) -> None:
    page.get_by_label("Comment").fill(text)
    page.get_by_role("button", name="Post comment").click()


def comment_header(page, number: int) -> str:
    header = page.locator(f"#comment-{number} .comment__header")
    return " ".join(header.inner_text().split())


def test_an_anonymous_reader_sees_the_sign_in_sentence_and_no_form(new_page, article):
    page = new_page()
    page.goto("/articles/the-last-ferry/")
    expect(page.get_by_text(SIGN_IN_SENTENCE)).to_be_visible()
    expect(page.get_by_label("Comment")).to_have_count(0)
    expect(page.get_by_role("button", name="Post comment")).to_have_count(0)
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()


def test_readers_sign_up_and_post_numbered_comments_with_quotes_and_emoticons(new_page, article):
    anna = new_page()
    sign_up(anna, "kestrel-7", "Anna Petrova")
    post(
        anna, "> The ferry leaves the pier at ten past six every morning.\n\nNot on Sundays :wink:"
    )
    expect(anna.locator("#comment-1")).to_be_visible()
    header = comment_header(anna, 1)
    assert re.fullmatch(
        r"1\. kestrel-7 · Online · Anna Petrova · \d{1,2} \w+ \d{4} \d{2}:\d{2}", header
    ), header
    first = anna.locator("#comment-1")
    expect(first.locator("blockquote")).to_contain_text("ten past six every morning")
    emoticon = first.get_by_role("img", name="winked")
    expect(emoticon).to_be_visible()
    assert emoticon.evaluate("img => img.complete && img.naturalWidth > 0")

    nikolai = new_page()
    sign_up(nikolai, "unc-2", "Nikolai Malyugin")
    post(nikolai, "They run on Sundays in summer.")
    expect(nikolai.locator("#comment-2")).to_be_visible()
    assert comment_header(nikolai, 2).startswith("2. unc-2 · Online · Nikolai Malyugin · ")
    # The first reader sees both, in order, after a reload.
    anna.goto("/articles/the-last-ferry/")
    expect(anna.locator("ol.comments > li.comment")).to_have_count(2)
    assert anna.locator("ol.comments > li.comment").first.get_attribute("id") == "comment-1"


def test_a_comment_with_script_and_onerror_shows_as_text_and_runs_nothing(new_page, article):
    page = new_page()
    sign_up(page, "mallory", "Mallory")
    attack = (
        '<script>window.pwned = 1; alert("script")</script>\n'
        "<img src=x onerror=\"window.pwned = 2; alert('onerror')\">\n"
        "[click me](javascript:window.pwned=3)"
    )
    post(page, attack)
    body = page.locator("#comment-1 .comment__body")
    expect(body).to_contain_text('<script>window.pwned = 1; alert("script")</script>')
    expect(body).to_contain_text("onerror=")
    assert body.locator("script, img:not(.emoticon), iframe").count() == 0
    page.reload()
    page.wait_for_load_state("load")
    assert page.evaluate("window.pwned") is None
    assert page.dialogs == []
    assert Comment.objects.get(number=1).body_markdown.startswith("<script>")


def test_an_empty_comment_gets_an_error_next_to_the_field(new_page, article):
    page = new_page()
    sign_up(page, "kestrel-7", "Anna Petrova")
    post(page, "   ")
    expect(page.get_by_role("alert")).to_contain_text("The comment is empty")
    expect(page.get_by_label("Comment")).to_have_attribute("aria-invalid", "true")
    assert not Comment.objects.exists()


def test_a_bad_sign_up_shows_errors_beside_the_fields(new_page, db):
    page = new_page()
    page.goto("/accounts/sign-up/")
    page.get_by_label("Handle", exact=True).fill("a b")
    page.get_by_label("Password").fill("123")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".field--error")).to_have_count(4)
    expect(page.get_by_text("3 to 30 characters: Latin letters, digits").first).to_be_visible()


def test_a_permalink_focuses_and_highlights_its_comment(
    new_page, article, make_reader, make_comment
):
    author = make_reader("tern", "Elena Sokolova")
    for n in range(30):
        make_comment(article, author, f"Remark number {n + 1}")
    page = new_page(viewport={"width": 390, "height": 700})
    page.goto("/articles/the-last-ferry/comments/25/")
    target = page.locator("#comment-25")
    expect(target).to_be_focused()
    expect(target).to_be_in_viewport()
    expect(target).to_have_class(re.compile("comment--highlighted"))
    assert page.console_errors == []
