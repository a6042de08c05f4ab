from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Report(models.Model):
    """A reader's report of a comment. The author is never told who reported it."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        ABUSE = "abuse", _("Abuse or insults")
        OFF_TOPIC = "off_topic", _("Off topic")
        OTHER = "other", _("Something else")

    comment = models.ForeignKey(
        "discussion.Comment", on_delete=models.CASCADE, related_name="reports"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made"
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    text = models.CharField(_("details"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "reporter"], name="report_once_per_reader")
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} on {self.comment_id}"


class AuditEntry(models.Model):
    """Who did what to whom, when and why. Written by moderation operations only."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    action = models.CharField(max_length=40, db_index=True)
    target = models.CharField(max_length=200)  # e.g. "comment 12 on last-ferry", "reader unc-2"
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target}"
