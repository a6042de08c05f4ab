"""How write operations announce their changes.

`record_event` is called inside the write operation's transaction: the event
row commits (or rolls back) with the change it describes, and only after the
commit is it sent to open pages. A page that was disconnected at that moment
finds the event in the table when it resumes.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from broadsheet.live.events import Event, presence_changed
from broadsheet.live.hub import PAGE_CHANGED, READER_CHANGED, LiveMessage, hub
from broadsheet.live.models import LiveEvent
from broadsheet.prepared import insert_row, prepared_rows

RETENTION = timedelta(days=1)
PRUNE_EVERY = 500
# The events that carry a comment's words (its HTML). The others about a comment
# carry its placeholder (comment.deleted, comment.removed) or numbers only.
EVENTS_WITH_TEXT = ("comment.posted", "comment.edited")


def record_event(*, article_id: int, event: Event) -> LiveEvent:
    number = event.get("number") if event["type"].startswith("comment.") else None
    stored = LiveEvent(article_id=article_id, type=event["type"], data=event, comment_number=number)
    insert_row(stored)
    message = LiveMessage(event=event, article=article_id, id=stored.pk)
    transaction.on_commit(lambda: hub.publish(message))
    if stored.pk % PRUNE_EVERY == 0:
        LiveEvent.objects.filter(created_at__lt=timezone.now() - RETENTION).delete()
    return stored


def erase_comment_from_events(*, article_id: int, number: int) -> int:
    """Delete the stored events that carry comment `number`'s words; returns how many.

    Called inside the transaction that deletes or rejects the comment: a page
    resuming later (`Last-Event-ID`, `?after=0`) must not be handed words that
    are gone from the page. The comment.deleted or comment.removed event tells
    pages what took their place; a page that never saw the comment simply
    never sees it, as a reload would not show it either.
    """
    erased, _ = LiveEvent.objects.filter(
        article_id=article_id, comment_number=number, type__in=EVENTS_WITH_TEXT
    ).delete()
    return erased


def drop_comment_events(*, article_id: int, numbers: list[int]) -> int:
    """Delete every stored event about these comments, whatever it carries (its
    words, its author's name on a placeholder); returns how many. For an erased
    account: a page resuming from before the erasure must not be handed them."""
    dropped, _ = LiveEvent.objects.filter(
        article_id=article_id, comment_number__in=numbers
    ).delete()
    return dropped


def announce_page_change(*, article_id: int) -> None:
    """After the commit, tell every process's page caches this article's page changed."""
    message = LiveMessage(event={"type": PAGE_CHANGED}, article=article_id)
    transaction.on_commit(lambda: hub.publish(message))


def announce_reader_change(*, reader_id: int) -> None:
    """After the commit, tell every process's front cache that what this reader's
    personal layers show changed (a session ended, settings, role, ban)."""
    message = LiveMessage(event={"type": READER_CHANGED}, reader=reader_id)
    transaction.on_commit(lambda: hub.publish(message))


def publish_presence(reader) -> None:
    """Tell open pages how long `reader` stays Online from now; nothing at all for
    a reader who appears offline.

    Not even an Offline: one sent each time such a reader is active would tell
    every open page when they are (issue 10, point 7).
    """
    if reader.appear_offline:
        return
    _publish_seconds_left(reader.handle, reader.presence_seconds_left)


def publish_gone_offline(reader) -> None:
    """Tell open pages `reader` is Offline now: the one presence event a reader who
    chose to appear offline sends, as they choose it."""
    _publish_seconds_left(reader.handle, 0)


def _publish_seconds_left(handle: str, seconds: int) -> None:
    message = LiveMessage(event=presence_changed({handle: seconds}))
    transaction.on_commit(lambda: hub.publish(message))


def publish_to_reader(*, reader_id: int, event: Event) -> None:
    """After the commit, send `event` to `reader_id`'s own open pages only.

    Private events are not stored: a page that was away gets the current state
    when it loads (what it is about, a notification count, is in the page)."""
    message = LiveMessage(event=event, reader=reader_id)
    transaction.on_commit(lambda: hub.publish(message))


def list_events_after(*, article_id: int, after: int) -> list[LiveEvent] | None:
    """The events a page missed since event `after`, or None if too many to replay."""
    limit = settings.BROADSHEET_LIVE_RESUME_LIMIT
    events = list(
        LiveEvent.objects.filter(article_id=article_id, id__gt=after).order_by("id")[: limit + 1]
    )
    if len(events) > limit:
        return None
    oldest_kept = timezone.now() - RETENTION
    if events and events[0].created_at < oldest_kept:
        return None
    return events


def _latest_event_query(*, article_id: int):
    return LiveEvent.objects.filter(article_id=article_id).order_by("-id").values_list("id")[:1]


def latest_event_id(*, article_id: int) -> int:
    """The id of the article's newest live event, 0 if none: a page's cache key and
    where its live stream starts (read on every page rendered, so prepared)."""
    rows = prepared_rows(_latest_event_query, values={"article_id": article_id})
    return rows[0][0] if rows else 0
