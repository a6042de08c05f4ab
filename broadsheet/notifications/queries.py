"""Reading notifications: only what the reader may still see."""

from django.db.models import Q, QuerySet

from broadsheet.discussion.models import Comment
from broadsheet.notifications.models import Following, Kind, Notification, NotificationSettings


def settings_of(reader) -> NotificationSettings:
    """The reader's choices, or the defaults (unsaved) when they made none."""
    found = NotificationSettings.objects.filter(reader=reader).first()
    return found or default_settings(reader)


def default_settings(reader) -> NotificationSettings:
    return NotificationSettings(
        reader=reader,
        site_kinds=list(NotificationSettings.DEFAULT_SITE_KINDS),
        email_kinds=list(NotificationSettings.DEFAULT_EMAIL_KINDS),
    )


# A notification shows its comment's words: it stays only while the comment is
# public, except a moderator's decision, which its author may always read.
STILL_VISIBLE = Q(kind=Kind.DECISION) | Q(
    comment__status=Comment.Status.VISIBLE, comment__deleted_at__isnull=True
)


def list_notifications_for(reader) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=reader, in_site=True)
        .filter(STILL_VISIBLE)
        .select_related("comment__article", "comment__author")
        .order_by("-created_at", "-id")
    )


# The header shows "99+" past this: counting further would cost a page more the
# more a reader has left unread.
UNREAD_COUNT_LIMIT = 100


def count_unread_for(reader) -> int:
    """Unread notifications, counted up to UNREAD_COUNT_LIMIT (a bounded query)."""
    return (
        Notification.objects.filter(recipient=reader, in_site=True, read_at__isnull=True)
        .filter(STILL_VISIBLE)[:UNREAD_COUNT_LIMIT]
        .count()
    )


def is_following(*, reader, article) -> bool:
    return Following.objects.filter(reader=reader, article=article).exists()
