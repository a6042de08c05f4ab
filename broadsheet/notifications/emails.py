"""Notification e-mail: composed once, into the outbox, in the reader's language.

Each message carries a one-click unsubscribe (RFC 8058: `List-Unsubscribe` with
an https address and `List-Unsubscribe-Post`), and the same address as a
visible link, which works without signing in: the address itself is signed.
"""

from dataclasses import dataclass
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from broadsheet.core.links import absolute_links
from broadsheet.discussion.links import comment_url
from broadsheet.notifications.models import Kind, Notification, NotificationSettings

UNSUBSCRIBE_SALT = "broadsheet.notifications.unsubscribe"
SUBJECT_MAX_LENGTH = 200


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    headers: dict[str, str]


def absolute(path: str) -> str:
    return settings.BROADSHEET_SITE_URL.rstrip("/") + path


def unsubscribe_token(reader) -> str:
    return signing.dumps(reader.pk, salt=UNSUBSCRIBE_SALT, compress=True)


def reader_id_from_unsubscribe_token(token: str) -> int | None:
    """The reader an unsubscribe address was made for, or None if it was not ours."""
    try:
        value = signing.loads(token[:200], salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def unsubscribe_url(reader) -> str:
    return absolute(reverse("notifications:unsubscribe", args=[unsubscribe_token(reader)]))


def _why(notification: Notification) -> str:
    author = notification.comment.author.display_name or notification.comment.author.handle
    if notification.kind == Kind.REPLY:
        return gettext("%(name)s replied to your comment") % {"name": author}
    if notification.kind == Kind.MENTION:
        return gettext("%(name)s mentioned you") % {"name": author}
    if notification.kind == Kind.QUOTE:
        return gettext("%(name)s quoted your comment") % {"name": author}
    if notification.kind == Kind.DECISION:
        if notification.decision == "approved":
            return gettext("A moderator published your comment")
        return gettext("A moderator removed your comment")
    return gettext("%(name)s commented in a discussion you follow") % {"name": author}


def _one_line(text: str) -> str:
    return " ".join(text.split())[:SUBJECT_MAX_LENGTH]


def render_notification_email(
    *, reader, notifications: list[Notification], choice: NotificationSettings
) -> RenderedEmail:
    with translation.override(choice.language):
        items = [
            {
                "why": _why(n),
                "article_title": n.comment.article.title,
                "number": n.comment.number,
                "url": absolute(comment_url(n.comment.article, n.comment.number)),
                # Rendered and sanitized when it was posted (discussion.rendering).
                "body_html": absolute_links(n.comment.body_html, settings.BROADSHEET_SITE_URL),
                "body_text": n.comment.body_markdown,
                "decision": n.decision,
            }
            for n in notifications
        ]
        if len(items) == 1:
            subject = f"{items[0]['why']}: {items[0]['article_title']}"
        else:
            subject = ngettext(
                "%(count)d new notification on %(site)s",
                "%(count)d new notifications on %(site)s",
                len(items),
            ) % {"count": len(items), "site": settings.BROADSHEET_SITE_NAME}
        context = {
            "reader": reader,
            "items": items,
            "site_name": settings.BROADSHEET_SITE_NAME,
            "unsubscribe_url": unsubscribe_url(reader),
            "settings_url": absolute(reverse("notifications:settings")),
        }
        text = render_to_string("notifications/email/notification.txt", context)
        html = render_to_string("notifications/email/notification.html", context)
    site_host = urlsplit(settings.BROADSHEET_SITE_URL).hostname or "localhost"
    headers = {
        "Message-ID": make_msgid(domain=site_host),
        "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
    return RenderedEmail(subject=_one_line(subject), text=text, html=html, headers=headers)
