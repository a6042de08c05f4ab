import uuid
from functools import partial

import pytest
from django.db import connection

from broadsheet.discussion.models import Comment, Discussion
from broadsheet.discussion.operations import CommentRejected, delete_comment, post_comment
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db


def test_comments_are_numbered_in_posting_order(article, kestrel, nikolai):
    first = post_comment(article=article, author=kestrel, body="One")
    second = post_comment(article=article, author=nikolai, body="Two")
    assert (first.number, second.number) == (1, 2)
    assert Discussion.objects.get(article=article).comment_count == 2


def test_numbers_are_per_article(make_article, kestrel):
    a, b = make_article(), make_article()
    post_comment(article=a, author=kestrel, body="On a")
    assert post_comment(article=b, author=kestrel, body="On b").number == 1


def test_a_number_is_never_given_twice_even_after_its_comment_is_gone(article, kestrel):
    post_comment(article=article, author=kestrel, body="One")
    two = post_comment(article=article, author=kestrel, body="Two")
    Comment.objects.filter(pk=two.pk).delete()  # a hard delete, as an admin might
    assert post_comment(article=article, author=kestrel, body="Three").number == 3


@pytest.mark.parametrize("body", ["", "   \n\t  "])
def test_an_empty_comment_is_refused_and_nothing_is_stored(article, kestrel, body):
    with pytest.raises(CommentRejected, match="empty"):
        post_comment(article=article, author=kestrel, body=body)
    assert not Comment.objects.exists()
    assert Discussion.objects.get(article=article).last_number == 0


def test_a_too_long_comment_is_refused_with_the_limit_named(article, kestrel, settings):
    settings.BROADSHEET_COMMENT_MAX_LENGTH = 100
    with pytest.raises(CommentRejected, match="101 characters, the limit is 100"):
        post_comment(article=article, author=kestrel, body="x" * 101)
    assert not Comment.objects.exists()


def test_the_body_is_stored_as_written_and_rendered_once(article, kestrel):
    comment = post_comment(article=article, author=kestrel, body="Hi *there* :wink:\r\n<b>")
    comment.refresh_from_db()
    assert comment.body_markdown == "Hi *there* :wink:\n<b>"
    assert "<em>there</em>" in comment.body_html
    assert 'alt="winked"' in comment.body_html
    assert "&lt;b&gt;" in comment.body_html


def test_a_retried_submission_returns_the_same_comment(article, kestrel):
    key = uuid.uuid4()
    first = post_comment(article=article, author=kestrel, body="Once", submission_key=key)
    again = post_comment(article=article, author=kestrel, body="Once", submission_key=key)
    assert again.pk == first.pk
    assert Comment.objects.count() == 1
    assert Discussion.objects.get(article=article).comment_count == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_comments_posted_at_once_get_twenty_consecutive_numbers(article, make_reader):
    readers = [make_reader() for _ in range(20)]
    _results, errors = run_at_once(
        [partial(post_comment, article=article, author=r, body=f"From {r.handle}") for r in readers]
    )
    assert errors == []
    numbers = sorted(Comment.objects.filter(article=article).values_list("number", flat=True))
    assert numbers == list(range(1, 21))
    assert Discussion.objects.get(article=article).comment_count == 20


@pytest.mark.django_db(transaction=True)
def test_the_same_submission_racing_with_itself_makes_one_comment(article, kestrel):
    key = uuid.uuid4()
    post = partial(post_comment, article=article, author=kestrel, body="Once", submission_key=key)
    results, errors = run_at_once([post] * 5)
    assert errors == []
    assert len({comment.pk for comment in results}) == 1
    assert Comment.objects.count() == 1
    assert Discussion.objects.get(article=article).comment_count == 1


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL


@pytest.mark.django_db(transaction=True)
def test_counts_stay_right_when_posting_and_deleting_race(article, make_reader):
    readers = [make_reader() for _ in range(10)]
    doomed = [post_comment(article=article, author=r, body="To be deleted") for r in readers]
    posts = [partial(post_comment, article=article, author=r, body="Stays") for r in readers]
    deletes = [partial(delete_comment, comment=c, deleter=c.author) for c in doomed]
    _results, errors = run_at_once(posts + deletes)
    assert errors == []
    discussion = Discussion.objects.get(article=article)
    live = Comment.objects.filter(article=article, deleted_at__isnull=True).count()
    assert discussion.comment_count == live == 10
    assert discussion.last_number == 20


def test_posted_history_keeps_its_time_and_is_not_rate_limited(settings, article, kestrel):
    import datetime as dt

    from broadsheet.discussion.operations import ImportedHistory

    settings.BROADSHEET_COMMENTS_PER_MINUTE = 2
    when = dt.datetime(2019, 5, 1, 12, 0, tzinfo=dt.UTC)
    history = ImportedHistory(posted_at=when)
    old = [
        post_comment(article=article, author=kestrel, body=f"Old {n}", history=history)
        for n in range(5)
    ]
    assert [comment.created_at for comment in old] == [when] * 5
    # Posting now is limited as ever: history is the one named way past the limits.
    for n in range(2):
        post_comment(article=article, author=kestrel, body=f"New {n}")
    with pytest.raises(CommentRejected, match="at most 2 comments a minute"):
        post_comment(article=article, author=kestrel, body="One too many")


def test_no_unnamed_argument_turns_the_rate_limits_off():
    import inspect

    assert "posted_at" not in inspect.signature(post_comment).parameters
