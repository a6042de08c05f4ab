"""What an article page tells machines: JSON-LD NewsArticle with its comments,
Open Graph and Twitter card tags, and its feeds."""

import json
import re
from html.parser import HTMLParser

import pytest

from broadsheet.discussion.operations import delete_comment
from broadsheet.moderation.operations import reject_comment, set_discussion_mode

pytestmark = pytest.mark.django_db

OPEN_TAG = '<script type="application/ld+json">'


def structured_data(response) -> dict:
    text = response.content.decode()
    assert text.count(OPEN_TAG) == 1
    start = text.index(OPEN_TAG) + len(OPEN_TAG)
    # The block ends at the first "</script>": nothing inside may end it sooner.
    return json.loads(text[start : text.index("</script>", start)])


class HeadTags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta[attrs.get("property") or attrs["name"]] = attrs.get("content")
        if tag == "link":
            self.links.append(attrs)


def head_tags(response) -> HeadTags:
    parser = HeadTags()
    parser.feed(response.content.decode())
    return parser


def test_article_page_describes_itself_as_a_news_article(
    client, article, kestrel, nikolai, moderator, make_comment
):
    make_comment(article, kestrel, "First, *visible*.")
    rejected = make_comment(article, nikolai, "REJECTED-SECRET")
    reject_comment(comment=rejected, moderator=moderator, reason="Off topic")
    deleted = make_comment(article, nikolai, "DELETED-SECRET")
    delete_comment(comment=deleted, deleter=nikolai)
    set_discussion_mode(article=article, editor=moderator, mode="premoderated")
    make_comment(article, nikolai, "HELD-SECRET")
    set_discussion_mode(article=article, editor=moderator, mode="")
    make_comment(article, nikolai, "Second & last.")

    data = structured_data(client.get(article.get_absolute_url()))
    url = "http://testserver/articles/the-last-ferry/"
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "The last ferry keeps running"
    assert data["url"] == url
    assert data["mainEntityOfPage"]["@id"] == url
    assert data["inLanguage"] == "en"
    assert data["author"] == {"@type": "Person", "name": "Irina Lebedeva"}
    assert data["publisher"] == {"@type": "Organization", "name": "Broadsheet"}
    assert data["image"] == ["http://testserver/static/demo/ferry.svg"]
    assert data["datePublished"] == article.published_at.isoformat()
    assert data["dateModified"] >= data["datePublished"]
    assert data["commentCount"] == 2
    assert [c["text"] for c in data["comment"]] == ["First, visible.", "Second & last."]
    first = data["comment"][0]
    assert first["@type"] == "Comment"
    assert first["url"] == f"{url}comments/1/"
    assert first["author"] == {
        "@type": "Person",
        "name": "Anna Petrova",
        "alternateName": "kestrel-7",
        "url": "http://testserver/readers/kestrel-7/",
    }
    assert first["dateCreated"]


def test_held_comment_stays_out_of_the_structured_data_even_for_its_author(
    client, article, nikolai, moderator, make_comment
):
    set_discussion_mode(article=article, editor=moderator, mode="premoderated")
    make_comment(article, nikolai, "HELD-SECRET")
    client.force_login(nikolai)
    response = client.get(article.get_absolute_url())
    assert "HELD-SECRET" in response.content.decode()  # its author sees it on the page
    assert structured_data(response)["comment"] == []


def test_a_comment_cannot_break_out_of_the_structured_data(client, article, kestrel, make_comment):
    words = 'Look: </script><script>alert("x")</script> & <!-- done'
    make_comment(article, kestrel, words)
    response = client.get(article.get_absolute_url())
    text = response.content.decode()
    assert "<script>alert" not in text
    assert "\\u003C/script\\u003E" in text
    assert structured_data(response)["comment"][0]["text"] == words


def test_article_page_has_open_graph_and_twitter_tags(client, article):
    tags = head_tags(client.get(article.get_absolute_url()))
    url = "http://testserver/articles/the-last-ferry/"
    assert tags.meta["og:type"] == "article"
    assert tags.meta["og:title"] == "The last ferry keeps running"
    assert tags.meta["og:description"] == "A lead paragraph."
    assert tags.meta["og:url"] == url
    assert tags.meta["og:site_name"] == "Broadsheet"
    assert tags.meta["og:locale"] == "en"
    assert tags.meta["og:image"] == "http://testserver/static/demo/ferry.svg"
    assert tags.meta["article:published_time"] == article.published_at.isoformat()
    assert tags.meta["twitter:card"] == "summary_large_image"
    assert tags.meta["twitter:title"] == "The last ferry keeps running"
    assert tags.meta["twitter:image"] == "http://testserver/static/demo/ferry.svg"
    assert {"rel": "canonical", "href": url} in tags.links


def test_article_without_an_image_gets_a_summary_card(client, make_article):
    article = make_article("words-only", body_markdown="Only words.", language="ru")
    tags = head_tags(client.get(article.get_absolute_url()))
    assert "og:image" not in tags.meta
    assert tags.meta["twitter:card"] == "summary"
    assert tags.meta["og:locale"] == "ru"
    assert "image" not in structured_data(client.get(article.get_absolute_url()))


def test_article_page_advertises_its_comments_feed_and_the_site_feed(client, article):
    links = head_tags(client.get(article.get_absolute_url())).links
    feeds = {(link["type"], link["href"]) for link in links if link.get("rel") == "alternate"}
    assert feeds == {
        ("application/atom+xml", "/articles/the-last-ferry/comments.atom"),
        ("application/rss+xml", "/articles/the-last-ferry/comments.rss"),
        ("application/atom+xml", "/feeds/articles.atom"),
        ("application/rss+xml", "/feeds/articles.rss"),
    }
    titles = {link["title"] for link in links if link.get("rel") == "alternate"}
    assert "Comments on “The last ferry keeps running”" in titles


def test_signed_out_page_with_metadata_is_still_one_shared_page(
    client, article, kestrel, make_comment, django_assert_max_num_queries
):
    make_comment(article, kestrel, "Shared words.")
    first = client.get(article.get_absolute_url())
    with django_assert_max_num_queries(2):  # from the page cache
        second = client.get(article.get_absolute_url())
    assert first.content == second.content
    assert first["ETag"] == second["ETag"]
    assert "X-Broadsheet-Shared" in second
    assert re.search(r"og:url\" content=\"http://testserver/", second.content.decode())
