# ruff: noqa: RUF001 - Russian text is the point here
"""Editions: an article in several languages, linked, with one discussion under all of them."""

import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.articles.operations import save_article
from broadsheet.articles.queries import get_edition_family
from broadsheet.discussion.models import Comment, Discussion
from broadsheet.discussion.operations import post_comment
from broadsheet.discussion.quotes import ArticleQuoteClaim
from broadsheet.live.models import LiveEvent

pytestmark = pytest.mark.django_db

RUSSIAN = """\
Паром отходит от причала в шесть десять каждое утро.

Жители собрали деньги сами.

## Собрание

> «Мы просим оставить паром, который у нас уже есть», — сказала фармацевт.

P.S. Расписание висит на причале.
"""
ENGLISH = """\
The ferry leaves the pier at ten past six every morning.

The residents raised the money themselves.

## The meeting

> "We are asking to keep the ferry we already have," said a pharmacist.

PS. The timetable is posted at the pier.
"""


@pytest.fixture
def original():
    article, _ = save_article(
        slug="parom",
        title="Паром спасён",
        body_markdown=RUSSIAN,
        language="ru",
        published_at=timezone.now() - timezone.timedelta(hours=2),
    )
    return article


@pytest.fixture
def edition(original):
    article, _ = save_article(
        slug="ferry-saved",
        title="The ferry is saved",
        body_markdown=ENGLISH,
        language="en",
        translation_of=original,
        machine_translated=True,
        published_at=timezone.now() - timezone.timedelta(hours=1),
    )
    return article


def anchors(article) -> list[str]:
    return [anchor for _section, anchor in article.paragraph_outline]


def test_paragraphs_align_by_order_within_sections(original, edition):
    assert edition.aligned_paragraphs == dict(zip(anchors(edition), anchors(original), strict=True))
    assert not hasattr(edition, "discussion") or not Discussion.objects.filter(article=edition)


def test_an_editor_fixes_an_alignment(original, edition):
    fixed, _ = save_article(
        slug="ferry-saved",
        title="The ferry is saved",
        body_markdown=ENGLISH,
        language="en",
        translation_of=original,
        alignment_fixes={"2": 1, "3": 0},
    )
    assert fixed.aligned_paragraphs[anchors(fixed)[1]] == anchors(original)[0]
    assert anchors(fixed)[2] not in fixed.aligned_paragraphs


@pytest.mark.parametrize(
    "change, field",
    [({"language": "ru"}, "language"), ({"slug": "parom-2", "original": "edition"}, None)],
)
def test_an_edition_is_in_another_language_of_an_original(original, edition, change, field):
    target = edition if change.get("original") == "edition" else original
    with pytest.raises(ValidationError) as refused:
        save_article(
            slug=change.get("slug", "parom-en2"),
            title="x",
            body_markdown="Text.",
            language=change.get("language", "de"),
            translation_of=target,
        )
    if field:
        assert field in refused.value.message_dict
    assert not Article.objects.filter(slug__in=["parom-en2", "parom-2"]).exists()


def test_publish_takes_translation_of_and_language(tmp_path, original):
    path = Path(tmp_path / "en.md")
    path.write_text(
        "---\ntitle: The ferry is saved\nslug: ferry-saved\nlanguage: en\n"
        "translation_of: parom\nmachine_translated: true\n---\n\n" + ENGLISH
    )
    call_command("publish", str(path))
    call_command("publish", str(path))  # again: updates the same edition
    edition = Article.objects.get(slug="ferry-saved")
    assert edition.translation_of == original and edition.machine_translated
    assert Article.objects.filter(translation_of=original).count() == 1
    orphan = Path(tmp_path / "orphan.md")
    orphan.write_text("---\ntitle: T\nlanguage: en\ntranslation_of: nowhere\n---\n\nText.\n")
    with pytest.raises(CommandError, match="publish the original first"):
        call_command("publish", str(orphan))


def test_every_edition_links_the_others(client, original, edition):
    for page, other in [(original, edition), (edition, original)]:
        html = client.get(page.get_absolute_url()).content.decode()
        assert f'<html lang="{page.language}">' in html
        assert f'<link rel="canonical" href="http://testserver{page.get_absolute_url()}">' in html
        for member in (original, edition):
            assert (
                f'<link rel="alternate" hreflang="{member.language}" '
                f'href="http://testserver{member.get_absolute_url()}">'
            ) in html
        assert 'hreflang="x-default" href="http://testserver/articles/parom/"' in html
        switcher = re.search(r'<nav class="editions".*?</nav>', html, re.S).group(0)
        assert "English" in switcher and "Русский" in switcher
        assert f'href="{other.get_absolute_url()}"' in switcher
    english = client.get(edition.get_absolute_url()).content.decode()
    assert "Machine translation of the original" in english


def test_one_discussion_under_every_edition(client, original, edition, kestrel):
    client.force_login(kestrel)
    response = client.post(
        "/articles/ferry-saved/comments/",
        {"body": "Written under the English edition.", "language": "en"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/articles/ferry-saved/comments/1/"
    comment = Comment.objects.get()
    assert comment.article == original and comment.number == 1 and comment.language == "en"
    client.logout()
    russian = client.get("/articles/parom/").content.decode()
    english = client.get("/articles/ferry-saved/").content.decode()
    for html in (russian, english):
        assert "Written under the English edition." in html
        assert 'id="comment-1"' in html
    # The label shows where the comment's language is not the page's.
    assert '<span class="comment__language" lang="en"' in russian
    assert 'class="comment__language"' not in english
    # Its permalink works under either edition.
    assert client.get("/articles/parom/comments/1/").status_code == 200
    assert client.get("/articles/ferry-saved/comments/1/").status_code == 200


def test_one_live_stream_carries_each_editions_html(original, edition, kestrel):
    post_comment(article=original, edition=edition, author=kestrel, body="Live from English.")
    event = LiveEvent.objects.filter(article_id=original.pk).latest("pk")
    assert not LiveEvent.objects.filter(article_id=edition.pk).exists()
    assert set(event.data["editions"]) == {"en"}
    assert "/articles/ferry-saved/comments/1/" in event.data["editions"]["en"]
    assert "/articles/parom/comments/1/" in event.data["html"]
    assert 'class="comment__language" lang="en"' in event.data["html"]


def test_a_quote_of_the_russian_paragraph_shows_against_the_english_one(
    client, original, edition, kestrel
):
    first_ru, first_en = anchors(original)[0], anchors(edition)[0]
    post_comment(
        article=original,
        author=kestrel,
        body="> Паром отходит от причала\n\nНе в шесть, а в семь.",
        quote=ArticleQuoteClaim(anchor=first_ru, text="Паром отходит от причала"),
    )
    comment = Comment.objects.get()
    assert (comment.quote_anchor, comment.quote_language) == (first_ru, "")
    english = client.get("/articles/ferry-saved/").content.decode()
    assert f'href="/articles/ferry-saved/#{first_en}"' in english
    assert "quoted from the edition in" in english and "Русский" in english
    # The English paragraph counts the Russian quote.
    assert f'class="paragraph-quotes" href="/articles/ferry-saved/?quoting={first_en}' in english
    listed = client.get(f"/articles/ferry-saved/?quoting={first_en}").content.decode()
    assert "Не в шесть, а в семь." in listed


def test_a_quote_under_an_edition_is_verified_against_that_edition(original, edition, kestrel):
    first_en = anchors(edition)[0]
    comment = post_comment(
        article=original,
        edition=edition,
        author=kestrel,
        body="> The ferry leaves the pier\n\nSeven, not six.",
        quote=ArticleQuoteClaim(anchor=first_en, text="The ferry leaves the pier"),
    )
    assert (comment.quote_anchor, comment.quote_language) == (first_en, "en")
    family = get_edition_family(original)
    counts = family.quote_counts_on(original, Discussion.objects.get(article=original).quote_counts)
    assert counts == {anchors(original)[0]: 1}


def test_a_page_with_editions_costs_the_queries_of_one_without(
    client, original, edition, make_article, django_assert_num_queries
):
    alone = make_article("alone")
    client.get("/")
    costs = {}
    for article in (alone, original, edition):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(article.get_absolute_url()).status_code == 200
        costs[article.slug] = len(queries)
    assert len(set(costs.values())) == 1, costs


def test_home_lists_each_story_once_in_the_readers_language(client, original, edition):
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    russian = client.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert english.count('class="article-list__item"') == 1
    assert 'href="/articles/ferry-saved/">The ferry is saved' in english
    assert 'href="/articles/parom/" hreflang="ru"' in english  # the other edition, reachable
    assert 'href="/articles/parom/">Паром спасён' in russian


def test_a_draft_edition_is_not_linked(client, original, edition):
    Article.objects.filter(pk=edition.pk).update(status=Article.Status.DRAFT)
    html = client.get("/articles/parom/").content.decode()
    assert "ferry-saved" not in html and 'class="editions"' not in html
    assert client.get("/articles/ferry-saved/").status_code == 404


def test_another_readers_held_comment_stays_hidden_on_every_edition(
    client, original, edition, kestrel, nikolai
):
    from broadsheet.moderation.operations import set_discussion_mode

    set_discussion_mode(article=original, mode=Discussion.Mode.PREMODERATED, editor=None)
    post_comment(article=original, edition=edition, author=kestrel, body="Waiting for a moderator.")
    client.force_login(nikolai)
    for slug in ("parom", "ferry-saved"):
        assert "Waiting for a moderator." not in client.get(f"/articles/{slug}/").content.decode()
        assert client.get(f"/articles/{slug}/comments/1/").status_code == 404


def test_the_sitemap_names_every_edition_with_its_alternates(
    client, original, edition, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        xml = client.get("/sitemap-articles.xml").content.decode()
    for slug in ("parom", "ferry-saved"):
        assert f"<loc>http://testserver/articles/{slug}/</loc>" in xml
    assert xml.count('hreflang="ru" href="http://testserver/articles/parom/"') == 2
    assert xml.count('hreflang="en" href="http://testserver/articles/ferry-saved/"') == 2


def test_an_editions_comment_feed_is_the_shared_discussion(client, original, edition, kestrel):
    post_comment(article=original, author=kestrel, body="Один комментарий на двоих.")
    feed = client.get("/articles/ferry-saved/comments.atom").content.decode()
    assert "Один комментарий на двоих." in feed
    assert "http://testserver/articles/ferry-saved/comments/1/" in feed


def test_comment_counts_of_an_edition_are_its_originals(client, original, edition, kestrel):
    post_comment(article=original, author=kestrel, body="Counted once, under both.")
    counts = client.get("/comment-counts/?article=parom&article=ferry-saved").json()["counts"]
    assert counts == {"parom": 1, "ferry-saved": 1}


def test_an_unpublished_original_takes_its_editions_and_discussion_with_it(
    client, original, edition, kestrel
):
    post_comment(article=original, edition=edition, author=kestrel, body="Under the edition.")
    Article.objects.filter(pk=original.pk).update(status=Article.Status.DRAFT)
    for path in (
        "/articles/ferry-saved/",
        "/articles/ferry-saved/comments/1/",
        "/articles/ferry-saved/comments.atom",
        "/articles/ferry-saved/live/",
    ):
        assert client.get(path).status_code == 404, path
    assert "ferry-saved" not in client.get("/sitemap-articles.xml").content.decode()
    assert client.get("/comment-counts/?article=ferry-saved").json()["counts"] == {}
    assert "Under the edition." not in client.get("/search/", {"q": "edition"}).content.decode()
