"""The API's own writes: Idempotency-Key rows (docs/adr/0013-json-api.md).

The only rows the API writes itself; everything a reader sees (comments, votes,
reports, decisions) is written by the feature apps' operations. How the three
steps keep a comment and its key's answer together: see idempotency.py.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from broadsheet.integrations.api.problems import ApiProblem, FieldError
from broadsheet.integrations.models import IdempotencyKey

# How long a claimed key may stay in flight before another request may take it
# over: well past any request's time (the proxy's and the server's timeouts).
LEASE = timedelta(minutes=2)
SWEEP_BATCH = 1000


@dataclass(frozen=True)
class Answer:
    """What an endpoint answered: stored under its key, replayed to a retry."""

    status: int
    body: dict


def _conflict() -> ApiProblem:
    return ApiProblem(
        409,
        _("A request with this Idempotency-Key is still being answered; try again shortly."),
        [FieldError("", "in_flight", _("The first request with this key has not finished."))],
        headers={"Retry-After": "1"},
    )


def _mismatch() -> ApiProblem:
    return ApiProblem(
        422,
        _("This Idempotency-Key was used with a different request."),
        [FieldError("", "key_reused", _("Use a new key for a new request."))],
    )


def claim(*, reader, key: str, print_: str) -> IdempotencyKey | Answer:
    """Take the key for this request (committed at once), or the stored answer of
    the request that already used it; ApiProblem 409 or 422 otherwise."""
    now = timezone.now()
    lease = secrets.token_hex(16)
    fields = {
        "fingerprint": print_,
        "state": IdempotencyKey.State.IN_FLIGHT,
        "lease": lease,
        "leased_until": now + LEASE,
        "response_status": None,
        "response_body": None,
        "created_at": now,
        "expires_at": now + timedelta(hours=settings.BROADSHEET_API_IDEMPOTENCY_HOURS),
    }
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(reader=reader, key=key, **fields)
    except IntegrityError:
        pass
    row = IdempotencyKey.objects.filter(reader=reader, key=key).first()
    if row is None:  # swept between our insert and this read: try once more
        return claim(reader=reader, key=key, print_=print_)
    if row.expires_at <= now:
        # An expired key is a new key: take the row over, if nobody else just did.
        taken = IdempotencyKey.objects.filter(pk=row.pk, expires_at__lte=now).update(**fields)
        if taken:
            row.refresh_from_db()
            return row
        raise _conflict()
    if row.fingerprint != print_:
        raise _mismatch()
    if row.state == IdempotencyKey.State.DONE:
        return Answer(row.response_status, row.response_body)
    if row.leased_until > now:
        raise _conflict()
    # The first request's lease ran out (it died before committing): ours now.
    taken = IdempotencyKey.objects.filter(
        pk=row.pk, lease=row.lease, state=IdempotencyKey.State.IN_FLIGHT
    ).update(lease=lease, leased_until=now + LEASE)
    if not taken:
        raise _conflict()
    row.lease, row.leased_until = lease, now + LEASE
    return row


def finish(*, row: IdempotencyKey, answer: Answer) -> None:
    """Store the answer, inside the transaction of the work it answers; if the lease
    was lost meanwhile, refuse (409), and the caller's transaction rolls back."""
    stored = IdempotencyKey.objects.filter(
        pk=row.pk, lease=row.lease, state=IdempotencyKey.State.IN_FLIGHT
    ).update(
        state=IdempotencyKey.State.DONE,
        response_status=answer.status,
        response_body=answer.body,
    )
    if not stored:
        raise _conflict()


def release(*, row: IdempotencyKey) -> None:
    """Give the key back after a refusal: nothing was stored under it."""
    IdempotencyKey.objects.filter(
        pk=row.pk, lease=row.lease, state=IdempotencyKey.State.IN_FLIGHT
    ).delete()


def sweep_expired_keys() -> int:
    """The worker's standing duty: delete keys past their day (a batch per look)."""
    ids = list(
        IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).values_list("pk", flat=True)[
            :SWEEP_BATCH
        ]
    )
    if ids:
        IdempotencyKey.objects.filter(pk__in=ids).delete()
    return len(ids)
