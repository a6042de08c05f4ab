from django.db import models
from django.utils import timezone


class ImportedRecord(models.Model):
    """What an import made from one record of another system's export.

    Keyed by the record's id in its source, so running an import again finds
    what it already brought in and adds only what is new, and an import that
    stopped half-way carries on: the rows for a thread commit with the thread.
    """

    class Kind(models.TextChoices):
        THREAD = "thread"  # -> articles.Article (an article or an external page)
        COMMENT = "comment"  # -> discussion.Comment
        AUTHOR = "author"  # -> readers.Reader

    source = models.CharField(max_length=20)  # disqus, wxr, isso, remark42
    kind = models.CharField(max_length=10, choices=Kind.choices)
    external_id = models.CharField(max_length=255)
    object_id = models.PositiveBigIntegerField()
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "external_id"], name="imported_record_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.external_id} -> {self.object_id}"


class IdempotencyKey(models.Model):
    """A reader's `Idempotency-Key` on an API POST, and the answer it got.

    The row is claimed (state IN_FLIGHT, with a lease) and committed before the
    work starts, so a second request with the key while the first still runs can
    be told 409. The answer is written in the same transaction as the comment (or
    vote, or report) it describes: a crash leaves either both or neither, so a
    retry either replays the first answer or does the work for the first time.
    """

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight"
        DONE = "done"

    reader = models.ForeignKey(
        "readers.Reader", on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=200)
    # SHA-256 of the method, the path and the request's JSON (keys sorted): the same
    # key sent with another request is refused, not answered with the first one's.
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.IN_FLIGHT)
    # Who holds an IN_FLIGHT row: the request that claimed it. A request that
    # outlives its lease finds the row taken over and gives its work back.
    lease = models.CharField(max_length=32)
    leased_until = models.DateTimeField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reader", "key"], name="idempotency_key_once"),
        ]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_key_expiry")]

    def __str__(self) -> str:
        return f"{self.reader_id}:{self.key} ({self.state})"
