"""Notifications' writes: telling readers, their choices, and the e-mail outbox.

Everything here runs in the task worker except the reader's own choices and
marking things read: publishing a comment only queues it (one small row, in the
comment's transaction), so notifications cost a post nothing it would wait for.
"""

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.db.models.functions import Lower
from django.utils import timezone

from broadsheet.discussion.models import Comment
from broadsheet.live.publishing import announce_reader_change, publish_to_reader
from broadsheet.notifications import events
from broadsheet.notifications.detection import readers_concerned_by_each
from broadsheet.notifications.emails import render_notification_email
from broadsheet.notifications.models import (
    Cadence,
    Following,
    Kind,
    Mailbox,
    Notification,
    NotificationSettings,
    OutboxMessage,
    QueuedComment,
)
from broadsheet.notifications.queries import STILL_VISIBLE, count_unread_for, default_settings
from broadsheet.prepared import insert_row
from broadsheet.readers.models import Reader

# --- the reader's choices ------------------------------------------------------------


def change_notification_settings(
    *,
    reader: Reader,
    site_kinds: Iterable[str],
    email_kinds: Iterable[str],
    cadence: str,
    language: str,
) -> NotificationSettings:
    known = set(Kind.values)
    chosen, _created = NotificationSettings.objects.update_or_create(
        reader=reader,
        defaults={
            "site_kinds": sorted(set(site_kinds) & known),
            "email_kinds": sorted(set(email_kinds) & known),
            "cadence": cadence if cadence in Cadence.values else Cadence.SOON,
            "language": language if language in dict(settings.LANGUAGES) else "en",
        },
    )
    return chosen


def unsubscribe_from_email(*, reader: Reader) -> NotificationSettings:
    """No more notification e-mail for this reader (the one-click unsubscribe);
    what waits to be e-mailed is dropped too."""
    with transaction.atomic():
        current = NotificationSettings.objects.select_for_update().filter(reader=reader).first()
        if current is None:
            current = default_settings(reader)
        current.email_kinds = []
        current.save()
        Notification.objects.filter(recipient=reader, email=Notification.Email.WAITING).update(
            email=Notification.Email.NOT_WANTED
        )
    return current


def follow_discussion(*, reader: Reader, article) -> None:
    """Follow `article`'s discussion (idempotent)."""
    Following.objects.get_or_create(reader=reader, article=article)
    announce_reader_change(reader_id=reader.pk)  # the layer's follow button


def unfollow_discussion(*, reader: Reader, article) -> None:
    """Stop following `article`'s discussion (idempotent)."""
    Following.objects.filter(reader=reader, article=article).delete()
    announce_reader_change(reader_id=reader.pk)


# --- telling readers -------------------------------------------------------------------


def _settings_by_reader(reader_ids: Iterable[int]) -> dict[int, NotificationSettings]:
    readers = Reader.objects.filter(pk__in=list(reader_ids), is_active=True)
    chosen = {s.reader_id: s for s in NotificationSettings.objects.filter(reader__in=readers)}
    return {reader.pk: chosen.get(reader.pk) or default_settings(reader) for reader in readers}


def _email_due(choice: NotificationSettings, now: datetime, waiting_since: datetime | None):
    """When the e-mail with a notification made `now` goes out."""
    if choice.cadence == Cadence.SOON:
        # Joins a message already waiting: several replies, one e-mail.
        due = now + timedelta(seconds=settings.BROADSHEET_NOTIFICATION_EMAIL_DELAY_SECONDS)
        return min(due, waiting_since) if waiting_since else due
    local = timezone.localtime(now, ZoneInfo(settings.TIME_ZONE))
    if choice.cadence == Cadence.HOURLY:
        return local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    due = local.replace(hour=settings.BROADSHEET_DIGEST_HOUR, minute=0, second=0, microsecond=0)
    return due if due > local else due + timedelta(days=1)


def _tell(
    *,
    concerned: list[tuple[Comment, dict[int, str]]],
    decision: str = "",
    now: datetime | None = None,
    then_delete: list[int] | None = None,
    schedule: Callable[[list[Notification]], None] | None = None,
) -> list[Notification]:
    """Store the notifications of several comments at once (once each, whatever
    the retries), give each e-mail its due time and tell open pages; returns the
    ones made now. A few queries for the whole batch, all reads first: the write
    transaction (and on SQLite the write lock that posting needs) lasts only for
    the inserts, deleting the `then_delete` rows of the queue, and `schedule`
    (the caller's: enqueueing the e-mail tasks, so they commit with the rows)."""
    now = now or timezone.now()
    chosen = _settings_by_reader({r for _comment, kinds in concerned for r in kinds})
    may_email = set(
        Reader.objects.may_receive_email()
        .filter(pk__in=list(chosen))
        # Mailbox addresses are kept lower-case, as refusals recorded them.
        .annotate(address=Lower("email"))
        .exclude(address__in=Mailbox.objects.filter(suppressed_at__isnull=False).values("address"))
        .values_list("pk", flat=True)
    )
    due_by_reader = dict(
        Notification.objects.filter(recipient__in=list(may_email), email=Notification.Email.WAITING)
        .values("recipient")
        .annotate(first_due=Min("email_due_at"))
        .values_list("recipient", "first_due")
    )
    already = set(
        Notification.objects.filter(
            comment__in=[comment.pk for comment, _kinds in concerned],
            decision=decision,
            recipient__in=list(chosen),
        ).values_list("comment_id", "recipient_id")
    )
    made: list[Notification] = []
    for comment, kinds in concerned:
        for reader_id, kind in kinds.items():
            choice = chosen.get(reader_id)
            if choice is None or (comment.pk, reader_id) in already:
                continue  # gone or deactivated, or told by an earlier try
            in_site = kind in choice.site_kinds
            by_email = kind in choice.email_kinds and reader_id in may_email
            if not (in_site or by_email):
                continue
            due = None
            if by_email:
                due = _email_due(choice, now, due_by_reader.get(reader_id))
                due_by_reader[reader_id] = due  # the next one joins this e-mail
            made.append(
                Notification(
                    recipient_id=reader_id,
                    kind=kind,
                    comment=comment,
                    decision=decision,
                    in_site=in_site,
                    created_at=now,
                    email=Notification.Email.WAITING if by_email else Notification.Email.NOT_WANTED,
                    email_due_at=due,
                )
            )
    with transaction.atomic():
        # The unique constraint has the last word over a racing worker's batch.
        Notification.objects.bulk_create(made, ignore_conflicts=True)
        if then_delete:
            QueuedComment.objects.filter(pk__in=then_delete).delete()
        if schedule is not None:
            schedule(made)
        transaction.on_commit(lambda: _announce([n for n in made if n.in_site]))
    return made


def _announce(made: list[Notification]) -> None:
    """Tell each reader's open pages, which add one to the count they show: no
    query per reader told."""
    for notification in made:
        publish_to_reader(
            reader_id=notification.recipient_id,
            event=events.notification_created(notification, notification.comment),
        )


def queue_comment_for_notifications(*, comment: Comment) -> None:
    """Called in the transaction that publishes `comment` (a post, an approval):
    whoever it concerns is told by the worker, in a batch, after it commits."""
    insert_row(QueuedComment(comment=comment))


def notify_about_queued_comments(
    *,
    schedule: Callable[[list[Notification]], None] | None = None,
    limit: int = 500,
    now: datetime | None = None,
) -> int:
    """Tell readers of the comments queued for it, up to `limit` of them; returns
    how many it took off the queue (0: it was empty). `schedule` runs in the
    transaction that stores the notifications (see _tell)."""
    queued = list(QueuedComment.objects.order_by("id").values_list("pk", "comment_id")[:limit])
    if not queued:
        return 0
    # A comment no longer public (deleted, rejected, held again) tells no one.
    comments = list(
        Comment.objects.select_related("article").filter(
            pk__in=[comment_id for _pk, comment_id in queued],
            status=Comment.Status.VISIBLE,
            deleted_at__isnull=True,
        )
    )
    concerned = readers_concerned_by_each(comments)
    _tell(
        concerned=[(c, concerned[c.pk]) for c in comments],
        now=now,
        then_delete=[pk for pk, _comment_id in queued],
        schedule=schedule,
    )
    return len(queued)


def notify_about_decision(
    *,
    comment_id: int,
    decision: str,
    schedule: Callable[[list[Notification]], None] | None = None,
    now: datetime | None = None,
) -> list[Notification]:
    """Tell a comment's author a moderator approved or rejected it."""
    comment = Comment.objects.select_related("article").filter(pk=comment_id).first()
    if comment is None:
        return []
    return _tell(
        concerned=[(comment, {comment.author_id: Kind.DECISION})],
        decision=decision,
        now=now,
        schedule=schedule,
    )


def withdraw_notifications_about(*, comment: Comment) -> None:
    """A comment left the public page (deleted, rejected, held): what told readers
    of it goes, e-mail not yet sent included. A decision for its author stays."""
    Notification.objects.filter(comment=comment).exclude(kind=Kind.DECISION).delete()


def mark_notifications_read(
    *, reader: Reader, ids: Iterable[int] | None = None, now: datetime | None = None
) -> int:
    """Mark the reader's notifications read (those of `ids`, or all): read on the
    site, they are not e-mailed any more."""
    unread = Notification.objects.filter(recipient=reader, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    marked = unread.update(read_at=now or timezone.now())
    if marked:
        _skip_waiting_email(reader)
        publish_to_reader(
            reader_id=reader.pk,
            event=events.notifications_read(unread=count_unread_for(reader)),
        )
    return marked


def mark_seen_on_page(
    *, reader: Reader, article_id: int, numbers: Iterable[int], now: datetime | None = None
) -> int:
    """The reader's open page showed these comments live: they are read, and no
    e-mail will tell of them."""
    now = now or timezone.now()
    numbers = [n for n in numbers if isinstance(n, int)][:100]
    seen = Notification.objects.filter(
        recipient=reader,
        comment__article_id=article_id,
        comment__number__in=numbers,
        read_at__isnull=True,
    )
    marked = seen.update(read_at=now, seen_live_at=now)
    if marked:
        _skip_waiting_email(reader)
        publish_to_reader(
            reader_id=reader.pk,
            event=events.notifications_read(unread=count_unread_for(reader)),
        )
    return marked


def _skip_waiting_email(reader: Reader) -> None:
    Notification.objects.filter(
        recipient=reader, email=Notification.Email.WAITING, read_at__isnull=False
    ).update(email=Notification.Email.SKIPPED)


# --- the outbox --------------------------------------------------------------------------


def compose_notification_email(
    *, reader_id: int, now: datetime | None = None
) -> OutboxMessage | None:
    """Put the reader's due notifications into one e-mail in the outbox; returns
    it, or None when nothing is due (seen meanwhile, or sent by an earlier run).
    The caller enqueues its delivery in the same transaction."""
    now = now or timezone.now()
    reader = Reader.objects.filter(pk=reader_id).first()
    with transaction.atomic():
        due = list(
            Notification.objects.select_for_update()
            .filter(
                recipient_id=reader_id,
                email=Notification.Email.WAITING,
                email_due_at__lte=now,
            )
            .order_by("created_at", "id")
        )
        if not due:
            return None
        ids = [n.pk for n in due]
        keep = list(
            Notification.objects.filter(pk__in=ids, read_at__isnull=True)
            .filter(STILL_VISIBLE)
            .select_related("comment__article", "comment__author")
            .order_by("created_at", "id")
        )
        suppressed = (
            reader is None
            or not reader.may_receive_email
            or Mailbox.objects.filter(
                address=reader.email.lower(), suppressed_at__isnull=False
            ).exists()
        )
        if suppressed or not keep:
            Notification.objects.filter(pk__in=ids).update(email=Notification.Email.SKIPPED)
            return None
        choice = NotificationSettings.objects.filter(reader=reader).first() or default_settings(
            reader
        )
        rendered = render_notification_email(reader=reader, notifications=keep, choice=choice)
        message = OutboxMessage.objects.create(
            reader=reader,
            to=reader.email,
            subject=rendered.subject,
            text_body=rendered.text,
            html_body=rendered.html,
            headers=rendered.headers,
            created_at=now,
        )
        kept = [n.pk for n in keep]
        Notification.objects.filter(pk__in=kept).update(
            email=Notification.Email.EMAILED, email_message=message
        )
        Notification.objects.filter(pk__in=set(ids) - set(kept)).update(
            email=Notification.Email.SKIPPED
        )
    return message


def claim_outbox_message(*, message_id: int) -> OutboxMessage | None:
    """Mark a pending message as being sent, committed before anything is sent:
    only one attempt ever holds it, and an interrupted one is never repeated."""
    claimed = OutboxMessage.objects.filter(pk=message_id, state=OutboxMessage.State.PENDING).update(
        state=OutboxMessage.State.SENDING
    )
    if not claimed:
        return None
    message = OutboxMessage.objects.get(pk=message_id)
    message.attempts += 1
    message.save(update_fields=["attempts"])
    return message


def record_sent(*, message: OutboxMessage, now: datetime | None = None) -> None:
    message.state = OutboxMessage.State.SENT
    message.sent_at = now or timezone.now()
    message.last_error = ""
    message.save(update_fields=["state", "sent_at", "last_error"])
    Mailbox.objects.filter(address=message.to.lower(), suppressed_at__isnull=True).update(
        failures=0
    )


def record_temporary_failure(*, message: OutboxMessage, error: str, final: bool) -> None:
    """The server could not take it now: pending again for the next attempt, or
    failed when that was the last."""
    message.state = OutboxMessage.State.FAILED if final else OutboxMessage.State.PENDING
    message.last_error = error[:500]
    message.save(update_fields=["state", "last_error"])


def record_refusal(*, message: OutboxMessage, error: str, now: datetime | None = None) -> Mailbox:
    """The server refused the address for good: the message failed, and after
    BROADSHEET_EMAIL_FAILURES_BEFORE_SUPPRESSION refusals the address gets no
    more mail from us."""
    message.state = OutboxMessage.State.FAILED
    message.last_error = error[:500]
    message.save(update_fields=["state", "last_error"])
    with transaction.atomic():
        mailbox, _created = Mailbox.objects.select_for_update().get_or_create(
            address=message.to.lower()
        )
        mailbox.failures += 1
        mailbox.last_failure = error[:500]
        if (
            mailbox.suppressed_at is None
            and mailbox.failures >= settings.BROADSHEET_EMAIL_FAILURES_BEFORE_SUPPRESSION
        ):
            mailbox.suppressed_at = now or timezone.now()
        mailbox.save()
    return mailbox
