"""Live streams: one article's events to one page, as Server-Sent Events.

The transport's half of the stream: subscribing, replaying what a page missed,
keep-alives, the per-address cap. Who may follow an article and what following
it means for the follower (presence) are the feature's: the discussion's view
(discussion/stream.py) checks access and hands `open_stream` a heartbeat.

Why SSE and not WebSocket: updates flow one way (server to page; readers post
through ordinary forms), EventSource reconnects by itself and sends the id of
the last event it saw (`Last-Event-ID`), which is exactly the resume we need,
and it is plain HTTP that every proxy passes. It needs no Channels layer: an
async Django view streams the events (docs/architecture.md).
"""

import asyncio
import ipaddress
import time
import weakref
from collections import Counter
from collections.abc import Callable

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from broadsheet.live.events import reload_discussion
from broadsheet.live.hub import OVERFLOW, LiveMessage, Subscription, hub
from broadsheet.live.publishing import list_events_after
from broadsheet.live.sse import format_sse

# Called now and then while a stream is open, on the process's synchronous
# thread: the feature's way of saying someone is still there (presence).
Heartbeat = Callable[[], object]


def _parse_id(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# What a refused client is told to wait: long enough for pages closed meanwhile
# to have given their streams back.
STREAMS_RETRY_AFTER_SECONDS = 60


class StreamsPerAddress:
    """How many live streams each client address holds open in this process.

    A stream costs a connection, a queue and its share of every fan-out for
    hours; without a cap one address could open thousands and starve everyone
    else. Counted per process, in the event loop (so no lock): with
    `serve --workers N` an address may hold N times the limit. IPv6 clients are
    counted by their /64, which one household or one attacker gets whole.
    """

    def __init__(self) -> None:
        self._open: Counter[str] = Counter()

    @staticmethod
    def client(request) -> str:
        address = request.META.get("REMOTE_ADDR") or ""
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return address
        if isinstance(parsed, ipaddress.IPv6Address):
            if parsed.ipv4_mapped is not None:
                return str(parsed.ipv4_mapped)
            return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
        return str(parsed)

    def take(self, client: str) -> bool:
        limit = settings.BROADSHEET_LIVE_STREAMS_PER_ADDRESS
        if limit and self._open[client] >= limit:
            return False
        self._open[client] += 1
        return True

    def give_back(self, client: str) -> None:
        self._open[client] -= 1
        if self._open[client] <= 0:
            del self._open[client]


streams_per_address = StreamsPerAddress()


def _too_many_streams() -> HttpResponse:
    """429 for an address over its stream limit; the page's EventSource stops
    retrying on it, and the page still works without live updates."""
    response = HttpResponse(
        _(
            "Too many live connections from your address. Close some pages of this "
            "site, then reload this one to follow the discussion live."
        ),
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(STREAMS_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _then_close_connection(function):
    """Run `function`, then give its database connection back if it is not one to keep.

    A stream lives for hours; it must not hold a PostgreSQL connection (or a
    pool's) for that long. Its database calls run on the process's one
    synchronous thread (serving/asgi_handler.py), whose connection is closed after
    use when CONN_MAX_AGE says so (PostgreSQL, given back to the pool) and kept
    when it does not (SQLite).
    """

    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return call


async def open_stream(
    request,
    *,
    article_id: int | None,
    reader_id: int | None = None,
    heartbeat: Heartbeat | None = None,
) -> HttpResponse | StreamingHttpResponse:
    """The live stream of `article_id`'s events for this request, resuming after
    `Last-Event-ID` (or `?after=`); the caller has checked the article may be seen.

    `reader_id` (the authenticated reader, and only them) adds that reader's
    private events; `article_id` None gives a stream of those alone.
    `heartbeat`, if given, runs every BROADSHEET_PRESENCE_WRITE_INTERVAL_SECONDS
    while the stream is open."""
    after = _parse_id(request.headers.get("Last-Event-ID")) or _parse_id(request.GET.get("after"))
    # Release the connection the session, the reader and the article were read on.
    await sync_to_async(close_old_connections)()
    client = streams_per_address.client(request)
    if not streams_per_address.take(client):
        return _too_many_streams()
    # Subscribe before reading what was missed, so nothing falls between the two.
    subscription = hub.subscribe(article_id, reader_id)
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            hub.unsubscribe(subscription)
            streams_per_address.give_back(client)

    events = _events(subscription, article_id, after, heartbeat, release)
    # The stream's own `finally` releases it; a client gone before the stream
    # began never runs that, so the generator's end releases it too.
    weakref.finalize(events, release)
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # tell nginx not to hold the stream back
    return response


async def _events(
    subscription: Subscription,
    article_id: int | None,
    after: int | None,
    heartbeat: Heartbeat | None,
    release=None,
):
    keepalive = settings.BROADSHEET_LIVE_KEEPALIVE_SECONDS
    heartbeat_every = settings.BROADSHEET_PRESENCE_WRITE_INTERVAL_SECONDS
    last_heartbeat = 0.0
    try:
        yield "retry: 2000\n: connected\n\n"
        if after is not None and article_id is not None:
            missed = await sync_to_async(_then_close_connection(list_events_after))(
                article_id=article_id, after=after
            )
            if missed is None:
                yield format_sse(reload_discussion())
            else:
                for stored in missed:
                    yield format_sse(stored.data, stored.pk)
                    after = stored.pk
        while True:
            if heartbeat is not None and time.monotonic() - last_heartbeat >= heartbeat_every:
                last_heartbeat = time.monotonic()
                await sync_to_async(_then_close_connection(heartbeat))()
            queue = subscription.queue
            if queue.empty():
                try:
                    # asyncio.timeout, not wait_for: wait_for starts a task per call,
                    # which at thousands of connections is most of the fan-out cost.
                    async with asyncio.timeout(min(keepalive, heartbeat_every)):
                        item = await queue.get()
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
            else:
                item = queue.get_nowait()
            if item is OVERFLOW:
                yield format_sse(reload_discussion())
                continue
            message: LiveMessage = item
            if message.id is not None:
                if after is not None and message.id <= after:
                    continue  # already sent while catching up
                after = message.id
            yield message.sse
    finally:
        if release is not None:
            release()
        else:
            hub.unsubscribe(subscription)
