"""What readers are told, how they want to be told, and every e-mail that went out."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    REPLY = "reply", _("Replies to my comments")
    MENTION = "mention", _("Mentions of my handle")
    QUOTE = "quote", _("Quotes of my comments")
    DECISION = "decision", _("Moderators' decisions on my comments")
    FOLLOWED = "followed", _("New comments in discussions I follow")


class Cadence(models.TextChoices):
    SOON = "soon", _("Soon after (a few minutes, several at once)")
    HOURLY = "hourly", _("An hourly digest")
    DAILY = "daily", _("A daily digest")


class NotificationSettings(models.Model):
    """One reader's choices; a reader without a row has the defaults."""

    reader = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    # Which kinds reach the reader in the site and by e-mail.
    site_kinds = models.JSONField(default=list)
    email_kinds = models.JSONField(default=list)
    cadence = models.CharField(max_length=8, choices=Cadence.choices, default=Cadence.SOON)
    # The language of the reader's e-mail (the site's pages follow the browser).
    language = models.CharField(max_length=8, default="en")

    DEFAULT_SITE_KINDS = (Kind.REPLY, Kind.MENTION, Kind.QUOTE, Kind.DECISION, Kind.FOLLOWED)
    DEFAULT_EMAIL_KINDS = (Kind.REPLY, Kind.MENTION, Kind.DECISION)

    def __str__(self) -> str:
        return f"notification settings of {self.reader_id}"


class Following(models.Model):
    """A reader who asked to hear of every new comment under an article."""

    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reader", "article"], name="following_unique"),
        ]
        indexes = [models.Index(fields=["article"], name="following_by_article")]

    def __str__(self) -> str:
        return f"{self.reader_id} follows {self.article_id}"


class OutboxMessage(models.Model):
    """An e-mail, from the moment it is composed until the mail server took it.

    The state moves pending -> sending -> sent (or failed); `sending` is written
    and committed before the server is contacted, so a worker killed mid-send
    leaves the message `sending` and no later attempt sends it again.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent (or interrupted while being sent)")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Refused or given up")

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField()
    headers = models.JSONField(default=dict)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"], name="outbox_by_state")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to} ({self.state})"


class Notification(models.Model):
    """One thing one reader is told about: a comment, and why it concerns them."""

    class Email(models.TextChoices):
        NOT_WANTED = "no", _("No e-mail")
        WAITING = "waiting", _("Waiting for its e-mail")
        EMAILED = "emailed", _("In an e-mail")
        SKIPPED = "skipped", _("Seen before its e-mail was due")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    comment = models.ForeignKey(
        "discussion.Comment", on_delete=models.CASCADE, related_name="notifications"
    )
    # For a moderator's decision: "approved" or "rejected".
    decision = models.CharField(max_length=10, blank=True, default="")
    in_site = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    # The reader's open page showed the comment live: no e-mail about it.
    seen_live_at = models.DateTimeField(null=True, blank=True)
    email = models.CharField(max_length=8, choices=Email.choices, default=Email.NOT_WANTED)
    email_due_at = models.DateTimeField(null=True, blank=True)
    email_message = models.ForeignKey(
        OutboxMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A retried task cannot tell a reader twice about one comment.
            models.UniqueConstraint(
                fields=["recipient", "comment", "decision"], name="notification_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_list",
                condition=models.Q(in_site=True),
            ),
            models.Index(
                fields=["recipient"],
                name="notification_unread",
                condition=models.Q(in_site=True, read_at__isnull=True),
            ),
            models.Index(
                fields=["recipient", "email_due_at"],
                name="notification_email_due",
                condition=models.Q(email="waiting"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id} about comment {self.comment_id}"


class Mailbox(models.Model):
    """What the mail server said about an address: refusals stop mail to it."""

    address = models.EmailField(max_length=254, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure = models.CharField(max_length=500, blank=True, default="")
    suppressed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.address


class QueuedComment(models.Model):
    """A published comment whose readers are yet to be told: one small row written
    in the comment's own transaction, taken in batches by the worker, so posting
    pays one INSERT and telling a thousand replies costs a few queries."""

    comment = models.ForeignKey("discussion.Comment", on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"comment {self.comment_id} to tell of"
