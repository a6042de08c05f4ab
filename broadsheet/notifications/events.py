"""The private live events of notifications, sent to one reader's open pages."""

from broadsheet.live.events import Event


def notification_created(notification, comment, *, unread: int) -> Event:
    return {
        "type": "notification.created",
        "kind": notification.kind,
        "article": comment.article_id,
        "number": comment.number,
        "unread": unread,
    }


def notifications_read(*, unread: int) -> Event:
    return {"type": "notifications.read", "unread": unread}
