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


# Webhooks keep their models in their own package; Django finds them here.
from broadsheet.integrations.webhooks.models import (  # noqa: E402
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ = ["ImportedRecord", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint"]
