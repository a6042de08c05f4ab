"""The private live events of notifications, sent to one reader's open pages."""

from broadsheet.live.events import Event


def notification_created(notification, comment) -> Event:
    """One more unread notification (the page adds it to the count it shows)."""
    return {
        "type": "notification.created",
        "kind": notification.kind,
        "article": comment.article_id,
        "number": comment.number,
    }


def notifications_read(*, unread: int) -> Event:
    """Some were read (on another page): the count now, up to 100."""
    return {"type": "notifications.read", "unread": unread}
