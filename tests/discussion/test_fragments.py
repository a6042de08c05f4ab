"""Each comment's HTML is kept between renders (discussion/fragments.py): kept HTML is
reused, never outlives a change that hides its words, and never carries one
reader's state to another."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from broadsheet.discussion.controls import controls_for
from broadsheet.discussion.fragments import render_comments
from broadsheet.discussion.models import Comment
from broadsheet.discussion.operations import delete_comment, edit_comment, vote_on_comment
from broadsheet.discussion.queries import attach_reader_state, list_discussion_page
from broadsheet.live.models import LiveEvent
from broadsheet.moderation.operations import reject_comment
from broadsheet.readers.operations import erase_reader_account, record_reader_activity

pytestmark = pytest.mark.django_db

PAGE = "/articles/the-last-ferry/"
WORDS = "The ferry should keep running past the lighthouse."


@pytest.fixture
def comment_drawings():
    """The number of times discussion/comment.html is drawn, as it happens."""
    drawn = []

    def count(sender, template, context, **kwargs):
        if template.name == "discussion/comment.html":
            drawn.append(1)

    template_rendered.connect(count)
    yield drawn
    template_rendered.disconnect(count)


@pytest.fixture
def posted(article, kestrel, make_comment) -> Comment:
    return make_comment(article, kestrel, WORDS)


def _page(client, reader=None) -> str:
    if reader is None:
        client.logout()
    else:
        client.force_login(reader)
    response = client.get(PAGE)
    assert response.status_code == 200
    return response.content.decode()


def test_a_comment_is_drawn_once_and_its_html_reused_by_the_next_page(
    client, article, posted, nikolai, make_comment, comment_drawings
):
    assert WORDS in _page(client)
    assert len(comment_drawings) == 1
    make_comment(article, nikolai, "A second opinion on the ferry.")
    comment_drawings.clear()  # posting drew the new comment for open pages
    page = _page(client)  # a new comment: the stored page is stale, so it is drawn again
    assert WORDS in page and "A second opinion on the ferry." in page
    assert len(comment_drawings) == 1  # only the new comment was drawn


@pytest.mark.parametrize("change", ["rejected", "deleted", "held edit", "author erased"])
def test_kept_html_never_outlives_a_change_that_hides_the_words(
    client, rules, article, posted, kestrel, nikolai, moderator, change
):
    # Every kind of page draws (and keeps) the comment first.
    for reader in (None, nikolai, moderator, kestrel):
        assert WORDS in _page(client, reader)

    if change == "rejected":
        reject_comment(comment=posted, moderator=moderator, reason="off_topic")
    elif change == "deleted":
        delete_comment(comment=posted, deleter=kestrel)
    elif change == "held edit":
        edit_comment(comment=posted, editor=kestrel, body="Only an idiot stops a ferry")
    else:
        erase_reader_account(reader=kestrel)

    for reader in (None, nikolai, moderator):
        page = _page(client, reader)
        assert WORDS not in page
        assert "idiot" not in page
        if change == "author erased":
            assert "kestrel-7" not in page and "Anna Petrova" not in page
    newest = LiveEvent.objects.order_by("-id").first()
    assert WORDS not in str(newest.data) and "idiot" not in str(newest.data)


def test_an_edit_shows_the_new_words_not_the_kept_ones(client, posted, kestrel, nikolai):
    assert WORDS in _page(client, nikolai)
    edit_comment(comment=posted, editor=kestrel, body="The ferry must run on Sundays too.")
    for reader in (None, nikolai, kestrel):
        page = _page(client, reader)
        assert WORDS not in page and "The ferry must run on Sundays too." in page


def test_one_readers_vote_and_controls_never_reach_another_reader(
    client, article, posted, kestrel, nikolai, make_reader, make_comment
):
    theirs = make_comment(article, nikolai, "Nikolai's view of the timetable.")
    vote_on_comment(comment=theirs, voter=kestrel, value=1)
    # Kestrel's page first, so that whatever it keeps is there for the others.
    own = _page(client, kestrel)
    assert own.count('aria-pressed="true"') == 1
    assert f"/comments/{posted.number}/edit/" in own

    third = make_reader("petrel-3", "Olga Sidorova")
    for reader, their_own in ((third, None), (nikolai, theirs), (None, None)):
        page = _page(client, reader)
        assert 'aria-pressed="true"' not in page
        assert f"/comments/{posted.number}/edit/" not in page
        assert f"/comments/{posted.number}/delete/" not in page
        if their_own is not None:
            assert f"/comments/{their_own.number}/edit/" in page
    assert "csrfmiddlewaretoken" not in _page(client)


def _comments_as_drawn_for(article, viewer):
    page = list_discussion_page(article, viewer=viewer)
    attach_reader_state(page, article, viewer)
    for comment in page.comments:
        comment.controls = controls_for(comment, viewer, timezone.now(), article=article)
    return page.comments


def test_the_kept_html_holds_neither_the_csrf_token_nor_the_authors_presence(
    article, posted, kestrel, nikolai, comment_drawings, time_machine
):
    now = timezone.now()
    time_machine.move_to(now, tick=False)
    record_reader_activity(reader=kestrel, now=now)
    comments = _comments_as_drawn_for(article, nikolai)
    first = render_comments(comments, article=article, csrf_token="first-readers-token")
    drawn = len(comment_drawings)
    assert 'value="first-readers-token"' in first
    assert "presence--online" in first

    time_machine.move_to(now + dt.timedelta(minutes=10), tick=False)
    comments = _comments_as_drawn_for(article, nikolai)
    second = render_comments(comments, article=article, csrf_token="second-readers-token")
    assert len(comment_drawings) == drawn  # the second came from the kept HTML
    assert "first-readers-token" not in second
    assert 'value="second-readers-token"' in second
    assert "presence--offline" in second and "presence--online" not in second


def test_a_reader_cannot_type_the_marks_that_presence_and_the_token_fill(
    article, kestrel, nikolai, make_comment
):
    # The marks hold NUL (which no stored text holds: forms refuse it and
    # PostgreSQL cannot store it) and an HMAC of the site's secret: a guess typed
    # into a comment stays text, and no token lands in it.
    make_comment(article, kestrel, "csrf:0123456789abcdef01234567 and presence:")
    comments = _comments_as_drawn_for(article, nikolai)
    html = render_comments(comments, article=article, csrf_token="the-readers-token")
    body = re.search(r'<div class="comment__body">(.*?)</div>', html, re.S).group(1)
    assert "the-readers-token" not in body and "presence--" not in body


def _grow_discussion(article, authors, make_comment, *, threads: int, replies: int) -> None:
    for _ in range(threads):
        root = make_comment(article, authors[0])
        for n in range(replies):
            make_comment(article, authors[(n + 1) % len(authors)], parent=root)


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("signed out", PAGE),
        ("signed in", PAGE),
        ("signed out, newest first", PAGE + "?sort=newest"),
        ("signed in, best first", PAGE + "?sort=best"),
        ("signed out, one thread", PAGE + "?thread=1"),
    ],
)
def test_each_kind_of_page_costs_the_same_queries_however_big_the_discussion(
    client, article, kestrel, nikolai, make_reader, make_comment, kind, path,
    django_assert_max_num_queries, settings,
):  # fmt: skip
    settings.BROADSHEET_COMMENTS_PER_MINUTE = 0
    settings.BROADSHEET_COMMENTS_PER_ARTICLE_PER_MINUTE = 0
    settings.BROADSHEET_BREAKING_NEWS_PER_MINUTE = 0
    reader = make_reader("petrel-3", "Olga Sidorova") if kind.startswith("signed in") else None
    authors = [kestrel, nikolai]

    if reader is not None:
        # Signed in once, before: the first request after signing in records the
        # reader's presence and session, which no later request repeats.
        client.force_login(reader)
        client.get(path)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    _grow_discussion(article, authors, make_comment, threads=2, replies=2)
    small = queries()
    _grow_discussion(article, authors, make_comment, threads=60, replies=7)
    with django_assert_max_num_queries(12 if reader else 6):
        big = queries()
    assert big == small
