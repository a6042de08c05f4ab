"""The site's feed of articles: published ones only, newest first, per language."""

import datetime as dt

import feedparser
import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(make_article):
    now = timezone.now()
    return {
        "old": make_article("old-news", title="Old news", published_at=now - dt.timedelta(days=3)),
        "new": make_article("new-news", title="New news", published_at=now - dt.timedelta(hours=1)),
        "ru": make_article(
            "novosti",
            title="Новости",
            language="ru",
            byline="Ирина Лебедева",
            published_at=now - dt.timedelta(hours=2),
        ),
        "draft": make_article("draft-news", title="DRAFT-SECRET", status="draft"),
        "scheduled": make_article(
            "later-news", title="SCHEDULED-SECRET", published_at=now + dt.timedelta(days=1)
        ),
    }


def parse(response):
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return feed


def test_site_feed_lists_published_articles_newest_first(client, articles):
    response = client.get("/feeds/articles.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = parse(response)
    assert feed.version == "atom10"
    assert feed.feed.title == "Broadsheet"
    assert [e.title for e in feed.entries] == ["New news", "Новости", "Old news"]
    entry = feed.entries[0]
    assert entry.link == "http://testserver/articles/new-news/"
    assert entry.summary == "A lead paragraph."
    assert entry.author == "Irina Lebedeva"
    assert entry.published_parsed and entry.updated_parsed
    text = response.content.decode()
    assert "DRAFT-SECRET" not in text and "SCHEDULED-SECRET" not in text


def test_site_rss_feed_is_valid_rss(client, articles):
    feed = parse(client.get("/feeds/articles.rss"))
    assert feed.version == "rss20"
    assert feed.feed.link == "http://testserver/"
    assert len(feed.entries) == 3


def test_site_feed_of_one_language(client, articles):
    feed = parse(client.get("/feeds/articles/ru.atom"))
    assert [e.title for e in feed.entries] == ["Новости"]
    assert feed.feed.language == "ru"
    assert parse(client.get("/feeds/articles/de.rss")).entries == []
    assert client.get("/feeds/articles/not a language.atom").status_code == 404


def test_site_feed_is_bounded_and_shared(client, articles, settings):
    settings.BROADSHEET_FEED_ITEMS = 1
    response = client.get("/feeds/articles.atom")
    assert len(parse(response).entries) == 1
    assert response["X-Broadsheet-Shared"].startswith(f"articles={articles['new'].pk};")


def test_site_feed_costs_one_query(client, articles, make_article, django_assert_num_queries):
    for n in range(10):
        make_article(f"more-{n}")
    with django_assert_num_queries(1):
        parse(client.get("/feeds/articles.atom"))


def test_pages_advertise_the_site_feed(client, article, kestrel):
    for url in ("/", article.get_absolute_url(), kestrel.get_absolute_url()):
        text = client.get(url).content.decode()
        assert (
            '<link rel="alternate" type="application/atom+xml" title="Broadsheet: latest articles"'
            ' href="/feeds/articles.atom">' in text
        ), url
