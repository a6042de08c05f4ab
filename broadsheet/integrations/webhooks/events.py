"""What each webhook event says: one builder per event type, each returning the
message's exact shape, `{"type", "timestamp", "data"}` (tests/integrations/webhooks/
test_events.py pins them; docs/webhooks.md shows them).

Only what the article's public page shows goes out: the comment's number, its
parent's, its author's handle and display name, its rendered HTML. Events about a
comment that is not public (withdrawn, deleted, rejected) carry no words at all,
so a held or rejected comment's text never reaches any endpoint.
"""

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

Message = dict[str, Any]


def _when(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _site_url(path: str) -> str:
    return settings.BROADSHEET_SITE_URL.rstrip("/") + path


def _message(event_type: str, data: dict[str, Any], now: datetime | None) -> Message:
    return {"type": event_type, "timestamp": _when(now or timezone.now()), "data": data}


def _article(article) -> dict[str, Any]:
    return {
        "slug": article.slug,
        "title": article.title,
        "url": article.external_url or _site_url(article.get_absolute_url()),
        "language": article.language,
    }


def _person(reader) -> dict[str, Any]:
    return {"handle": reader.handle, "display_name": reader.display_name}


def _comment_place(comment) -> dict[str, Any]:
    return {
        "number": comment.number,
        "parent": comment.parent.number if comment.parent_id else None,
        "url": _site_url(comment.get_absolute_url()),
    }


def _public_comment(comment) -> dict[str, Any]:
    return {
        **_comment_place(comment),
        "author": _person(comment.author),
        "html": comment.body_html.strip(),
        "language": comment.language,
        "created_at": _when(comment.created_at),
        "edited_at": _when(comment.edited_at),
    }


def comment_posted(comment, *, now: datetime | None = None) -> Message:
    return _message(
        "comment.posted",
        {"article": _article(comment.article), "comment": _public_comment(comment)},
        now,
    )


def comment_edited(comment, *, now: datetime | None = None) -> Message:
    return _message(
        "comment.edited",
        {"article": _article(comment.article), "comment": _public_comment(comment)},
        now,
    )


def comment_deleted(comment, *, now: datetime | None = None) -> Message:
    return _message(
        "comment.deleted",
        {"article": _article(comment.article), "comment": _comment_place(comment)},
        now,
    )


def comment_withdrawn(comment, *, now: datetime | None = None) -> Message:
    return _message(
        "comment.withdrawn",
        {"article": _article(comment.article), "comment": _comment_place(comment)},
        now,
    )


def comment_approved(comment, *, moderator=None, now: datetime | None = None) -> Message:
    # Approved means public now: its words are what the page shows.
    return _message(
        "comment.approved",
        {
            "article": _article(comment.article),
            "comment": _public_comment(comment),
            "moderator": _person(moderator) if moderator is not None else None,
        },
        now,
    )


def comment_rejected(comment, *, moderator=None, now: datetime | None = None) -> Message:
    return _message(
        "comment.rejected",
        {
            "article": _article(comment.article),
            "comment": {**_comment_place(comment), "author": _person(comment.author)},
            "moderator": _person(moderator) if moderator is not None else None,
        },
        now,
    )


def reader_banned(reader, *, moderator=None, now: datetime | None = None) -> Message:
    return _message(
        "reader.banned",
        {
            "reader": _person(reader),
            "moderator": _person(moderator) if moderator is not None else None,
        },
        now,
    )


def reader_suspended(reader, *, moderator=None, now: datetime | None = None) -> Message:
    return _message(
        "reader.suspended",
        {
            "reader": _person(reader),
            "until": _when(reader.suspended_until),
            "moderator": _person(moderator) if moderator is not None else None,
        },
        now,
    )


def webhook_ping(endpoint, *, now: datetime | None = None) -> Message:
    return _message("webhook.ping", {"endpoint": {"id": endpoint.pk, "url": endpoint.url}}, now)


COMMENT_EVENTS = {
    "comment.posted": lambda comment, actor: comment_posted(comment),
    "comment.edited": lambda comment, actor: comment_edited(comment),
    "comment.deleted": lambda comment, actor: comment_deleted(comment),
    "comment.withdrawn": lambda comment, actor: comment_withdrawn(comment),
    "comment.approved": lambda comment, actor: comment_approved(comment, moderator=actor),
    "comment.rejected": lambda comment, actor: comment_rejected(comment, moderator=actor),
}
# The events whose body carries a comment's words (sent only while it is public).
CARRY_WORDS = {"comment.posted", "comment.edited", "comment.approved"}
READER_EVENTS = {
    "reader.banned": lambda reader, actor: reader_banned(reader, moderator=actor),
    "reader.suspended": lambda reader, actor: reader_suspended(reader, moderator=actor),
}
