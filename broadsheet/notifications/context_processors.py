from dataclasses import dataclass

from django.utils.functional import SimpleLazyObject

from broadsheet.notifications.queries import UNREAD_COUNT_LIMIT, count_unread_for


@dataclass(frozen=True)
class UnreadNotifications:
    count: int

    @property
    def shown(self) -> str:
        """As the header shows it: "99+" past what is counted."""
        return f"{UNREAD_COUNT_LIMIT - 1}+" if self.count >= UNREAD_COUNT_LIMIT else str(self.count)


def unread_notifications(request) -> dict:
    """The header's count, counted only when a page shows it (signed-in pages)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(
            lambda: UnreadNotifications(count_unread_for(user))
        )
    }
