"""The signed-in reader's own live stream (their notifications), for pages that
follow no discussion: the notifications' door onto the raw live route
(broadsheet/asgi.py). The Django view of the same path is views.notification_stream.
"""

from broadsheet.live.streams import Follow, StreamRequest
from broadsheet.readers.access import find_session_reader

# The raw route's path, the same as notifications/urls.py's "live".
LIVE_PATH = r"/notifications/live/"


def follow_notifications(request: StreamRequest) -> Follow | None:
    """The reader's private events; None (Django's 403) when nobody is signed in."""
    reader = find_session_reader(request.session_key)
    if reader is None:
        return None
    return Follow(article_id=None, reader_id=reader.pk)
