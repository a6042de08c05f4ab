import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _


def source_digest(text: str) -> str:
    """The revision a translation was made from: SHA-256 of the comment's Markdown
    source. An edit changes it, so a translation of older words is never shown."""
    return hashlib.sha256(text.encode()).hexdigest()


class CommentTranslation(models.Model):
    """One comment's words, at one revision, machine-translated into one language:
    a cache made by the worker on a reader's first request (translation/tasks.py)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    comment = models.ForeignKey(
        "discussion.Comment", on_delete=models.CASCADE, related_name="translations"
    )
    source_digest = models.CharField(max_length=64)
    target_language = models.CharField(max_length=12)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    # Rendered from the service's text exactly as a comment is (render_comment_markdown):
    # what a service returns is as untrusted as what a reader types.
    body_html = models.TextField(blank=True, default="")
    # For operators (the admin, logs); readers are told only that it failed.
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    translated_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("comment translation")
        verbose_name_plural = _("comment translations")
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "source_digest", "target_language"],
                name="comment_translation_once_per_revision_and_language",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.comment_id} → {self.target_language} ({self.status})"
