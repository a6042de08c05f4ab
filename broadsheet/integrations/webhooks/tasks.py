"""The worker's side of webhooks: sending a delivery, and queueing the sending of
new ones in the transaction that owes them.

Retries are webhooks' own rather than background's `retrying_task`: their state
(attempts, next attempt, the endpoint's failures) lives on the delivery row, which
the admin shows and a re-send starts afresh, and their schedule is
BROADSHEET_WEBHOOK_RETRY_SCHEDULE. Each attempt's record and the task for the
next one commit together, so a retry is never lost nor made twice.
"""

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from broadsheet.articles.models import Article
from broadsheet.discussion.models import Comment
from broadsheet.integrations.webhooks import events as payloads
from broadsheet.integrations.webhooks import operations, sending
from broadsheet.integrations.webhooks.models import WebhookDelivery, WebhookEndpoint


@task(queue_name="webhooks")
def send_webhook(delivery_id: int, number: int) -> str:
    """Make attempt `number` of a delivery (its POST, then its record)."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if (
        delivery is None
        or delivery.status != WebhookDelivery.Status.PENDING
        or delivery.attempts != number - 1
    ):
        return "done already"
    endpoint = delivery.endpoint
    if not endpoint.active and delivery.event_type != "webhook.ping":
        operations.abandon_delivery(delivery=delivery, reason="endpoint switched off")
        return "endpoint switched off"
    if delivery.comment_id is not None and not _still_public(delivery.comment_id):
        operations.abandon_delivery(delivery=delivery, reason="the comment is no longer public")
        return "no longer public"
    now = timezone.now()
    outcome = sending.post(
        url=endpoint.url,
        body=delivery.body,
        message_id=delivery.message_id,
        timestamp=now,
        secrets=operations.signing_secrets(endpoint, now),
    )
    with transaction.atomic():
        recorded = operations.record_attempt(delivery=delivery, number=number, outcome=outcome)
        if recorded is not None and delivery.status == WebhookDelivery.Status.PENDING:
            send_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk, number + 1)
    return delivery.status


def _still_public(comment_id: int) -> bool:
    return (
        Comment.objects.live()
        .filter(pk=comment_id, article__in=Article.objects.published())
        .exists()
    )


def _send_soon(deliveries: list[WebhookDelivery]) -> None:
    for delivery in deliveries:
        send_webhook.enqueue(delivery.pk, 1)


def enqueue_event(*, event_type: str, build, comment=None) -> list[WebhookDelivery]:
    """Owe an event to its subscribers and queue its sending, in the caller's
    transaction; nothing, and no query, when no endpoint subscribes to it."""
    # No savepoint: inside a post's transaction this joins it, at no extra query.
    with transaction.atomic(savepoint=False):
        deliveries = operations.owe_event(event_type=event_type, build=build, comment=comment)
        _send_soon(deliveries)
    return deliveries


def hear_comment_change(*, event: str, comment, actor=None, **_rest) -> None:
    """discussion's `comment_changed` hook: the comment events, as webhooks."""
    build = payloads.COMMENT_EVENTS.get(event)
    if build is not None and event in operations.subscribed_event_types():
        enqueue_event(
            event_type=event,
            build=lambda: build(comment, actor),
            comment=comment if event in payloads.CARRY_WORDS else None,
        )


def hear_reader_restriction(*, event: str, reader, actor=None, **_rest) -> None:
    """moderation's `reader_restricted` hook: bans and suspensions, as webhooks."""
    build = payloads.READER_EVENTS.get(event)
    if build is not None and event in operations.subscribed_event_types():
        enqueue_event(event_type=event, build=lambda: build(reader, actor))


def send_test_ping(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a `webhook.ping` to one endpoint (the admin's and the API's button)."""
    with transaction.atomic():
        delivery = operations.owe_ping(endpoint=endpoint)
        _send_soon([delivery])
    return delivery


def redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue a delivery again: a new one, same message id and body, full schedule."""
    with transaction.atomic():
        again = operations.owe_again(delivery=delivery)
        _send_soon([again])
    return again
