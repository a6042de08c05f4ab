"""`Idempotency-Key` on POST: a retried request gets the first answer, not a second comment.

1. `operations.claim` inserts (reader, key) as IN_FLIGHT with a lease and commits it at
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
`operations.sweep_expired_keys` deletes older rows, and a claim takes over an expired one.
"""

import hashlib
import json
from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext as _

from broadsheet.integrations.api import operations
from broadsheet.integrations.api.operations import Answer
from broadsheet.integrations.api.problems import ApiProblem, FieldError
from broadsheet.integrations.api.rendering import dump_json

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


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
    claimed = operations.claim(reader=caller.reader, key=key, print_=print_)
    if isinstance(claimed, Answer):
        return claimed
    try:
        with transaction.atomic():
            answer = _as_stored(work())
            operations.finish(row=claimed, answer=answer)
    except BaseException:
        operations.release(row=claimed)
        raise
    return answer
