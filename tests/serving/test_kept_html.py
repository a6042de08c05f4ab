# ruff: noqa: RUF001 - Russian text is the point here
"""The parts of an article page no comment changes (the story, the head's metadata)
are drawn once and remembered by their values (serving/kept_html.py): each change
to what they show shows at once, and nothing of a reader or a request enters them."""

import datetime as dt

import pytest
import time_machine
from django.test.signals import template_rendered
from django.utils import timezone

from broadsheet.articles.operations import save_article
from broadsheet.live.models import LiveEvent
from broadsheet.moderation.operations import set_discussion_mode
from broadsheet.serving.kept_html import render_kept

pytestmark = pytest.mark.django_db

PAGE = "/articles/the-last-ferry/"
BODY = "The ferry leaves the pier at ten past six.\n\nThe residents raised the money.\n"


@pytest.fixture
def drawings():
    """The kept parts' templates as they are drawn."""
    drawn = []

    def count(sender, template, context, **kwargs):
        if template.name in ("articles/story.html", "articles/page_head.html"):
            drawn.append(template.name)

    template_rendered.connect(count)
    yield drawn
    template_rendered.disconnect(count)


@pytest.fixture
def story(make_article):
    return make_article(
        "the-last-ferry", title="The last ferry keeps running", body_markdown=BODY, language="en"
    )


def _save(story, **changes):
    fields = {
        "slug": story.slug,
        "title": story.title,
        "body_markdown": story.body_markdown,
        "lead": story.lead,
        "byline": story.byline,
        "language": story.language,
        "published_at": story.published_at,
        **changes,
    }
    return save_article(**fields)[0]


def test_the_parts_are_drawn_once_and_a_new_comment_does_not_draw_them_again(
    client, story, kestrel, make_comment, drawings
):
    assert "The last ferry keeps running" in client.get(PAGE).content.decode()
    assert sorted(drawings) == ["articles/page_head.html", "articles/story.html"]
    make_comment(story, kestrel, "A comment about the ferry.")
    drawings.clear()
    page = client.get(PAGE).content.decode()
    assert "A comment about the ferry." in page and "1 comment" in page
    assert drawings == []


def test_an_edit_of_the_article_shows_at_once(client, story, drawings):
    client.get(PAGE)
    _save(
        story,
        title="The ferry is saved",
        lead="A new lead.",
        byline="Pyotr Ivanov",
        body_markdown="The town kept its ferry after all.\n",
    )
    page = client.get(PAGE).content.decode()
    assert "The ferry is saved" in page and "The last ferry keeps running" not in page
    assert "The town kept its ferry after all." in page and "ten past six" not in page
    assert "Pyotr Ivanov" in page and "Irina Lebedeva" not in page
    assert '<meta name="description" content="A new lead.">' in page
    assert 'content="The ferry is saved"' in page  # og:title


def test_a_new_edition_and_its_unpublishing_show_at_once_on_the_original(client, settings, story):
    # Drawn from nothing each time: the page cache keeps a shared page by its own
    # article's state and the discussion's, not its editions' (see the next test).
    settings.BROADSHEET_PAGE_CACHE_SECONDS = 0
    assert 'hreflang="ru"' not in client.get(PAGE).content.decode()
    edition = save_article(
        slug="poslednij-parom",
        title="Последний паром",
        body_markdown="Паром отходит в шесть десять.\n\nЖители собрали деньги.\n",
        language="ru",
        translation_of=story,
        published_at=timezone.now() - dt.timedelta(minutes=5),
    )[0]
    page = client.get(PAGE).content.decode()
    assert 'hreflang="ru"' in page and "Русский" in page
    assert "http://testserver/articles/poslednij-parom/" in page  # the hreflang link
    edition_page = client.get("/articles/poslednij-parom/").content.decode()
    assert "Последний паром" in edition_page and 'aria-current="page" lang="ru"' in edition_page

    _save(edition, status="draft", translation_of=story, published_at=None)
    page = client.get(PAGE).content.decode()
    assert 'hreflang="ru"' not in page and "Русский" not in page
    assert client.get("/articles/poslednij-parom/").status_code == 404


def test_a_new_edition_shows_at_once_on_the_originals_cached_page(client, story):
    client.get(PAGE)
    save_article(
        slug="poslednij-parom",
        title="Последний паром",
        body_markdown="Паром отходит в шесть десять.\n",
        language="ru",
        translation_of=story,
        published_at=timezone.now() - dt.timedelta(minutes=5),
    )
    assert 'hreflang="ru"' in client.get(PAGE).content.decode()


def test_unpublishing_the_article_hides_it_at_once(client, story):
    assert client.get(PAGE).status_code == 200
    _save(story, status="draft", published_at=None)
    assert client.get(PAGE).status_code == 404
    _save(story, published_at=timezone.now() + dt.timedelta(hours=1))  # scheduled
    assert client.get(PAGE).status_code == 404


def test_another_language_draws_its_own_parts(client, make_article):
    make_article("dated", published_at=dt.datetime(2023, 6, 20, 14, 30, tzinfo=dt.UTC))
    english = client.get("/articles/dated/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    russian = client.get("/articles/dated/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "20 June 2023 14:30" in english and "20 июня 2023 14:30" not in english
    assert "20 июня 2023 14:30" in russian and "20 June 2023 14:30" not in russian
    assert "Комментарии к" in russian and "Comments on" in english  # the feed titles
    again = client.get("/articles/dated/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "20 June 2023 14:30" in again


def test_closing_the_discussion_shows_at_once(client, story, moderator, kestrel):
    client.force_login(kestrel)
    assert "Post comment" in client.get(PAGE).content.decode()
    set_discussion_mode(article=story, editor=moderator, mode="closed")
    page = client.get(PAGE).content.decode()
    assert "The discussion of this article is closed" in page and "Post comment" not in page
    client.logout()
    assert "The discussion of this article is closed" in client.get(PAGE).content.decode()


def test_each_host_gets_its_own_addresses(client, story):
    first = client.get(PAGE, SERVER_NAME="localhost").content.decode()
    second = client.get(PAGE, SERVER_NAME="127.0.0.1").content.decode()
    assert '<link rel="canonical" href="http://localhost/articles/the-last-ferry/">' in first
    assert '<link rel="canonical" href="http://127.0.0.1/articles/the-last-ferry/">' in second
    assert "http://localhost/" not in second


def test_no_reader_reaches_the_kept_parts(client, story, kestrel, drawings):
    client.force_login(kestrel)
    own = client.get(PAGE).content.decode()
    assert "kestrel-7" in own  # the account links, drawn per request
    client.logout()
    shared = client.get(PAGE).content.decode()
    assert "kestrel-7" not in shared and "csrfmiddlewaretoken" not in shared
    assert drawings.count("articles/story.html") == 1  # the signed-out page reused it


def test_a_part_is_drawn_from_its_values_alone(story):
    # No request, no context processors: a value it is not given is not there.
    html = render_kept("articles/story.html", {"title": "<script>x</script>", "language": "en"})
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html
    assert "Irina Lebedeva" not in html


def test_the_newest_event_is_filled_into_the_kept_opening_tag_on_every_render(
    client, settings, story, kestrel, make_comment
):
    settings.BROADSHEET_PAGE_CACHE_SECONDS = 0  # drawn from nothing each time
    for words in ("First.", "Second.", "Third."):
        make_comment(story, kestrel, words)
        newest = LiveEvent.objects.filter(article=story).order_by("-id").first()
        page = client.get(PAGE).content.decode()
        assert f'data-live-after="{newest.pk}"' in page
        assert "\x00" not in page  # no hole left unfilled


def test_a_part_that_loses_its_hole_is_refused(story):
    with pytest.raises(ValueError, match="hole"):
        render_kept("articles/story.html", {"title": "x"}, holes={"live_after": 7})


def test_a_scheduled_edition_shows_on_the_originals_cached_page_when_its_time_comes(client, story):
    """A second edition, scheduled: nothing is written when its time comes, yet the
    original's kept page must name it then (the page cache's key carries which
    editions are visible now)."""
    save_article(
        slug="poslednij-parom",
        title="Последний паром",
        body_markdown="Паром отходит в шесть десять.\n",
        language="ru",
        translation_of=story,
        published_at=timezone.now() - dt.timedelta(minutes=5),
    )
    save_article(
        slug="der-letzte-faehre",
        title="Die letzte Fähre",
        body_markdown="Die Fähre legt um zehn nach sechs ab.\n",
        language="de",
        translation_of=story,
        published_at=timezone.now() + dt.timedelta(seconds=20),
    )
    page = client.get(PAGE).content.decode()
    assert 'hreflang="ru"' in page and 'hreflang="de"' not in page
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=30), tick=False):
        assert 'hreflang="de"' in client.get(PAGE).content.decode()
