"""What each webhook says (the shapes pinned), and that a comment's words leave
only while the comment is public: a held, withdrawn, rejected or deleted
comment's text reaches no endpoint, whatever it subscribes to."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from broadsheet.discussion.models import Discussion
from broadsheet.discussion.operations import delete_comment, edit_comment
from broadsheet.integrations.webhooks.models import EVENT_TYPES, WebhookDelivery
from broadsheet.moderation.operations import (
    approve_comment,
    ban_reader,
    reject_comment,
    set_discussion_mode,
    suspend_reader,
)

pytestmark = pytest.mark.django_db
NOW = "2026-06-20T14:30:00Z"


@pytest.fixture
def everything(make_endpoint):
    """An endpoint subscribed to every event (its URL is never called here)."""
    return make_endpoint("https://hooks.example/in", events=list(EVENT_TYPES))


def sent() -> list[dict]:
    return [json.loads(d.body) for d in WebhookDelivery.objects.order_by("pk")]


def types() -> list[str]:
    return [message["type"] for message in sent()]


ARTICLE = {
    "slug": "the-last-ferry",
    "title": "The last ferry keeps running",
    "url": "https://news.example/articles/the-last-ferry/",
    "language": "en",
}
ANNA = {"handle": "kestrel-7", "display_name": "Anna Petrova"}
MARIA = {"handle": "mod-1", "display_name": "Maria Moderator"}


def public_comment(number=1, parent=None, html="<p>The ferry is late.</p>", edited=None):
    return {
        "number": number,
        "parent": parent,
        "url": f"https://news.example/articles/the-last-ferry/comments/{number}/",
        "author": ANNA,
        "html": html,
        "language": "en",
        "created_at": NOW,
        "edited_at": edited,
    }


@time_machine.travel(NOW, tick=False)
def test_comment_posted(everything, article, kestrel, make_comment):
    make_comment(article, kestrel, "The ferry is late.")
    assert sent() == [
        {
            "type": "comment.posted",
            "timestamp": NOW,
            "data": {"article": ARTICLE, "comment": public_comment()},
        }
    ]


@time_machine.travel(NOW, tick=False)
def test_a_reply_names_its_parent(everything, article, kestrel, make_comment):
    first = make_comment(article, kestrel, "The ferry is late.")
    make_comment(article, kestrel, "Still late.", parent=first)
    assert sent()[1]["data"]["comment"] == public_comment(2, 1, "<p>Still late.</p>")


@time_machine.travel(NOW, tick=False)
def test_comment_edited_and_deleted(everything, article, kestrel, make_comment):
    comment = make_comment(article, kestrel, "The ferry is late.")
    edit_comment(comment=comment, editor=kestrel, body="The ferry is very late.")
    delete_comment(comment=comment, deleter=kestrel)
    _posted, edited, deleted = sent()
    assert edited == {
        "type": "comment.edited",
        "timestamp": NOW,
        "data": {
            "article": ARTICLE,
            "comment": public_comment(html="<p>The ferry is very late.</p>", edited=NOW),
        },
    }
    assert deleted == {
        "type": "comment.deleted",
        "timestamp": NOW,
        "data": {
            "article": ARTICLE,
            "comment": {
                "number": 1,
                "parent": None,
                "url": "https://news.example/articles/the-last-ferry/comments/1/",
            },
        },
    }


@time_machine.travel(NOW, tick=False)
def test_a_held_comment_is_news_only_when_approved(
    everything, article, kestrel, moderator, make_comment
):
    set_discussion_mode(article=article, editor=moderator, mode=Discussion.Mode.PREMODERATED)
    comment = make_comment(article, kestrel, "The ferry is late.")
    assert comment.is_pending
    assert sent() == []  # held: no endpoint hears of it, not even its number

    approve_comment(comment=comment, moderator=moderator)
    assert sent() == [
        {
            "type": "comment.posted",
            "timestamp": NOW,
            "data": {"article": ARTICLE, "comment": public_comment()},
        },
        {
            "type": "comment.approved",
            "timestamp": NOW,
            "data": {"article": ARTICLE, "comment": public_comment(), "moderator": MARIA},
        },
    ]


@time_machine.travel(NOW, tick=False)
def test_a_rejection_carries_no_words(everything, article, kestrel, moderator, make_comment):
    comment = make_comment(article, kestrel, "The ferry is late, you secret fool.")
    reject_comment(comment=comment, moderator=moderator, reason="insult")
    _posted, withdrawn, rejected = sent()
    place = {
        "number": 1,
        "parent": None,
        "url": "https://news.example/articles/the-last-ferry/comments/1/",
    }
    assert withdrawn == {
        "type": "comment.withdrawn",
        "timestamp": NOW,
        "data": {"article": ARTICLE, "comment": place},
    }
    assert rejected == {
        "type": "comment.rejected",
        "timestamp": NOW,
        "data": {"article": ARTICLE, "comment": {**place, "author": ANNA}, "moderator": MARIA},
    }
    assert "fool" not in json.dumps([withdrawn, rejected])


def test_a_held_or_rejected_comments_words_reach_no_endpoint(
    everything, article, kestrel, moderator, make_comment, rules
):
    """Every door a comment's words could leave by, tried with a held text."""
    held = make_comment(article, kestrel, "You idiot, the ferry is late.")  # a suspect word
    assert held.is_pending
    reject_comment(comment=held, moderator=moderator, reason="insult")
    public = make_comment(article, kestrel, "The ferry is late.")
    # An edit that the rules hold takes a public comment back to the queue.
    edit_comment(comment=public, editor=kestrel, body="The ferry is late, idiot.")
    assert public.is_pending
    reject_comment(comment=public, moderator=moderator, reason="insult")
    delete_comment(comment=held, deleter=kestrel)
    everything_sent = json.dumps(sent())
    assert "idiot" not in everything_sent
    assert types() == [
        "comment.rejected",  # the held one: its number, never its words
        "comment.posted",
        "comment.withdrawn",  # held after the edit
        "comment.rejected",
    ]


def test_a_public_only_endpoint_hears_nothing_of_moderation(
    make_endpoint, article, kestrel, moderator, make_comment
):
    make_endpoint("https://hooks.example/public", events=["comment.posted"])
    set_discussion_mode(article=article, editor=moderator, mode=Discussion.Mode.PREMODERATED)
    held = make_comment(article, kestrel, "Held for now.")
    other = make_comment(article, kestrel, "Rejected soon.")
    reject_comment(comment=other, moderator=moderator, reason="off topic")
    ban_reader(reader=kestrel, moderator=moderator, reason="spam")
    assert types() == []
    approve_comment(comment=held, moderator=moderator)
    assert types() == ["comment.posted"]


@time_machine.travel(NOW, tick=False)
def test_reader_banned_and_suspended(everything, kestrel, nikolai, moderator):
    until = timezone.now() + timedelta(days=3)
    suspend_reader(reader=nikolai, moderator=moderator, until=until, reason="heat")
    ban_reader(reader=kestrel, moderator=moderator, reason="spam")
    assert sent() == [
        {
            "type": "reader.suspended",
            "timestamp": NOW,
            "data": {
                "reader": {"handle": "unc-2", "display_name": "Nikolai Malyugin"},
                "until": "2026-06-23T14:30:00Z",
                "moderator": MARIA,
            },
        },
        {
            "type": "reader.banned",
            "timestamp": NOW,
            "data": {"reader": ANNA, "moderator": MARIA},
        },
    ]


def test_imports_are_not_news(everything, article, kestrel):
    from broadsheet.discussion.operations import ImportedHistory, post_comment

    post_comment(
        article=article,
        author=kestrel,
        body="Imported from the old system.",
        history=ImportedHistory(posted_at=timezone.now() - timedelta(days=400)),
    )
    assert types() == []


def test_an_endpoint_hears_only_its_events(make_endpoint, article, kestrel, make_comment):
    posted = make_endpoint("https://hooks.example/a", events=["comment.posted"])
    edits = make_endpoint("https://hooks.example/b", events=["comment.edited"])
    comment = make_comment(article, kestrel)
    edit_comment(comment=comment, editor=kestrel, body="Changed my mind.")
    assert list(WebhookDelivery.objects.values_list("endpoint", "event_type")) == [
        (posted.pk, "comment.posted"),
        (edits.pk, "comment.edited"),
    ]
