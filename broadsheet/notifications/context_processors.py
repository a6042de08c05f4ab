from django.utils.functional import SimpleLazyObject

from broadsheet.notifications.queries import count_unread_for


def unread_notifications(request) -> dict:
    """The header's count, counted only when a page shows it (signed-in pages)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: count_unread_for(user))}
