import datetime as dt

import pytest
import time_machine

from broadsheet.discussion.models import Comment, Discussion
from broadsheet.discussion.operations import (
    CommentRejected,
    delete_comment,
    edit_comment,
    post_comment,
)

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2023, 6, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def article(make_article):
    # Published before the travelled-to times below, so it is visible then.
    return make_article("the-last-ferry", published_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))


def test_the_author_edits_within_the_window_and_the_comment_says_edited(
    signed_in_client, article, kestrel
):
    with time_machine.travel(NOON, tick=False):
        post_comment(article=article, author=kestrel, body="Typo hre")
    with time_machine.travel(NOON + dt.timedelta(minutes=14), tick=False):
        response = signed_in_client.post(
            "/articles/the-last-ferry/comments/1/edit/", {"body": "Typo *here*"}
        )
        assert response.status_code == 302
        html = signed_in_client.get("/articles/the-last-ferry/").content.decode()
    comment = Comment.objects.get(number=1)
    assert comment.body_markdown == "Typo *here*"
    assert "<em>here</em>" in comment.body_html
    assert comment.edited_at == NOON + dt.timedelta(minutes=14)
    assert ">edited</span>" in html


def test_an_edit_after_the_window_is_refused_with_a_clear_message(
    signed_in_client, article, kestrel
):
    with time_machine.travel(NOON, tick=False):
        post_comment(article=article, author=kestrel, body="Final words")
    with time_machine.travel(NOON + dt.timedelta(minutes=15, seconds=1), tick=False):
        response = signed_in_client.post(
            "/articles/the-last-ferry/comments/1/edit/", {"body": "Changed my mind"}
        )
        page = signed_in_client.get("/articles/the-last-ferry/").content.decode()
    assert response.status_code == 403
    assert (
        "Comments can be edited for 15 minutes after posting; this one can no longer be changed."
        in response.content.decode()
    )
    assert Comment.objects.get(number=1).body_markdown == "Final words"
    assert ">Edit</button>" not in page  # the control is gone once the window closes


def test_the_edit_window_is_a_setting(article, kestrel, settings):
    settings.BROADSHEET_EDIT_WINDOW_SECONDS = 60
    with time_machine.travel(NOON, tick=False):
        comment = post_comment(article=article, author=kestrel, body="Quick")
    with pytest.raises(CommentRejected, match="1 minute"):
        edit_comment(
            comment=comment, editor=kestrel, body="Too late", now=NOON + dt.timedelta(seconds=61)
        )


def test_only_the_author_may_edit_or_delete(client, article, kestrel, nikolai):
    post_comment(article=article, author=kestrel, body="Mine")
    client.force_login(nikolai)
    assert (
        client.post("/articles/the-last-ferry/comments/1/edit/", {"body": "X"}).status_code == 404
    )
    assert client.post("/articles/the-last-ferry/comments/1/delete/").status_code == 404
    assert Comment.objects.get(number=1).body_markdown == "Mine"


def test_an_empty_edit_is_refused_beside_the_field(signed_in_client, article, kestrel):
    post_comment(article=article, author=kestrel, body="Something")
    response = signed_in_client.post("/articles/the-last-ferry/comments/1/edit/", {"body": " "})
    assert response.status_code == 400
    assert "The comment is empty" in response.content.decode()


def test_deleting_keeps_the_number_the_replies_and_a_placeholder(
    signed_in_client, article, kestrel, nikolai
):
    first = post_comment(article=article, author=kestrel, body="Regrettable words")
    post_comment(article=article, author=nikolai, body="A reply stays", parent=first)
    post_comment(
        article=article, author=nikolai, body="> #1 kestrel-7:\n> Regrettable words\n\nQuoted"
    )
    assert signed_in_client.get("/articles/the-last-ferry/comments/1/delete/").status_code == 200
    response = signed_in_client.post("/articles/the-last-ferry/comments/1/delete/")
    assert response.status_code == 302
    html = signed_in_client.get("/articles/the-last-ferry/").content.decode()
    assert "Comment deleted by its author." in html
    assert "Regrettable words</p>\n</blockquote>" in html  # the quote of it in comment 3 stays
    assert 'id="comment-1"' in html and "A reply stays" in html
    deleted = Comment.objects.get(number=1)
    assert deleted.body_markdown == "" and deleted.deleted_at is not None
    assert Discussion.objects.get(article=article).comment_count == 2
    assert post_comment(article=article, author=kestrel, body="Next").number == 4


def test_deleting_twice_counts_once(article, kestrel):
    comment = post_comment(article=article, author=kestrel, body="Once")
    delete_comment(comment=comment, deleter=kestrel)
    delete_comment(comment=comment, deleter=kestrel)
    assert Discussion.objects.get(article=article).comment_count == 0
