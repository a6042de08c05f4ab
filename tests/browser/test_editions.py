# ruff: noqa: RUF001 - Russian text is the point here
"""Editions in Chromium: one discussion under the Russian original and its English edition."""

import re

import pytest
from playwright.sync_api import expect

from broadsheet.discussion.models import Comment
from broadsheet.discussion.operations import post_comment
from broadsheet.discussion.quotes import ArticleQuoteClaim
from tests.articles.test_editions import edition, original  # noqa: F401 (fixtures)
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def editions(original, edition):  # noqa: F811 (the imported fixtures)
    return original, edition


def test_a_comment_on_the_english_edition_appears_live_on_the_russian_one(
    new_page, editions, kestrel, nikolai
):
    russian_reader = new_page()
    sign_in(russian_reader, "unc-2")
    russian_reader.goto("/articles/parom/")
    expect(russian_reader.locator("#discussion")).to_have_attribute("data-live", "open")

    english_reader = new_page()
    sign_in(english_reader, "kestrel-7")
    english_reader.goto("/articles/ferry-saved/")
    english_reader.get_by_label("Comment").fill("Posted under the English edition.")
    english_reader.get_by_role("button", name="Post comment").click()
    mine = english_reader.locator("#comment-1")
    expect(mine).to_contain_text("Posted under the English edition.")
    expect(mine.locator(".comment__language")).to_have_count(0)  # English on the English page

    # The Russian page's bar brings the same comment, number 1, labelled as English.
    russian_reader.locator("[data-live-show]").click()
    theirs = russian_reader.locator("#comment-1")
    expect(theirs).to_contain_text("Posted under the English edition.")
    label = theirs.locator(".comment__language")
    expect(label).to_have_text("English")
    expect(label).to_have_attribute("lang", "en")
    # Its controls lead to the Russian edition's addresses.
    expect(theirs.locator("a.comment__number")).to_have_attribute(
        "href", "/articles/parom/comments/1/"
    )
    assert Comment.objects.get().article.slug == "parom"


def test_the_switcher_and_hreflang_links_on_both_editions(new_page, editions):
    page = new_page()
    for path, lang, other_name, other_path in [
        ("/articles/parom/", "ru", "English", "/articles/ferry-saved/"),
        ("/articles/ferry-saved/", "en", "Русский", "/articles/parom/"),
    ]:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        switcher = page.locator("nav.editions")
        expect(switcher.get_by_role("link", name=other_name)).to_have_attribute("href", other_path)
        expect(switcher.locator("[aria-current=page]")).to_have_count(1)
        hreflangs = page.locator("link[rel=alternate][hreflang]")
        expect(hreflangs).to_have_count(3)  # ru, en and x-default
    page.goto("/articles/parom/")
    page.locator("nav.editions").get_by_role("link", name="English").click()
    expect(page).to_have_url(re.compile(r"/articles/ferry-saved/$"))
    expect(page.get_by_text("Machine translation of the original")).to_be_visible()


def test_a_quote_of_a_russian_paragraph_points_at_the_english_one(new_page, editions, kestrel):
    russian, english = editions
    first_ru = russian.paragraph_outline[0][1]
    first_en = english.paragraph_outline[0][1]
    post_comment(
        article=russian,
        author=kestrel,
        body="> Паром отходит от причала\n\nНе в шесть, а в семь.",
        quote=ArticleQuoteClaim(anchor=first_ru, text="Паром отходит от причала"),
    )
    page = new_page()
    page.goto("/articles/ferry-saved/")
    comment = page.locator("#comment-1")
    expect(comment.locator(".article-quote__edition")).to_contain_text("Русский")
    source = comment.locator("a.article-quote__source")
    expect(source).to_have_attribute("href", f"/articles/ferry-saved/#{first_en}")
    # The English paragraph counts the Russian quote and lists it.
    counter = page.locator(f"#{first_en} a.paragraph-quotes")
    expect(counter).to_be_visible()
    source.click()
    expect(page).to_have_url(re.compile(f"#{first_en}$"))
    expect(page.locator(f"#{first_en}")).to_be_in_viewport()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "editions-english.png", full_page=True)
