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
from broadsheet.live.hub import PAGE_CHANGED, LiveMessage, hub
from broadsheet.live.models import LiveEvent

RETENTION = timedelta(days=1)
PRUNE_EVERY = 500


def record_event(*, article_id: int, event: Event) -> LiveEvent:
    stored = LiveEvent.objects.create(article_id=article_id, type=event["type"], data=event)
    message = LiveMessage(event=event, article=article_id, id=stored.pk)
    transaction.on_commit(lambda: hub.publish(message))
    if stored.pk % PRUNE_EVERY == 0:
        LiveEvent.objects.filter(created_at__lt=timezone.now() - RETENTION).delete()
    return stored


def announce_page_change(*, article_id: int) -> None:
    """After the commit, tell every process's page caches this article's page changed."""
    message = LiveMessage(event={"type": PAGE_CHANGED}, article=article_id)
    transaction.on_commit(lambda: hub.publish(message))


def publish_presence(reader) -> None:
    """Tell open pages how long `reader` stays Online from now (0: Offline)."""
    seconds = reader.presence_seconds_left
    message = LiveMessage(event=presence_changed({reader.handle: seconds}))
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


def latest_event_id(*, article_id: int) -> int:
    last = (
        LiveEvent.objects.filter(article_id=article_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return last or 0
