"""Webhook endpoints, the deliveries owed to them and every attempt at one.

Imported at the end of integrations/models.py, where Django looks for the app's models.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

URL_MAX_LENGTH = 500
DESCRIPTION_MAX_LENGTH = 200
RESPONSE_BODY_KEPT = 1024  # bytes of an answer kept with its attempt
ERROR_MAX_LENGTH = 500

# The events an endpoint may subscribe to, and what each tells (docs/webhooks.md).
# Public events carry only what the article's page shows; the moderators' events
# never carry the words of a comment that is not public.
EVENT_TYPES: dict[str, str] = {
    "comment.posted": _("a comment became public (posted, or approved from the queue)"),
    "comment.edited": _("a public comment was edited and is still public"),
    "comment.deleted": _("a public comment was deleted by its author"),
    "comment.withdrawn": _("a public comment left the page (held after an edit, or rejected)"),
    "comment.approved": _("a moderator approved a comment"),
    "comment.rejected": _("a moderator rejected a comment (its words are not sent)"),
    "reader.banned": _("a reader was banned"),
    "reader.suspended": _("a reader was suspended"),
}
# Sent to one endpoint when an editor asks, whatever it subscribes to.
PING_EVENT = "webhook.ping"


class WebhookEndpoint(models.Model):
    """A URL of another system that hears of the events it subscribes to."""

    url = models.URLField(
        _("URL"),
        max_length=URL_MAX_LENGTH,
        help_text=_("http:// or https://, with no user name or password in it."),
    )
    description = models.CharField(
        _("description"), max_length=DESCRIPTION_MAX_LENGTH, blank=True, default=""
    )
    # A list of EVENT_TYPES keys: a tiny table, read whole, so no join table.
    events = models.JSONField(_("events"), default=list)
    # Standard Webhooks' form, `whsec_` and base64 of 32 random bytes; kept readable
    # because signing needs it. The old one signs too until `previous_secret_until`.
    secret = models.CharField(_("secret"), max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, default="", editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # Deliveries that failed (every attempt) in a row, reset by a success; at
    # BROADSHEET_WEBHOOK_FAILURES_BEFORE_DISABLING the endpoint is switched off.
    consecutive_failures = models.PositiveIntegerField(
        _("failures in a row"), default=0, editable=False
    )
    failed_deliveries = models.PositiveIntegerField(
        _("failed deliveries"), default=0, editable=False
    )
    disabled_at = models.DateTimeField(_("switched off"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        indexes = [models.Index(fields=["active"], name="webhookendpoint_active_idx")]

    def __str__(self) -> str:
        return self.description or self.url


class WebhookDelivery(models.Model):
    """One message owed to one endpoint, and how sending it went."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(_("event"), max_length=40)
    # `webhook-id`: the same for a message sent again, so a receiver can drop repeats.
    message_id = models.CharField(_("message id"), max_length=40, db_index=True)
    # The exact JSON text sent (and signed): stored as text, since a JSON column
    # may reorder keys.
    body = models.TextField(_("body"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    redelivery_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The comment whose words the body carries: each attempt first checks it is
    # still public, so a comment deleted or rejected while its delivery waits for a
    # retry is not sent after all.
    comment = models.ForeignKey(
        "discussion.Comment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhookdelivery_endpoint_idx"),
            models.Index(fields=["status", "-created_at"], name="webhookdelivery_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"


class WebhookAttempt(models.Model):
    """One POST of a delivery: what the receiver answered, or what went wrong."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    attempted_at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    response_body = models.TextField(_("response (start)"), blank=True, default="")
    error = models.CharField(_("error"), max_length=ERROR_MAX_LENGTH, blank=True, default="")
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhookattempt_once"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery} #{self.number}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
