"""The live stream of an article's discussion: the discussion's door onto the
live transport.

It decides what the transport must not know: who may follow this discussion (a
draft's is as missing as a typo) and what following it means for the reader
(they stay Online while the page is open). live/streams.py does the rest.

`follow_discussion` is the door the raw ASGI route asks (broadsheet/asgi.py), once
per connection; `discussion_stream` the same door as a Django view, for a Django
without that route in front (the test client) and for the URL's name.
"""

from functools import partial

from asgiref.sync import sync_to_async
from django.http import Http404

from broadsheet.articles.access import get_visible_article_or_404
from broadsheet.live.streams import Follow, StreamRequest, open_stream
from broadsheet.readers.access import find_session_reader
from broadsheet.readers.operations import record_reader_connected

# The raw route's path, the same as discussion/urls.py's "live".
LIVE_PATH = r"/articles/(?P<slug>[-a-zA-Z0-9_]+)/live/"


def follow_discussion(request: StreamRequest) -> Follow | None:
    """The discussion stream for `request`, or None (Django's 404) when its article
    may not be seen. Runs on the synchronous thread."""
    try:
        article = get_visible_article_or_404(request.params["slug"])
    except Http404:
        return None
    reader = find_session_reader(request.session_key)
    return Follow(
        # Every edition's page follows the original's one discussion.
        article_id=article.original.pk,
        reader_id=None if reader is None else reader.pk,
        heartbeat=None if reader is None else partial(record_reader_connected, reader=reader),
    )


def _current_reader(request):
    user = request.user
    return user if user.is_authenticated else None


async def discussion_stream(request, slug: str):
    article = await sync_to_async(get_visible_article_or_404)(slug)
    reader = await sync_to_async(_current_reader)(request)
    heartbeat = None if reader is None else partial(record_reader_connected, reader=reader)
    return await open_stream(
        request,
        # Every edition's page follows the original's one discussion.
        article_id=article.original.pk,
        reader_id=None if reader is None else reader.pk,
        heartbeat=heartbeat,
    )
