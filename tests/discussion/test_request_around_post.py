"""The request around a post, pinned (docs/posting.md, round 3): the session, the
signed-in reader and the article are prepared reads, and the answer is a plain
redirect. Each must answer exactly as the ORM query it replaced: an expired or
unknown session is no one, an inactive reader is no one, a draft, a scheduled
article or an edition of an unpublished original is missing."""

import datetime as dt
import uuid
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from broadsheet.articles.access import get_article_to_post_under_or_404
from broadsheet.articles.models import Article
from broadsheet.articles.operations import save_article
from broadsheet.core.sessions import cached_db, db
from broadsheet.discussion.links import comment_url
from broadsheet.discussion.models import Comment
from broadsheet.readers.backends import HandleOrEmailBackend

pytestmark = pytest.mark.django_db


def _post(client, article, body: str):
    return client.post(
        f"{article.get_absolute_url()}comments/",
        {"body": body, "submission_key": str(uuid.uuid4())},
    )


def test_the_site_uses_the_prepared_session_engines():
    assert settings.SESSION_ENGINE in (
        "broadsheet.core.sessions.db",
        "broadsheet.core.sessions.cached_db",
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore
    assert store._get_session_from_db.__module__ == "broadsheet.core.sessions"


@pytest.mark.parametrize("engine", [db, cached_db], ids=["db", "cached_db"])
def test_a_stored_session_reads_back_and_an_expired_or_unknown_one_is_empty(engine):
    store = engine.SessionStore()
    store["reader"] = "kestrel-7"
    store.save()
    key = store.session_key

    assert engine.SessionStore(key).load() == {"reader": "kestrel-7"}
    unknown = engine.SessionStore("x" * 32)
    assert unknown.load() == {}
    assert unknown.session_key is None  # a save makes a new key, as Django's does

    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = engine.SessionStore(key)
    if engine is cached_db:
        expired._cache.delete(expired.cache_key)  # the cache would still answer
    assert expired.load() == {}
    assert expired.session_key is None


def test_the_reader_is_read_whole_in_one_query(kestrel, django_assert_num_queries):
    with django_assert_num_queries(1):
        reader = HandleOrEmailBackend().get_user(kestrel.pk)
        # Every column came with it: nothing deferred, nothing read again.
        assert reader.get_deferred_fields() == set()
        assert (reader.handle, reader.display_name, reader.email) == (
            "kestrel-7",
            "Anna Petrova",
            kestrel.email,
        )
        assert reader.password == kestrel.password


def test_an_inactive_or_missing_reader_is_no_one(kestrel):
    backend = HandleOrEmailBackend()
    assert backend.get_user(kestrel.pk + 1000) is None
    kestrel.is_active = False
    kestrel.save(update_fields=["is_active"])
    assert backend.get_user(kestrel.pk) is None


def test_a_deactivated_readers_session_cannot_post(signed_in_client, kestrel, article):
    assert _post(signed_in_client, article, "Before.").status_code == 302
    kestrel.is_active = False
    kestrel.save(update_fields=["is_active"])
    response = _post(signed_in_client, article, "After.")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    assert list(Comment.objects.values_list("body_markdown", flat=True)) == ["Before."]


def test_a_session_whose_row_is_gone_is_signed_out(signed_in_client, article):
    key = signed_in_client.cookies[settings.SESSION_COOKIE_NAME].value
    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    if hasattr(store, "cache_key"):  # cached_db: the cache would still answer
        store._cache.delete(store.cache_key)
    Session.objects.all().delete()
    response = _post(signed_in_client, article, "No session any more.")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    assert not Comment.objects.exists()


def test_a_session_naming_another_reader_id_is_no_one(client, kestrel, article):
    client.force_login(kestrel)
    store = import_module(settings.SESSION_ENGINE).SessionStore(
        client.cookies[settings.SESSION_COOKIE_NAME].value
    )
    store[SESSION_KEY] = str(kestrel.pk + 1000)
    store.save()
    response = _post(client, article, "Not mine to post.")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    assert not Comment.objects.exists()


def test_the_article_to_post_under_has_its_columns_but_not_its_text(
    article, django_assert_num_queries
):
    with django_assert_num_queries(1):
        found = get_article_to_post_under_or_404(article.slug)
        assert (found.pk, found.slug, found.language, found.translation_of_id) == (
            article.pk,
            article.slug,
            article.language,
            None,
        )
    assert found.get_deferred_fields() == {"lead", "body_markdown", "body_html", "alignment_fixes"}
    with django_assert_num_queries(1):  # read when asked for, as a deferred field
        assert found.body_markdown == article.body_markdown


def test_a_draft_a_scheduled_article_and_an_unpublished_originals_edition_are_missing(
    make_article,
):
    make_article("a-draft", status=Article.Status.DRAFT)
    make_article("scheduled", published_at=timezone.now() + dt.timedelta(hours=1))
    original = make_article("the-original")
    save_article(
        slug="the-original-ru",
        title="Оригинал",
        body_markdown="Абзац.",
        language="ru",
        translation_of=original,
    )
    assert get_article_to_post_under_or_404("the-original-ru").translation_of_id == original.pk
    original.status = Article.Status.DRAFT
    original.save(update_fields=["status"])
    for slug in ("a-draft", "scheduled", "the-original-ru", "no-such-article"):
        with pytest.raises(Http404):
            get_article_to_post_under_or_404(slug)


def test_a_post_under_an_edition_lands_in_the_originals_discussion(signed_in_client, make_article):
    original = make_article("ferry-original")
    edition, _created = save_article(
        slug="ferry-ru", title="Паром", body_markdown="Абзац.", language="ru",
        translation_of=original,
    )  # fmt: skip
    response = _post(signed_in_client, edition, "Под переводом.")
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.article_id == original.pk
    assert comment.language == "ru"
    assert response["Location"] == comment_url(edition, comment.number)


def test_a_post_answers_with_a_plain_redirect_to_its_comment(signed_in_client, article):
    response = _post(signed_in_client, article, "Where does it go?")
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == comment_url(article, comment.number)
