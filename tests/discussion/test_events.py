"""The shape of every live event about comments, pinned: pages and other processes rely on it."""

import pytest

from broadsheet.discussion import events
from broadsheet.discussion.models import Comment
from broadsheet.discussion.operations import (
    delete_comment,
    edit_comment,
    post_comment,
    vote_on_comment,
)
from broadsheet.live.models import LiveEvent

pytestmark = pytest.mark.django_db


def test_comment_posted_carries_placement_and_the_html_a_reload_would_show(
    client, article, kestrel, nikolai
):
    parent = post_comment(article=article, author=kestrel, body="Top")
    reply = post_comment(
        article=article, author=nikolai, body="Hello *there* :wink:", parent=parent
    )
    event = events.comment_posted(reply)
    assert set(event) == {"type", "number", "parent", "thread", "path", "author", "html"}
    assert event["type"] == "comment.posted"
    assert (event["number"], event["parent"], event["thread"], event["author"]) == (
        2,
        1,
        1,
        "unc-2",
    )
    assert event["path"] == reply.path
    assert event["html"].startswith('<li class="comment comment--depth-1')
    assert 'id="comment-2"' in event["html"] and "<em>there</em>" in event["html"]
    assert 'alt="winked"' in event["html"] and "in reply to #1" in event["html"]
    page = client.get("/articles/the-last-ferry/").content.decode()
    assert event["html"].split("<footer")[0].split("<article>")[1] in page


def test_comment_voted_edited_and_deleted_shapes(article, kestrel, nikolai):
    comment = post_comment(article=article, author=nikolai, body="Vote")
    vote_on_comment(comment=comment, voter=kestrel, value=1)
    comment.refresh_from_db()
    assert events.comment_voted(comment) == {
        "type": "comment.voted",
        "number": 1,
        "score": 1,
        "upvotes": 1,
        "downvotes": 0,
    }
    assert events.comment_edited(comment)["type"] == "comment.edited"
    deleted = delete_comment(comment=comment, deleter=nikolai)
    gone = events.comment_deleted(deleted)
    assert gone["type"] == "comment.deleted" and "Comment deleted by its author." in gone["html"]


def test_every_write_operation_records_its_event_with_the_change(article, kestrel, nikolai):
    comment = post_comment(article=article, author=kestrel, body="One")
    edit_comment(comment=comment, editor=kestrel, body="One, edited")
    vote_on_comment(comment=comment, voter=nikolai, value=-1)
    assert list(LiveEvent.objects.order_by("id").values_list("type", flat=True)) == [
        "comment.posted",
        "comment.edited",
        "comment.voted",
    ]
    delete_comment(comment=comment, deleter=kestrel)
    # The deletion erases the events that carried the words (tests/live/test_hidden.py).
    assert list(LiveEvent.objects.order_by("id").values_list("type", flat=True)) == [
        "comment.voted",
        "comment.deleted",
    ]
    assert all(e.article_id == article.pk for e in LiveEvent.objects.all())


def test_a_refused_comment_records_no_event(article, kestrel):
    from broadsheet.discussion.operations import CommentRejected

    with pytest.raises(CommentRejected, match="The comment is empty"):
        post_comment(article=article, author=kestrel, body="   ")
    assert not LiveEvent.objects.exists()
    assert not Comment.objects.exists()


def test_comment_withdrawn_carries_placement_and_no_words(article, kestrel):
    comment = post_comment(article=article, author=kestrel, body="Soon held again")
    assert events.comment_withdrawn(comment) == {
        "type": "comment.withdrawn",
        "number": 1,
        "parent": None,
        "thread": 1,
        "path": comment.path,
        "author": "kestrel-7",
    }
