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


def _record_presence(reader: Reader, field: str, now: datetime | None) -> bool:
    """Write reader.<field> = now unless it is fresher than the write interval.

    Presence needs minute precision, not request precision: skipping the write
    while the stored time is fresh keeps a busy reader from costing a write per
    request (and, on SQLite, from queueing behind comment posts). The UPDATE only
    moves the time forward, so a slow request carrying an older time loses.
    """
    now = now or timezone.now()
    interval = timedelta(seconds=settings.BROADSHEET_PRESENCE_WRITE_INTERVAL_SECONDS)
    last = getattr(reader, field)
    if last is not None and now - last < interval:
        return False
    older = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": now})
    Reader.objects.filter(pk=reader.pk).filter(older).update(**{field: now})
    setattr(reader, field, now)
    publish_presence(reader)
    return True


def record_reader_activity(*, reader: Reader, now: datetime | None = None) -> bool:
    """Note that the reader is active now; returns whether a row was written."""
    return _record_presence(reader, "last_seen_at", now)


def record_reader_connected(*, reader: Reader, now: datetime | None = None) -> bool:
    """Note that a live connection of the reader's is open; throttled like activity."""
    return _record_presence(reader, "last_connected_at", now)


def set_appear_offline(*, reader: Reader, appear_offline: bool) -> None:
    """Let a reader hide their presence: the server then never reports them Online."""
    reader.appear_offline = appear_offline
    reader.save(update_fields=["appear_offline"])
    publish_presence(reader)
