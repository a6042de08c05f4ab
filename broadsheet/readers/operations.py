"""Write operations on readers. The only code that creates or changes a Reader."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from broadsheet.live.publishing import publish_presence
from broadsheet.readers.models import Reader


@transaction.atomic
def sign_up_reader(*, handle: str, display_name: str, email: str, password: str) -> Reader:
    """Create a reader account; the caller has validated the fields."""
    return Reader.objects.create_user(
        handle=handle.strip(),
        email=email.strip(),
        password=password,
        display_name=display_name.strip(),
    )


def record_reader_activity(*, reader: Reader, now: datetime | None = None) -> bool:
    """Note that the reader is active now; returns whether a row was written.

    Presence needs minute precision, not request precision: skipping the write
    while the stored time is fresh keeps a busy reader from costing a write per
    request (and, on SQLite, from queueing behind comment posts).
    """
    now = now or timezone.now()
    interval = timedelta(seconds=settings.BROADSHEET_PRESENCE_WRITE_INTERVAL_SECONDS)
    if reader.last_seen_at is not None and now - reader.last_seen_at < interval:
        return False
    # Newest time wins: a slower request carrying an older time changes nothing.
    Reader.objects.filter(pk=reader.pk).filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now)
    ).update(last_seen_at=now)
    reader.last_seen_at = now
    publish_presence(reader)
    return True


def record_reader_connected(*, reader: Reader, now: datetime | None = None) -> bool:
    """Note that a live connection of the reader's is open; throttled like activity."""
    now = now or timezone.now()
    interval = timedelta(seconds=settings.BROADSHEET_PRESENCE_WRITE_INTERVAL_SECONDS)
    if reader.last_connected_at is not None and now - reader.last_connected_at < interval:
        return False
    Reader.objects.filter(pk=reader.pk).filter(
        Q(last_connected_at__isnull=True) | Q(last_connected_at__lt=now)
    ).update(last_connected_at=now)
    reader.last_connected_at = now
    publish_presence(reader)
    return True


def set_appear_offline(*, reader: Reader, appear_offline: bool) -> None:
    """Let a reader hide their presence: the server then never reports them Online."""
    reader.appear_offline = appear_offline
    reader.save(update_fields=["appear_offline"])
    publish_presence(reader)
