"""`Idempotency-Key` on POST: a retried request gets the first answer, not a second comment.

1. `claim` inserts (reader, key) as IN_FLIGHT with a lease and commits it at
   once: a second request with the key while the first runs finds the row and
   is told 409; one with another body is told 422; one after the first finished
   gets the stored answer (same status, same comment, same number).
2. The work runs inside `transaction.atomic()`, and `finish` writes the answer
   into the row in that same transaction, on condition that the lease is still
   ours. So the comment and its key's answer commit together or not at all: a
   crash before the commit leaves an IN_FLIGHT row whose lease runs out, and
   the retry then does the work for the first time; nothing acknowledged is lost
   and nothing is done twice.
3. A refusal (a 4xx: the comment was too long, say) releases the key: nothing was
   stored, so the same request may be sent again once the cause is gone.

Keys are kept BROADSHEET_API_IDEMPOTENCY_HOURS; the worker's duty
`sweep_expired_keys` deletes older rows, and a claim takes over an expired one.
"""

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from broadsheet.integrations.api.problems import ApiProblem, FieldError
from broadsheet.integrations.api.rendering import dump_json
from broadsheet.integrations.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
# How long a claimed key may stay in flight before another request may take it
# over: well past any request's time (the proxy's and the server's timeouts).
LEASE = timedelta(minutes=2)
SWEEP_BATCH = 1000


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict


def fingerprint(method: str, path: str, payload: object) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def read_key(request) -> str | None:
    """The request's Idempotency-Key, or None; refused when it is not a sane key."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ApiProblem(
            400,
            _("An Idempotency-Key is 1 to %(max)d printable ASCII characters.")
            % {"max": MAX_KEY_LENGTH},
            [FieldError("", "bad_idempotency_key", _("The Idempotency-Key header is not valid."))],
        )
    return key


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


def finish(row: IdempotencyKey, answer: Answer) -> None:
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


def release(row: IdempotencyKey) -> None:
    """Give the key back after a refusal: nothing was stored under it."""
    IdempotencyKey.objects.filter(
        pk=row.pk, lease=row.lease, state=IdempotencyKey.State.IN_FLIGHT
    ).delete()


def _as_stored(answer: Answer) -> Answer:
    # The body as JSON gives it back (times as ISO strings), so a first answer and
    # its replay are the same bytes.
    return Answer(answer.status, json.loads(dump_json(answer.body)))


def run_once(request, caller, payload: object, work: Callable[[], Answer]) -> Answer:
    """Do `work` (which calls one write operation and returns the answer), once per
    Idempotency-Key when the request carries one."""
    key = read_key(request)
    if key is None:
        return _as_stored(work())
    print_ = fingerprint(request.method, request.path, payload)
    claimed = claim(reader=caller.reader, key=key, print_=print_)
    if isinstance(claimed, Answer):
        return claimed
    try:
        with transaction.atomic():
            answer = _as_stored(work())
            finish(claimed, answer)
    except BaseException:
        release(claimed)
        raise
    return answer


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
