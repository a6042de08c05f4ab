"""Write operations of webhooks: endpoints, their secrets, the deliveries owed to
them and the record of every attempt. The only code that writes these rows; the
admin, the API and the worker's task call it.

An event becomes deliveries inside the transaction of the operation that caused
it (a comment posted, a reader banned): one delivery row per subscribed endpoint
here, and one task row to send it (tasks.py, which enqueues in the same
transaction), so a rolled-back post sends nothing and a committed one is never
lost. When no endpoint subscribes to the event this costs no query:
which events have an endpoint is kept in Django's cache (shared through Redis),
dropped whenever an endpoint changes.
"""

import base64
import json
import secrets
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from broadsheet.integrations.webhooks import events as payloads
from broadsheet.integrations.webhooks.models import (
    DESCRIPTION_MAX_LENGTH,
    EVENT_TYPES,
    PING_EVENT,
    URL_MAX_LENGTH,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from broadsheet.integrations.webhooks.sending import Outcome

SUBSCRIBED_EVENTS_KEY = "webhooks:subscribed-events"


class EndpointRefused(ValueError):
    """The endpoint cannot be saved; the message is written for the editor."""


def new_secret() -> str:
    """A signing secret in Standard Webhooks' form: `whsec_` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


def check_endpoint_url(url: str) -> str:
    """The URL, stripped, if webhooks may be sent to it; EndpointRefused if not.

    An editor (trusted staff) types it, but it is still a door to the network the
    site runs in: only http and https, no user name or password (they would be
    sent to, and logged by, whoever answers), bounded in length. Where it leads
    is checked again at each send (sending.py), since a name can change address."""
    url = url.strip()
    if not url:
        raise EndpointRefused(_("Give the endpoint's URL."))
    if len(url) > URL_MAX_LENGTH:
        raise EndpointRefused(
            _("A URL is at most %(limit)d characters.") % {"limit": URL_MAX_LENGTH}
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise EndpointRefused(_("The URL must be a full http:// or https:// address.")) from None
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise EndpointRefused(_("Leave the user name and password out of the URL."))
    return url


def check_event_types(event_types: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(event_types))
    unknown = [name for name in chosen if name not in EVENT_TYPES]
    if unknown:
        raise EndpointRefused(
            _("Unknown events: %(names)s.") % {"names": ", ".join(sorted(unknown))[:200]}
        )
    if not chosen:
        raise EndpointRefused(_("Choose at least one event."))
    return [name for name in EVENT_TYPES if name in chosen]


def _description(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > DESCRIPTION_MAX_LENGTH:
        raise EndpointRefused(
            _("A description is at most %(limit)d characters.") % {"limit": DESCRIPTION_MAX_LENGTH}
        )
    return text


def _forget_subscriptions() -> None:
    # Now (this transaction's own later posts see the change) and again after the
    # commit (another request may have cached the old state in between).
    cache.delete(SUBSCRIBED_EVENTS_KEY)
    transaction.on_commit(lambda: cache.delete(SUBSCRIBED_EVENTS_KEY))


@transaction.atomic
def create_webhook_endpoint(
    *, url: str, events: Iterable[str], description: str = "", active: bool = True, created_by
) -> WebhookEndpoint:
    """Register an endpoint, with a new secret the editor gives its receiver."""
    endpoint = WebhookEndpoint.objects.create(
        url=check_endpoint_url(url),
        events=check_event_types(events),
        description=_description(description),
        active=active,
        secret=new_secret(),
        created_by=created_by,
    )
    _forget_subscriptions()
    return endpoint


@transaction.atomic
def update_webhook_endpoint(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: Iterable[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint's URL, events, description or switch it on or off; switching
    it on again starts its count of failures afresh."""
    fields = []
    if url is not None:
        endpoint.url = check_endpoint_url(url)
        fields.append("url")
    if events is not None:
        endpoint.events = check_event_types(events)
        fields.append("events")
    if description is not None:
        endpoint.description = _description(description)
        fields.append("description")
    if active is not None and active != endpoint.active:
        endpoint.active = active
        fields.append("active")
        if active:
            endpoint.consecutive_failures = 0
            endpoint.disabled_at = None
            fields += ["consecutive_failures", "disabled_at"]
    if fields:
        endpoint.save(update_fields=fields)
        _forget_subscriptions()
    return endpoint


@transaction.atomic
def delete_webhook_endpoint(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint with its deliveries and their log."""
    endpoint.delete()
    _forget_subscriptions()


@transaction.atomic
def rotate_webhook_secret(
    *, endpoint: WebhookEndpoint, now: datetime | None = None
) -> WebhookEndpoint:
    """Give the endpoint a new secret; for BROADSHEET_WEBHOOK_OLD_SECRET_HOURS messages
    are signed with the old one too, so its receiver can switch without a gap."""
    now = now or timezone.now()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = now + timedelta(
        hours=settings.BROADSHEET_WEBHOOK_OLD_SECRET_HOURS
    )
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return endpoint


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets a message to this endpoint is signed with now."""
    keep_old = (
        endpoint.previous_secret
        and endpoint.previous_secret_until is not None
        and endpoint.previous_secret_until > now
    )
    return [endpoint.secret, endpoint.previous_secret] if keep_old else [endpoint.secret]


def subscribed_event_types() -> frozenset[str]:
    """The events some active endpoint subscribes to: from the cache, so a post
    costs no query when webhooks are not used (one query after a change)."""
    known = cache.get(SUBSCRIBED_EVENTS_KEY)
    if known is None:
        known = frozenset(
            name
            for events in WebhookEndpoint.objects.filter(active=True).values_list(
                "events", flat=True
            )
            for name in events
        )
        cache.set(SUBSCRIBED_EVENTS_KEY, known, settings.BROADSHEET_WEBHOOK_ENDPOINTS_CACHE_SECONDS)
    return known


def _encode(message: dict) -> str:
    # ASCII only: the bytes signed are the bytes sent, whatever anyone's encoding.
    return json.dumps(message, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=True)


def owe_event(*, event_type: str, build: Callable[[], dict], comment=None) -> list[WebhookDelivery]:
    """Owe this event to each active endpoint that subscribes to it: a delivery each,
    in the caller's transaction (the caller queues their sending in it too).
    `build()` makes the message, called only when someone will receive it;
    `comment`, when the message carries its words (sent only while it is public)."""
    if event_type not in subscribed_event_types():
        return []
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(active=True).only("pk", "events")
        if event_type in endpoint.events
    ]
    if not endpoints:
        return []
    body = _encode(build())
    now = timezone.now()
    return WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event_type=event_type,
            message_id=new_message_id(),
            body=body,
            next_attempt_at=now,
            created_at=now,
            comment=comment,
        )
        for endpoint in endpoints
    )


@transaction.atomic
def owe_ping(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Owe the endpoint a `webhook.ping` (whatever it subscribes to, active or not:
    an editor checking a receiver before switching it on)."""
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type=PING_EVENT,
        message_id=new_message_id(),
        body=_encode(payloads.webhook_ping(endpoint)),
        next_attempt_at=timezone.now(),
    )
    return delivery


@transaction.atomic
def owe_again(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, as a new delivery with the same message id and body
    (a receiver that got the first one can tell it is a repeat) and the whole
    retry schedule ahead of it."""
    again = WebhookDelivery.objects.create(
        endpoint_id=delivery.endpoint_id,
        event_type=delivery.event_type,
        message_id=delivery.message_id,
        body=delivery.body,
        next_attempt_at=timezone.now(),
        redelivery_of=delivery,
        comment_id=delivery.comment_id,
    )
    return again


def retry_delay(attempt: int) -> timedelta | None:
    """How long after failed attempt number `attempt` the next one is made, or None
    when it was the last (BROADSHEET_WEBHOOK_RETRY_SCHEDULE)."""
    schedule = settings.BROADSHEET_WEBHOOK_RETRY_SCHEDULE
    if attempt > len(schedule):
        return None
    return timedelta(seconds=schedule[attempt - 1])


@transaction.atomic
def record_attempt(
    *, delivery: WebhookDelivery, number: int, outcome: Outcome, now: datetime | None = None
) -> WebhookAttempt | None:
    """Record attempt `number` of a delivery and what follows from it: success; or a
    retry due at `delivery.next_attempt_at` (the caller queues it in this same
    transaction); or, after the last, failure, which counts against the endpoint
    and may switch it off. Returns None (and records nothing) when that attempt was
    recorded already (a task run twice)."""
    now = now or timezone.now()
    if outcome.succeeded:
        status, next_at = WebhookDelivery.Status.SUCCEEDED, None
    else:
        delay = retry_delay(number)
        if delay is None:
            status, next_at = WebhookDelivery.Status.FAILED, None
        else:
            status, next_at = WebhookDelivery.Status.PENDING, now + delay
    moved = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.PENDING, attempts=number - 1
    ).update(status=status, attempts=number, next_attempt_at=next_at)
    if not moved:
        return None
    attempt = WebhookAttempt.objects.create(
        delivery=delivery,
        number=number,
        attempted_at=now,
        status_code=outcome.status_code,
        response_body=outcome.response_body,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
    )
    endpoints = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
    if status == WebhookDelivery.Status.SUCCEEDED:
        endpoints.exclude(consecutive_failures=0).update(consecutive_failures=0)
    elif status == WebhookDelivery.Status.FAILED:
        endpoints.update(
            consecutive_failures=F("consecutive_failures") + 1,
            failed_deliveries=F("failed_deliveries") + 1,
        )
        switched_off = endpoints.filter(
            active=True,
            consecutive_failures__gte=settings.BROADSHEET_WEBHOOK_FAILURES_BEFORE_DISABLING,
        ).update(active=False, disabled_at=now)
        if switched_off:
            _forget_subscriptions()
    delivery.status, delivery.attempts, delivery.next_attempt_at = status, number, next_at
    return attempt


@transaction.atomic
def abandon_delivery(*, delivery: WebhookDelivery, reason: str) -> bool:
    """Mark a pending delivery failed without sending it (its endpoint was switched
    off); it does not count against the endpoint again."""
    abandoned = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.PENDING
    ).update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
    if abandoned:
        WebhookAttempt.objects.create(
            delivery=delivery, number=delivery.attempts + 1, error=reason[:500]
        )
    return bool(abandoned)
