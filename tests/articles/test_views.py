import datetime as dt

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_home_lists_published_articles_newest_first_with_comment_counts(
    client, make_article, kestrel, make_comment, django_assert_max_num_queries
):
    older = make_article(
        "older", title="Older story", published_at=timezone.now() - dt.timedelta(days=2)
    )
    make_article("newer", title="Newer story", published_at=timezone.now() - dt.timedelta(hours=1))
    make_article("draft", title="Draft story", status="draft")
    make_article(
        "later", title="Scheduled story", published_at=timezone.now() + dt.timedelta(days=1)
    )
    make_comment(older, kestrel)
    make_comment(older, kestrel)
    with django_assert_max_num_queries(2):
        html = client.get("/").content.decode()
    assert html.index("Newer story") < html.index("Older story")
    assert "Draft story" not in html and "Scheduled story" not in html
    assert "2 comments" in html


def test_article_page_renders_headline_lead_byline_date_and_body(client, article):
    response = client.get("/articles/the-last-ferry/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in html and "The last ferry keeps running" in html
    assert "A lead paragraph." in html
    assert "By Irina Lebedeva" in html
    assert "<blockquote>" in html and "<figcaption>" in html and "article-ps" in html
    for anchor in article.paragraphs:
        assert f'id="{anchor}"' in html


@pytest.mark.parametrize("status_and_time", [("draft", -1), ("published", +24)])
def test_unpublished_articles_are_not_found(client, make_article, status_and_time):
    status, hours = status_and_time
    make_article("hidden", status=status, published_at=timezone.now() + dt.timedelta(hours=hours))
    assert client.get("/articles/hidden/").status_code == 404


def test_dates_are_localized_in_russian(client, make_article):
    make_article("dated", published_at=dt.datetime(2023, 6, 20, 14, 30, tzinfo=dt.UTC))
    html = client.get("/articles/dated/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "20 июня 2023 14:30" in html


def test_dates_read_like_a_newspaper_in_english(client, make_article):
    make_article("dated", published_at=dt.datetime(2023, 6, 20, 14, 30, tzinfo=dt.UTC))
    assert "20 June 2023 14:30" in client.get("/articles/dated/").content.decode()
