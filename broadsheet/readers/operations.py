"""Write operations on readers. The only code that creates or changes a Reader."""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from broadsheet.live.publishing import publish_gone_offline, publish_presence
from broadsheet.readers.identity import clean_display_name
from broadsheet.readers.models import Reader, ReplyFeedKey


@transaction.atomic
def sign_up_reader(*, handle: str, display_name: str, email: str, password: str | None) -> Reader:
    """Create a reader account; the caller has validated the fields. A password of
    None is unusable (an account made in the admin without one)."""
    return Reader.objects.create_user(
        handle=handle.strip(),
        email=email.strip(),
        password=password,
        # Again here, not only in the form: no door may store a name that turns
        # the text after it around or hides characters in it.
        display_name=clean_display_name(display_name),
    )


@transaction.atomic
def create_reader_without_password(
    *, handle: str, display_name: str, email: str, date_joined: datetime | None = None
) -> Reader:
    """Create a reader nobody can sign in as: the demo's and generated sites' readers
    (and, later, the authors of imported comments). Their password is unusable, and
    a password reset is not offered to an unusable password."""
    reader = sign_up_reader(handle=handle, display_name=display_name, email=email, password=None)
    if date_joined is not None:
        reader.date_joined = date_joined
        reader.save(update_fields=["date_joined"])
    return reader


@transaction.atomic
def change_reader_details(*, reader: Reader, handle: str, display_name: str, email: str) -> Reader:
    """Change a reader's handle, display name or email (the admin's form has checked
    them); writes only what changed."""
    wanted = {
        "handle": handle.strip(),
        "display_name": clean_display_name(display_name),
        "email": email.strip(),
    }
    changed = [field for field, value in wanted.items() if getattr(reader, field) != value]
    for field in changed:
        setattr(reader, field, wanted[field])
    if changed:
        reader.save(update_fields=changed)  # with the handle's skeleton, if it changed
    return reader


def send_sign_up_attempt_notice(*, reader: Reader, sign_in_url: str, password_reset_url: str):
    """Tell a reader that someone tried to sign up with their address: the sign-up
    page says nothing about it (see readers.views), so the owner hears it here."""
    context = {
        "reader": reader,
        "site_name": settings.BROADSHEET_SITE_NAME,
        "sign_in_url": sign_in_url,
        "password_reset_url": password_reset_url,
    }
    subject = render_to_string("readers/sign_up_attempt_subject.txt", context)
    body = render_to_string("readers/sign_up_attempt_email.txt", context)
    send_mail(" ".join(subject.split()), body, None, [reader.email])


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
    # A live connection holds the reader it was opened with for hours; they may
    # have chosen to appear offline since. Ask the row, not the stale copy.
    reader.refresh_from_db(fields=["appear_offline"])
    publish_presence(reader)
    return True


def record_reader_activity(*, reader: Reader, now: datetime | None = None) -> bool:
    """Note that the reader is active now; returns whether a row was written."""
    return _record_presence(reader, "last_seen_at", now)


def record_reader_connected(*, reader: Reader, now: datetime | None = None) -> bool:
    """Note that a live connection of the reader's is open; throttled like activity."""
    return _record_presence(reader, "last_connected_at", now)


def set_appear_offline(*, reader: Reader, appear_offline: bool) -> None:
    """Let a reader hide their presence: the server then never reports them Online,
    and open pages hear of them once more, to turn them Offline."""
    changed = reader.appear_offline != appear_offline
    reader.appear_offline = appear_offline
    reader.save(update_fields=["appear_offline"])
    if not changed:
        return
    if appear_offline:
        publish_gone_offline(reader)
    else:
        publish_presence(reader)


def create_reply_feed_key(*, reader: Reader) -> ReplyFeedKey:
    """Give the reader a new address for their private replies feed; the old one,
    if any, stops working at once."""
    with transaction.atomic():
        ReplyFeedKey.objects.filter(reader=reader).delete()
        return ReplyFeedKey.objects.create(reader=reader, key_id=secrets.token_hex(8))


def revoke_reply_feed_key(*, reader: Reader) -> None:
    """Turn the reader's private replies feed off: its address answers 404."""
    ReplyFeedKey.objects.filter(reader=reader).delete()
