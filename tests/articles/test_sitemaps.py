"""The sitemaps: /sitemap.xml, its index, the news sitemap, and robots.txt."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


@pytest.fixture
def articles(make_article):
    now = timezone.now()
    return {
        "old": make_article("old-news", title="Old news", published_at=now - dt.timedelta(days=3)),
        "new": make_article(
            "new-news", title="New & news", published_at=now - dt.timedelta(hours=1)
        ),
        "ru": make_article(
            "novosti", title="Новости", language="ru", published_at=now - dt.timedelta(hours=2)
        ),
        "draft": make_article("draft-news", status="draft"),
        "scheduled": make_article("later-news", published_at=now + dt.timedelta(days=1)),
    }


def parse(response) -> ET.Element:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    return ET.fromstring(response.content)  # noqa: S314 (our own output)


def test_sitemap_lists_the_home_page_and_published_articles_with_lastmod(client, articles):
    root = parse(client.get("/sitemap.xml"))
    urls = {
        url.findtext("s:loc", namespaces=NS): url.findtext("s:lastmod", namespaces=NS)
        for url in root.findall("s:url", NS)
    }
    base = "http://testserver"
    assert set(urls) == {
        f"{base}/",
        f"{base}/articles/old-news/",
        f"{base}/articles/new-news/",
        f"{base}/articles/novosti/",
    }
    new = articles["new"]
    assert urls[f"{base}/articles/new-news/"] == timezone.localdate(new.updated_at).isoformat()
    # Articles without editions: no hreflang alternates (tests/articles/test_editions.py).
    assert root.findall(".//{http://www.w3.org/1999/xhtml}link") == []


def test_sitemap_pages_by_the_setting_and_the_index_names_every_page(client, articles, settings):
    settings.BROADSHEET_SITEMAP_PAGE_SIZE = 2
    first = parse(client.get("/sitemap-articles.xml"))
    second = parse(client.get("/sitemap-articles.xml?p=2"))
    assert len(first.findall("s:url", NS)) == 2
    assert len(second.findall("s:url", NS)) == 1
    assert client.get("/sitemap-articles.xml?p=3").status_code == 404
    index = parse(client.get("/sitemap-index.xml"))
    locations = [loc.text for loc in index.findall("s:sitemap/s:loc", NS)]
    assert locations == [
        "http://testserver/sitemap-pages.xml",
        "http://testserver/sitemap-articles.xml",
        "http://testserver/sitemap-articles.xml?p=2",
        "http://testserver/sitemap-news.xml",
    ]


def test_news_sitemap_lists_only_the_last_two_days(client, articles):
    root = parse(client.get("/sitemap-news.xml"))
    entries = {
        url.findtext("s:loc", namespaces=NS): url.find("news:news", NS)
        for url in root.findall("s:url", NS)
    }
    assert set(entries) == {
        "http://testserver/articles/new-news/",
        "http://testserver/articles/novosti/",
    }
    news = entries["http://testserver/articles/new-news/"]
    assert news.findtext("news:publication/news:name", namespaces=NS) == "Broadsheet"
    assert news.findtext("news:publication/news:language", namespaces=NS) == "en"
    assert news.findtext("news:title", namespaces=NS) == "New & news"
    published = dt.datetime.fromisoformat(news.findtext("news:publication_date", namespaces=NS))
    assert published == articles["new"].published_at.replace(microsecond=0)
    ru = entries["http://testserver/articles/novosti/"]
    assert ru.findtext("news:publication/news:language", namespaces=NS) == "ru"


@pytest.mark.parametrize(
    "url", ["/sitemap.xml", "/sitemap-articles.xml", "/sitemap-news.xml", "/sitemap-index.xml"]
)
def test_sitemaps_cost_a_fixed_number_of_queries(
    client, articles, make_article, django_assert_max_num_queries, url
):
    for n in range(20):
        make_article(f"more-{n}")
    with django_assert_max_num_queries(4):
        parse(client.get(url))


def test_robots_txt_names_the_sitemaps_and_keeps_crawlers_out_of_private_paths(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Allow: /" in lines
    for path in ("/accounts/", "/admin/", "/moderation/", "/feeds/replies/"):
        assert f"Disallow: {path}" in lines
    assert "Sitemap: http://testserver/sitemap-index.xml" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert "Sitemap: http://testserver/sitemap-news.xml" in lines
