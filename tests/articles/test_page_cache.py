"""Signed-out readers get finished pages from the cache; every kind of write shows."""

import pytest

from broadsheet.articles.operations import save_article
from broadsheet.discussion.operations import (
    delete_comment,
    edit_comment,
    post_comment,
    vote_on_comment,
)
from broadsheet.moderation.operations import reject_comment, set_discussion_mode

pytestmark = pytest.mark.django_db

URL = "/articles/the-last-ferry/"


def test_a_repeat_visit_is_served_from_the_cache_in_two_queries(
    client, article, kestrel, django_assert_num_queries
):
    post_comment(article=article, author=kestrel, body="Cached words")
    first = client.get(URL)
    with django_assert_num_queries(2):  # the article with its discussion, the newest event
        again = client.get(URL)
    assert again.content == first.content
    assert "Cached words" in again.content.decode()
    assert again["ETag"] == first["ETag"]
    assert "Cookie" in again["Vary"]


def test_an_unchanged_page_answers_304(client, article):
    etag = client.get(URL)["ETag"]
    response = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""


def test_signed_out_pages_carry_no_csrf_token(client, article, kestrel):
    post_comment(article=article, author=kestrel, body="Vote me")
    html = client.get(URL).content.decode()
    assert "csrfmiddlewaretoken" not in html
    assert 'aria-label="Vote up"' in html  # the control leads to signing in


def test_signed_in_readers_are_never_served_the_shared_page(client, article, kestrel):
    client.get(URL)
    client.force_login(kestrel)
    html = client.get(URL).content.decode()
    assert "<textarea" in html and "csrfmiddlewaretoken" in html


@pytest.mark.parametrize(
    "write",
    ["post", "edit", "delete", "vote", "reject", "mode", "article edit"],
)
def test_every_kind_of_write_changes_what_signed_out_readers_see(
    client, article, kestrel, nikolai, moderator, write
):
    comment = post_comment(article=article, author=kestrel, body="Original words")
    before = client.get(URL)
    if write == "post":
        post_comment(article=article, author=nikolai, body="A new voice")
        expected = "A new voice"
    elif write == "edit":
        edit_comment(comment=comment, editor=kestrel, body="Edited words")
        expected = "Edited words"
    elif write == "delete":
        delete_comment(comment=comment, deleter=kestrel)
        expected = "Comment deleted by its author."
    elif write == "vote":
        vote_on_comment(comment=comment, voter=nikolai, value=1)
        expected = "data-score>+1<"
    elif write == "reject":
        reject_comment(comment=comment, moderator=moderator, reason="Spam")
        expected = "Comment removed by a moderator."
    elif write == "mode":
        set_discussion_mode(article=article, editor=moderator, mode="closed")
        expected = ""  # closed shows only to signed-in readers; the key must still change
    else:
        save_article(
            slug=article.slug,
            title="A new headline",
            body_markdown=article.body_markdown,
            published_at=article.published_at,
        )
        expected = "A new headline"
    after = client.get(URL)
    assert after["ETag"] != before["ETag"]
    assert expected in after.content.decode()
