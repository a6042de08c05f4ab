"""The comment feeds: an article's, a reader's and the private replies feed.

Each shows only what a signed-out reader sees on the page. The `discussion`
fixture fills an article with every kind of hidden comment (held, rejected,
deleted) beside visible ones, and a draft article with visible comments; no
feed may carry a word of any of them.
"""

import feedparser
import pytest

from broadsheet.articles.operations import save_article
from broadsheet.discussion.operations import delete_comment
from broadsheet.moderation.operations import reject_comment, set_discussion_mode
from broadsheet.readers.access import get_reply_feed_token
from broadsheet.readers.operations import create_reply_feed_key, revoke_reply_feed_key
from tests.conftest import ARTICLE_BODY

pytestmark = pytest.mark.django_db

HIDDEN = ["HELD-SECRET", "REJECTED-SECRET", "DELETED-SECRET", "DRAFT-SECRET"]


def held(article, author, body, moderator, make_comment, **kw):
    set_discussion_mode(article=article, editor=moderator, mode="premoderated")
    comment = make_comment(article, author, body, **kw)
    set_discussion_mode(article=article, editor=moderator, mode="")
    assert comment.is_pending
    return comment


@pytest.fixture
def discussion(article, make_article, kestrel, nikolai, moderator, make_reader, make_comment):
    """On the-last-ferry: #1 Anna's, #2 Nikolai's reply to it, #3 held reply,
    #4 rejected reply, #5 deleted reply, #6 Anna's reply to herself, #7 Nikolai's
    comment, #8 Olga's reply to it, #9 a held top-level comment. On a draft:
    Anna's comment and Nikolai's reply, both visible before it was unpublished."""
    other = make_reader("heron-3", "Olga Heron")
    anna = make_comment(article, kestrel, "Anna asks about the *timetable*. See #1.")
    make_comment(article, nikolai, "Nikolai answers: REPLY-VISIBLE", parent=anna)
    held(article, nikolai, "HELD-SECRET reply", moderator, make_comment, parent=anna)
    rejected = make_comment(article, nikolai, "REJECTED-SECRET reply", parent=anna)
    reject_comment(comment=rejected, moderator=moderator, reason="Off topic")
    deleted = make_comment(article, nikolai, "DELETED-SECRET reply", parent=anna)
    delete_comment(comment=deleted, deleter=nikolai)
    make_comment(article, kestrel, "Anna adds to herself", parent=anna)
    nikolai_top = make_comment(article, nikolai, "Nikolai's own thought")
    make_comment(article, other, "Olga answers Nikolai", parent=nikolai_top)
    held(article, nikolai, "HELD-SECRET top", moderator, make_comment)
    draft = make_article("a-draft", title="Draft article")
    on_draft = make_comment(draft, kestrel, "DRAFT-SECRET by Anna")
    make_comment(draft, nikolai, "DRAFT-SECRET reply", parent=on_draft)
    save_article(slug="a-draft", title="Draft article", body_markdown=ARTICLE_BODY, status="draft")
    return article


def parse(response):
    assert response.status_code == 200, response.content[:300]
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return feed


def assert_nothing_hidden(response):
    text = response.content.decode()
    for secret in HIDDEN:
        assert secret not in text


def test_article_comments_feed_lists_visible_comments_newest_first(client, discussion):
    response = client.get("/articles/the-last-ferry/comments.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = parse(response)
    assert feed.version == "atom10"
    assert feed.feed.title == "Comments on “The last ferry keeps running”"
    links = [entry.link for entry in feed.entries]
    base = "http://testserver/articles/the-last-ferry/comments"
    assert links == [f"{base}/{n}/" for n in (8, 7, 6, 2, 1)]
    first = feed.entries[-1]
    assert first.title == "Comment 1 by Anna Petrova (kestrel-7)"
    assert first.author == "Anna Petrova (kestrel-7)"
    assert "<em>timetable</em>" in first.summary  # the sanitized HTML
    # Site-relative links inside the comment are made absolute for feed readers.
    assert f'href="{base}/1/"' in first.summary
    assert first.published_parsed and first.updated_parsed
    assert_nothing_hidden(response)


def test_article_comments_rss_is_valid_rss(client, discussion):
    response = client.get("/articles/the-last-ferry/comments.rss")
    assert response["Content-Type"].startswith("application/rss+xml")
    feed = parse(response)
    assert feed.version == "rss20"
    assert feed.feed.link == "http://testserver/articles/the-last-ferry/#discussion"
    assert [e.link.rsplit("/", 2)[-2] for e in feed.entries] == ["8", "7", "6", "2", "1"]
    assert all(e.description for e in feed.entries)
    assert_nothing_hidden(response)


def test_comment_feeds_of_a_draft_or_missing_article_are_404(client, discussion):
    assert client.get("/articles/a-draft/comments.atom").status_code == 404
    assert client.get("/articles/no-such/comments.rss").status_code == 404


def test_article_comments_feed_is_bounded_by_the_setting(client, discussion, settings):
    settings.BROADSHEET_FEED_ITEMS = 2
    feed = parse(client.get("/articles/the-last-ferry/comments.atom"))
    assert len(feed.entries) == 2


def test_article_comments_feed_is_shared_with_the_front_cache(client, discussion):
    response = client.get("/articles/the-last-ferry/comments.atom")
    assert response["X-Broadsheet-Shared"].startswith(f"articles={discussion.pk};")
    assert "no-cache" in response["Cache-Control"]


def test_only_a_feeds_own_address_is_kept_for_everyone(client, discussion):
    """The front cache keys on the whole address: junk after it, or a handle in
    another letter case, is answered but never stored, so nobody can fill the
    cache with copies of a feed."""
    for url in (
        "/articles/the-last-ferry/comments.atom?x=1",
        "/readers/UNC-2/comments.atom",
        "/feeds/articles.atom?page=2",
        "/feeds/articles/xx-nothing.atom",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "X-Broadsheet-Shared" not in response, url
    assert "X-Broadsheet-Shared" in client.get("/readers/unc-2/comments.atom")


def test_reader_comments_feed_lists_their_visible_comments(client, discussion):
    response = client.get("/readers/UNC-2/comments.atom")
    feed = parse(response)
    assert feed.feed.title == "Comments by Nikolai Malyugin (unc-2)"
    assert [e.title for e in feed.entries] == [
        "Comment 7 on “The last ferry keeps running”",
        "Comment 2 on “The last ferry keeps running”",
    ]
    assert_nothing_hidden(response)
    assert parse(client.get("/readers/unc-2/comments.rss")).version == "rss20"


def test_reader_comments_feed_of_an_unknown_or_inactive_reader_is_404(client, make_reader):
    make_reader("gone-1", is_active=False)
    assert client.get("/readers/gone-1/comments.atom").status_code == 404
    assert client.get("/readers/nobody-9/comments.atom").status_code == 404


def replies_url(reader, kind="atom"):
    return f"/feeds/replies/{get_reply_feed_token(reader)}.{kind}"


def test_replies_feed_lists_visible_replies_by_others_only(client, discussion, kestrel):
    create_reply_feed_key(reader=kestrel)
    response = client.get(replies_url(kestrel))
    feed = parse(response)
    assert feed.feed.title == "Replies to kestrel-7"
    assert [e.link for e in feed.entries] == [
        "http://testserver/articles/the-last-ferry/comments/2/"
    ]
    assert feed.entries[0].title == (
        "Nikolai Malyugin (unc-2) replied to your comment 1 on “The last ferry keeps running”"
    )
    text = response.content.decode()
    assert "Anna adds to herself" not in text  # her own reply
    assert "Olga answers Nikolai" not in text  # a reply to another reader
    assert_nothing_hidden(response)
    assert parse(client.get(replies_url(kestrel, "rss"))).version == "rss20"


def test_replies_feed_is_private_and_never_shared(client, discussion, kestrel):
    create_reply_feed_key(reader=kestrel)
    response = client.get(replies_url(kestrel))
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    assert "X-Broadsheet-Shared" not in response
    assert response["X-Robots-Tag"] == "noindex"


def test_revoked_replaced_or_forged_replies_feed_address_is_404(client, kestrel, nikolai):
    create_reply_feed_key(reader=kestrel)
    old = replies_url(kestrel)
    assert client.get(old).status_code == 200
    create_reply_feed_key(reader=kestrel)  # a new address retires the old one
    assert client.get(old).status_code == 404
    current = replies_url(kestrel)
    assert client.get(current).status_code == 200
    key_id, mac = get_reply_feed_token(kestrel).split("-")
    forged_mac = ("0" if mac[0] != "0" else "1") + mac[1:]
    assert client.get(f"/feeds/replies/{key_id}-{forged_mac}.atom").status_code == 404
    assert client.get(f"/feeds/replies/{key_id}.atom").status_code == 404
    revoke_reply_feed_key(reader=kestrel)
    assert client.get(current).status_code == 404


def test_replies_feed_of_a_deactivated_reader_is_404(client, kestrel):
    create_reply_feed_key(reader=kestrel)
    url = replies_url(kestrel)
    kestrel.is_active = False
    kestrel.save(update_fields=["is_active"])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/articles/the-last-ferry/comments.atom",
        "/articles/the-last-ferry/comments.rss",
        "/readers/unc-2/comments.atom",
        "REPLIES",
    ],
)
def test_comment_feeds_cost_a_fixed_number_of_queries(
    client, discussion, kestrel, nikolai, make_comment, django_assert_max_num_queries, url
):
    create_reply_feed_key(reader=kestrel)
    anna = discussion.comments.get(number=1)
    for n in range(20):
        make_comment(discussion, nikolai, f"More words, {n}", parent=anna)
    if url == "REPLIES":
        url = replies_url(kestrel)
    with django_assert_max_num_queries(3):
        parse(client.get(url))
