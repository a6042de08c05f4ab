"""Live streams: one article's events to one page, as Server-Sent Events.

The transport's half of the stream: subscribing, replaying what a page missed,
keep-alives, the per-address cap. Who may follow an article and what following
it means for the follower (presence) are the feature's: the discussion's view
(discussion/stream.py) checks access and hands `open_stream` a heartbeat.

Why SSE and not WebSocket: updates flow one way (server to page; readers post
through ordinary forms), EventSource reconnects by itself and sends the id of
the last event it saw (`Last-Event-ID`), which is exactly the resume we need,
and it is plain HTTP that every proxy passes. It needs no Channels layer.

Two doors share the stream's rules. `LiveStreamRoutes` is a raw ASGI layer in
front of Django (broadsheet/asgi.py): it answers the live paths itself, looking
the session up once at connect, and keeps per stream only a `Subscription` and
its own coroutine, so one process holds 10,000 open pages (docs/live-streams.md,
docs/adr/0023-live-streams-outside-django.md). `open_stream` is the same stream
as a Django response, for a Django that runs without that layer (the test
client, another ASGI stack); the feature's Django views use it.
"""

import asyncio
import ipaddress
import re
import time
import weakref
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse, parse_cookie
from django.utils import translation
from django.utils.translation import gettext as _

from broadsheet.live.events import reload_discussion
from broadsheet.live.hub import OVERFLOW, LiveMessage, Subscription, hub
from broadsheet.live.publishing import list_events_after
from broadsheet.live.sse import format_sse
from broadsheet.metrics import REQUEST_SECONDS, REQUESTS

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

    @classmethod
    def client(cls, request) -> str:
        return cls.client_of(request.META.get("REMOTE_ADDR") or "")

    @staticmethod
    def client_of(address: str) -> str:
        """The key `address` is counted under."""
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


def _too_many_streams_message() -> str:
    return _(
        "Too many live connections from your address. Close some pages of this "
        "site, then reload this one to follow the discussion live."
    )


def _too_many_streams() -> HttpResponse:
    """429 for an address over its stream limit; the page's EventSource stops
    retrying on it, and the page still works without live updates."""
    response = HttpResponse(
        _too_many_streams_message(),
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
            if not subscription.pending:
                await subscription.wait()
                if not subscription.pending:
                    subscription.last_sent = time.monotonic()
                    yield ": keep-alive\n\n"
                    continue
            subscription.last_sent = time.monotonic()
            for item in subscription.take():
                if item is OVERFLOW:
                    yield format_sse(reload_discussion())
                    return  # the page reloads and reconnects
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


# --- the raw ASGI door ------------------------------------------------------------------

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class StreamRequest:
    """What a feature is told of a request for its live stream: the path's named
    parts and the session cookie's value (not yet checked)."""

    params: dict[str, str]
    session_key: str | None


@dataclass(frozen=True)
class Follow:
    """A feature's yes to a stream request: what the stream carries (see
    `open_stream` for the meaning of each)."""

    article_id: int | None
    reader_id: int | None = None
    heartbeat: Heartbeat | None = None


# A feature's door onto the raw route, run once per connection on the process's
# synchronous thread: a Follow, or None when the answer is not a stream (a
# missing article, a signed-out reader): Django then answers as it always does.
Resolver = Callable[[StreamRequest], Follow | None]

_STREAM_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # tell nginx not to hold the stream back
    (b"x-content-type-options", b"nosniff"),
]
_CONNECTED = b"retry: 2000\n: connected\n\n"
_KEEPALIVE = b": keep-alive\n\n"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


class LiveStreamRoutes:
    """ASGI layer: the live paths answered here, every other request passed to `app`.

    Django's per-request machinery (a request object, the middleware stack, a
    response iterator and a disconnect-listening task, all kept for the hours a
    page stays open) cost about 116 KiB and 50 µs per event per open page. Here
    a connection costs its `Subscription`, this coroutine (the server's own task
    for the request) and one small task that notices the client leaving; every
    event is formatted once and its bytes shared by every stream.

    Same rules as `open_stream`: the per-address cap (429), replay after
    `Last-Event-ID` or `?after=` through `list_events_after`, the reload event
    when too far behind, keep-alives, the feature's heartbeat, the open-pages
    gauge. A client that stops reading is dropped once its buffer is full.
    """

    def __init__(self, app: ASGIApp, routes: list[tuple[str, Resolver]]) -> None:
        self.app = app
        self.routes = [(re.compile(pattern), resolver) for pattern, resolver in routes]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and scope["method"] == "GET" and path.endswith("/live/"):
            for pattern, resolver in self.routes:
                match = pattern.fullmatch(path)
                if match is not None:
                    if await self._serve(scope, receive, send, match.groupdict(), resolver):
                        return
                    break
        await self.app(scope, receive, send)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, params: dict, resolver: Resolver
    ) -> bool:
        """Answer with a stream (or a 429): True; False when Django should answer."""
        started = time.perf_counter()
        client_address = (scope.get("client") or ("",))[0] or ""
        client = streams_per_address.client_of(client_address)
        if not streams_per_address.take(client):
            await _refuse(scope, send)
            REQUEST_SECONDS.labels("live").observe(time.perf_counter() - started)
            REQUESTS.labels("live", "429").inc()
            return True
        status = 0
        try:
            cookies = parse_cookie(_header(scope, b"cookie") or "")
            request = StreamRequest(
                params=params, session_key=cookies.get(settings.SESSION_COOKIE_NAME)
            )
            follow = await sync_to_async(_then_close_connection(resolver))(request)
            if follow is None:
                return False
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            after = _parse_id(_header(scope, b"last-event-id")) or _parse_id(query.get("after"))
            # Subscribe before reading what was missed, so nothing falls between the two.
            subscription = hub.subscribe(follow.article_id, follow.reader_id)
            try:
                await send(
                    {"type": "http.response.start", "status": 200, "headers": _STREAM_HEADERS}
                )
                status = 200
                REQUEST_SECONDS.labels("live").observe(time.perf_counter() - started)
                await _write_stream(subscription, follow, after, receive, send)
            finally:
                hub.unsubscribe(subscription)
            return True
        finally:
            streams_per_address.give_back(client)
            if status:
                REQUESTS.labels("live", str(status)).inc()


async def _refuse(scope: Scope, send: Send) -> None:
    """The 429 of `_too_many_streams`, in the client's language, without Django's stack."""
    request = HttpRequest()
    request.COOKIES = parse_cookie(_header(scope, b"cookie") or "")
    accept_language = _header(scope, b"accept-language")
    if accept_language:
        request.META["HTTP_ACCEPT_LANGUAGE"] = accept_language
    with translation.override(translation.get_language_from_request(request)):
        body = _too_many_streams_message().encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(STREAMS_RETRY_AFTER_SECONDS).encode()),
                (b"cache-control", b"no-store"),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _until_disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _write_stream(
    subscription: Subscription,
    follow: Follow,
    after: int | None,
    receive: Receive,
    send: Send,
) -> None:
    """Write the stream until the client leaves or falls past its buffer."""
    keepalive = settings.BROADSHEET_LIVE_KEEPALIVE_SECONDS
    heartbeat_every = settings.BROADSHEET_PRESENCE_WRITE_INTERVAL_SECONDS
    this_task = asyncio.current_task()
    writing = False

    def close_under_send() -> None:
        # A client that reads nothing leaves `send` waiting for the socket to
        # drain, forever: close the connection under it (Uvicorn's transport; on
        # another server, cancel the send).
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is not None:
            transport.abort()
        elif this_task is not None:
            this_task.cancel()

    def drop_stuck_client() -> None:
        # Called by the hub when the buffer fills; if no write is waiting, the
        # loop below writes the reload and ends the stream.
        if writing:
            close_under_send()

    async def write(body: bytes, *, more: bool = True) -> None:
        nonlocal writing
        subscription.last_sent = time.monotonic()
        writing = True
        try:
            await send({"type": "http.response.body", "body": body, "more_body": more})
        finally:
            writing = False

    subscription.on_overflow = drop_stuck_client
    subscription.write_now = _direct_writer(send)
    subscription.last_id = after
    listener = asyncio.ensure_future(_until_disconnected(receive))
    listener.add_done_callback(lambda _listener: subscription.end())
    try:
        await write(_CONNECTED)
        if after is not None and follow.article_id is not None:
            missed = await sync_to_async(_then_close_connection(list_events_after))(
                article_id=follow.article_id, after=after
            )
            if missed is None:
                await write(format_sse(reload_discussion()).encode())
            elif missed:
                await write("".join(format_sse(s.data, s.pk) for s in missed).encode())
                subscription.last_id = missed[-1].pk
        last_heartbeat = 0.0
        heartbeat = follow.heartbeat
        while not subscription.ended:
            if heartbeat is not None and time.monotonic() - last_heartbeat >= heartbeat_every:
                last_heartbeat = time.monotonic()
                await sync_to_async(_then_close_connection(heartbeat))()
            if not subscription.pending:
                # While it sleeps here, the fan-out writes events itself (write_now).
                await subscription.wait()
                if subscription.ended:
                    break
                if not subscription.pending:
                    if time.monotonic() - subscription.last_sent >= keepalive:
                        await write(_KEEPALIVE)
                    continue
            chunks = []
            for item in subscription.take():
                if item is OVERFLOW:
                    # Too far behind to catch up here: the page reloads its discussion
                    # and reconnects, resuming from what it then shows.
                    chunks.append(format_sse(reload_discussion()).encode())
                    try:
                        async with asyncio.timeout(keepalive):
                            await write(b"".join(chunks), more=False)
                    except TimeoutError:
                        close_under_send()
                    return
                message: LiveMessage = item
                if message.id is not None:
                    last_id = subscription.last_id
                    if last_id is not None and message.id <= last_id:
                        continue  # already sent while catching up
                    subscription.last_id = message.id
                chunks.append(message.sse_bytes)
            if chunks:
                await write(chunks[0] if len(chunks) == 1 else b"".join(chunks))
    except asyncio.CancelledError:
        # Our own cancel of a stuck client (drop_stuck_client): the stream ends here.
        if subscription.overflowed and this_task is not None and this_task.uncancel() == 0:
            return
        raise
    finally:
        subscription.on_overflow = None
        subscription.write_now = None
        listener.cancel()


def _direct_writer(send: Send) -> Callable[[bytes], bool] | None:
    """A function that writes one chunk of the response body straight to the
    socket, as Uvicorn's `send` would (chunked encoding), or None on a server
    whose `send` is not Uvicorn's. It refuses (False) when the socket is backed
    up or gone: the event then waits in the stream's buffer for its writer."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    flow = getattr(cycle, "flow", None)
    if transport is None or flow is None or not getattr(cycle, "chunked_encoding", False):
        return None

    def write_now(data: bytes) -> bool:
        if (
            flow.write_paused
            or cycle.disconnected
            or cycle.response_complete
            or transport.is_closing()
        ):
            return False
        transport.write(b"%x\r\n%b\r\n" % (len(data), data))
        return True

    return write_now
