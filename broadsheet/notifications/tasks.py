"""Notifications' background work. Tasks take ids and are idempotent: a
notification is stored once per reader and comment, an e-mail is composed from
what is still due, and a message leaves the outbox at most once."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django_tasks import task

from broadsheet.background.retries import TryAgainLater, mail_failure_may_pass, retrying_task
from broadsheet.notifications import operations
from broadsheet.notifications.models import Notification

QUEUED_COMMENTS_PER_BATCH = 500


def _schedule_emails(made: list[Notification]) -> None:
    due = {(n.recipient_id, n.email_due_at) for n in made if n.email == Notification.Email.WAITING}
    for reader_id, due_at in sorted(due, key=lambda pair: (pair[1], pair[0])):
        send_notification_email.using(run_after=due_at).enqueue(reader_id)


def tell_readers_of_queued_comments() -> int:
    """The worker's standing duty (background.worker.register_duty): tell readers of
    the comments published since its last look, in batches; how many batches
    it took. Not a task per comment: a busy discussion's thousand replies cost a
    few queries, not a thousand task runs."""
    taken = 0
    # Another batch only when the last one was full (a backlog to drain). A
    # batch that took all there was ends the look: going on would chase the
    # comments posted meanwhile in batches of one or two, each paying the
    # batch's fixed queries and a write transaction (posting's lock), which
    # cost the worker ~0.8 ms of CPU a post under load (docs/posting.md, round 7).
    while True:
        took = operations.notify_about_queued_comments(
            schedule=_schedule_emails, limit=QUEUED_COMMENTS_PER_BATCH
        )
        if not took:
            return taken
        taken += 1
        if took < QUEUED_COMMENTS_PER_BATCH:
            return taken


@task()
def notify_about_decision(comment_id: int, decision: str) -> int:
    made = operations.notify_about_decision(
        comment_id=comment_id, decision=decision, schedule=_schedule_emails
    )
    return len(made)


@task()
def send_notification_email(reader_id: int) -> int | None:
    """Compose what is due for the reader into one e-mail (several tasks for one
    reader are harmless: the first takes everything due, the others find nothing)."""
    with transaction.atomic():
        message = operations.compose_notification_email(reader_id=reader_id)
        if message is not None:
            deliver_email.enqueue(message.pk)
    return None if message is None else message.pk


@retrying_task(queue_name="email")
def deliver_email(message_id: int, attempt: int = 1) -> str:
    message = operations.claim_outbox_message(message_id=message_id)
    if message is None:
        return "not pending"  # sent, being sent, or interrupted mid-send: never twice
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers=message.headers,
    )
    email.attach_alternative(message.html_body, "text/html")
    try:
        with get_connection(timeout=settings.BROADSHEET_EMAIL_TIMEOUT_SECONDS) as connection:
            connection.send_messages([email])
    except OSError as error:
        if not mail_failure_may_pass(error):
            operations.record_refusal(message=message, error=repr(error))
            return "refused"
        final = attempt >= settings.BROADSHEET_TASK_ATTEMPTS
        operations.record_temporary_failure(message=message, error=repr(error), final=final)
        raise TryAgainLater(repr(error)) from error
    operations.record_sent(message=message)
    return "sent"
