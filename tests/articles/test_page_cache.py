"""Signed-out readers get finished pages from the cache; every kind of write shows."""

import pytest

from broadsheet.discussion.operations import (
    post_comment,
)
from tests.writes import KINDS, hold_a_comment, make_write

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


@pytest.mark.parametrize("write", KINDS)
def test_every_kind_of_write_changes_what_signed_out_readers_see(
    client, article, kestrel, nikolai, moderator, write
):
    comment = post_comment(article=article, author=kestrel, body="Original words")
    held = hold_a_comment(article=article, author=nikolai, moderator=moderator)
    before = client.get(URL)
    assert "Held, then shown" not in before.content.decode()
    expected = make_write(
        write,
        article=article,
        comment=comment,
        held=held,
        author=kestrel,
        other=nikolai,
        moderator=moderator,
    )
    after = client.get(URL)
    assert after["ETag"] != before["ETag"]
    assert expected in after.content.decode()


def test_query_values_the_page_ignores_lead_to_the_page_shown_anyway(client, article):
    response = client.get(URL + "?sort=zzz&from=abc&thread=1&at=nonsense")
    assert response.status_code == 302
    assert response["Location"] == URL + "?thread=1"
    assert client.get(URL + "?sort=best&sort=newest")["Location"] == URL + "?sort=newest"


def test_canonical_queries_are_served_in_any_order(client, article):
    assert client.get(URL + "?from=1&sort=newest").status_code == 200
    assert client.get(URL + "?sort=best&from=-2_5").status_code == 200


def _stored_pages() -> int:
    """Pages in Django's cache, whichever backend holds it (local memory or Redis)."""
    from django.core.cache import cache

    backend = cache._cache
    if hasattr(backend, "get_client"):
        return len(backend.get_client().keys("*:page:*"))
    return sum(":page:" in key for key in backend)


def test_nonsense_queries_add_no_pages_to_the_cache(client, article):
    client.get(URL)
    stored = _stored_pages()
    assert stored >= 1
    for n in range(150):
        client.get(URL + f"?sort=x{n}")
        client.get(URL + f"?from=1{'0' * 12}{n}")
    assert _stored_pages() == stored
