"""The live stream of an article's discussion: the discussion's door onto the
live transport.

It decides what the transport must not know: who may follow this discussion (a
draft's is as missing as a typo) and what following it means for the reader
(they stay Online while the page is open). live/streams.py does the rest.
"""

from functools import partial

from asgiref.sync import sync_to_async

from broadsheet.articles.access import get_visible_article_or_404
from broadsheet.live.streams import open_stream
from broadsheet.readers.operations import record_reader_connected


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
