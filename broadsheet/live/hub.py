"""The live hub: which open pages (live connections) this process holds, and how
events reach them.

Write operations publish after their transaction commits, from whatever thread
they run in. Without Redis, publishing hands the event straight to this
process's event loop. With Redis (`BROADSHEET_REDIS_URL`), every process
publishes to one Redis channel and every process listens to it, so a comment
posted through one process reaches pages connected to any other. Either way the
fan-out to connections happens in memory, in the event loop: one message per
event per process, never a database query per connection.
"""

import asyncio
import contextlib
import gc
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.conf import settings

from broadsheet.live import changes
from broadsheet.live.events import presence_changed
from broadsheet.live.sse import format_sse
from broadsheet.metrics import LIVE_MESSAGES, LIVE_OVERFLOWS, LIVE_PAGES

logger = logging.getLogger(__name__)

CHANNEL = "broadsheet:live"
# An article's page changed in a way open pages need not hear about live (an
# edited article, a new discussion mode): only caches act on it.
PAGE_CHANGED = "page.changed"
# Something a reader's personal layer shows changed (their session ended, their
# settings, role or ban): only caches act on it (docs/personal-layer.md).
READER_CHANGED = "reader.changed"

# Put on a connection's queue when it fell too far behind: the page reloads.
OVERFLOW = object()

# Without Redis, how often a server process looks for private messages that other
# processes of the machine (the task worker) wrote to the message journal.
MESSAGE_JOURNAL_POLL_SECONDS = 0.25


@dataclass(frozen=True)
class LiveMessage:
    """An event on its way to pages: `article` None means every page (presence),
    unless `reader` is set: then it is private to that reader's own connections
    (their notifications), never offered to anyone else's."""

    event: dict[str, Any]
    article: int | None = None
    id: int | None = None
    reader: int | None = None

    @cached_property
    def sse(self) -> str:
        """The event as Server-Sent Events text, formatted once for every page."""
        return format_sse(self.event, self.id)

    @cached_property
    def sse_bytes(self) -> bytes:
        """The same, encoded once: the bytes every stream writes."""
        return self.sse.encode()

    def to_json(self) -> str:
        return json.dumps(
            {"event": self.event, "article": self.article, "id": self.id, "reader": self.reader}
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> "LiveMessage":
        data = json.loads(raw)
        return cls(
            event=data["event"], article=data["article"], id=data["id"], reader=data.get("reader")
        )


class Subscription:
    """One open page: the article it shows (None: a page that follows no
    discussion), the signed-in reader whose private events it also gets, and
    what has been handed to it but not yet written.

    Kept small on purpose (slots, no queue object, no task of its own): a process
    holds thousands. `pending` holds the messages themselves, whose SSE bytes
    every page shares; past BROADSHEET_LIVE_STREAM_BUFFER_EVENTS of them the page
    is too far behind (a client that stopped reading): `pending` becomes
    [OVERFLOW] and takes nothing more, and `on_overflow` (set by the stream that
    writes it) closes the connection rather than let memory grow.

    `write_now`, when the stream sets it, writes an event's bytes to the
    connection at once, from the fan-out itself, and says whether it could (not
    when the socket is backed up): while the stream's writer sleeps with nothing
    pending, an event then costs one socket write, with no task woken and
    nothing allocated that outlives it. `last_id` is the id of the last stored
    event written, so none is written twice (replay, then live).
    """

    __slots__ = (
        "article",
        "ended",
        "last_id",
        "last_sent",
        "limit",
        "on_overflow",
        "pending",
        "reader",
        "waiter",
        "write_now",
    )

    def __init__(self, article: int | None, reader: int | None = None) -> None:
        self.article = article
        self.reader = reader
        self.pending: list = []
        self.limit: int = settings.BROADSHEET_LIVE_STREAM_BUFFER_EVENTS
        self.waiter: asyncio.Future | None = None
        self.on_overflow: Callable[[], None] | None = None
        self.write_now: Callable[[bytes], bool] | None = None
        self.last_id: int | None = None
        self.ended = False
        # When the stream last wrote anything (time.monotonic()): the hub's one
        # keep-alive clock wakes the streams that have been quiet too long.
        self.last_sent = time.monotonic()

    @property
    def overflowed(self) -> bool:
        return bool(self.pending) and self.pending[0] is OVERFLOW

    def offer(self, item) -> bool:
        """Hand `item` to the page (event loop); False if the page is past its
        buffer (it overflowed now or before: it is being closed)."""
        pending = self.pending
        if not pending and self.waiter is not None and self.write_now is not None:
            # The writer sleeps and nothing waits before this: write it now.
            event_id = item.id
            if event_id is not None and self.last_id is not None and event_id <= self.last_id:
                return True  # already written while catching up
            if self.write_now(item.sse_bytes):
                if event_id is not None:
                    self.last_id = event_id
                self.last_sent = time.monotonic()
                return True
        if pending and pending[0] is OVERFLOW:
            return False
        if len(pending) >= self.limit:
            LIVE_OVERFLOWS.inc()
            pending[:] = [OVERFLOW]
            self._wake()
            if self.on_overflow is not None:
                self.on_overflow()
            return False
        pending.append(item)
        self._wake()
        return True

    def take(self) -> list:
        """Everything handed over since the last take, oldest first."""
        taken, self.pending = self.pending, []
        return taken

    async def wait(self) -> None:
        """Until something is handed over, the client leaves, or the hub's
        keep-alive clock says the stream has been quiet for a keep-alive period.

        No timer of its own: with ten thousand streams, arming and cancelling a
        timer around every wait was half the CPU of a fan-out (docs/profiles/).
        """
        if self.pending or self.ended:
            return
        waiter = self.waiter = asyncio.get_running_loop().create_future()
        try:
            await waiter
        finally:
            self.waiter = None

    def end(self) -> None:
        """The client went away: the stream's writer stops at its next look."""
        self.ended = True
        self._wake()

    def wake(self) -> None:
        """Wake the writer with nothing to hand over: time for a keep-alive."""
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class LiveHub:
    def __init__(self) -> None:
        self._by_article: dict[int, set[Subscription]] = defaultdict(set)
        self._by_reader: dict[int, set[Subscription]] = defaultdict(set)
        self._open: set[Subscription] = set()
        self._keepalive_clock: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener: asyncio.Task | None = None
        self._presence_pending: dict[str, int] = {}
        self._presence_flush: asyncio.TimerHandle | None = None
        self._redis_client = None
        self._listening = asyncio.Event()
        self._lock = threading.Lock()

    # --- connections (called in the event loop) ------------------------------

    def subscribe(self, article_id: int | None, reader_id: int | None = None) -> Subscription:
        """`reader_id` only for a connection authenticated as that reader."""
        self.start_listening()
        subscription = Subscription(article_id, reader_id)
        LIVE_PAGES.inc()
        self._open.add(subscription)
        if len(self._open) >= STREAMS_BEFORE_COLLECTOR_TUNING:
            _tune_collector()
        if article_id is not None:
            self._by_article[article_id].add(subscription)
        if reader_id is not None:
            self._by_reader[reader_id].add(subscription)
        return subscription

    def start_listening(self) -> None:
        """Bind to the running event loop and, with Redis, hear every process's
        events: open pages need them, and so does the changes clock."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # A new event loop (a restarted server, or a test): timers and the
            # listener of the old one are gone with it.
            self._loop = loop
            self._presence_flush = None
            self._presence_pending = {}
            self._listener = None
            self._keepalive_clock = None
        if self._keepalive_clock is None or self._keepalive_clock.done():
            self._keepalive_clock = self._loop.create_task(self._keep_alive())
        if self._listener is None or self._listener.done():
            self._listening = asyncio.Event()
            if settings.BROADSHEET_REDIS_URL:
                self._listener = self._loop.create_task(self._listen_to_redis())
            else:
                self._listener = self._loop.create_task(self._follow_message_journal())

    async def stop_listening(self, timeout: float = 2.0) -> None:
        """Cancel the listener and wait (at most `timeout`) until it has closed its
        connection: before the event loop it runs in is closed.

        Left to the loop's own shutdown, the listener and the Redis client's
        inner tasks are cancelled all at once, and a cancel that lands while the
        client is still sending its SUBSCRIBE can leave the loop waiting forever.
        """
        clock, self._keepalive_clock = self._keepalive_clock, None
        if clock is not None and not clock.done():
            clock.cancel()
        task, self._listener = self._listener, None
        if task is None or task.done():
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), timeout)

    async def wait_until_listening(self, timeout: float) -> None:
        """Start listening and wait (at most `timeout`) until subscribed to Redis."""
        self.start_listening()
        if settings.BROADSHEET_REDIS_URL:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._listening.wait()

    def unsubscribe(self, subscription: Subscription) -> None:
        LIVE_PAGES.dec()
        self._open.discard(subscription)
        for index, key in (
            (self._by_article, subscription.article),
            (self._by_reader, subscription.reader),
        ):
            subscribers = index.get(key) if key is not None else None
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del index[key]

    # --- publishing (called from any thread) -----------------------------------

    def publish(self, message: LiveMessage) -> None:
        if message.event.get("type") == READER_CHANGED:
            self._publish_reader_changed(message)
            return
        if message.article is not None and message.reader is None:
            # At once, in this thread: the writer's next request must not be
            # answered from a page stored before its write.
            changes.clock.article_changed(message.article)
            if not settings.BROADSHEET_REDIS_URL:
                # Other processes of this machine (workers, or the server when
                # this is a shell command such as `broadsheet publish`) have no
                # other way to hear of it.
                changes.journal.record(message.article)
        if message.reader is not None:
            # Private news (a notification, a count read) changes the reader's
            # personal layer too: the account links show the unread count.
            changes.clock.reader_changed(message.reader)
        if message.reader is not None and not settings.BROADSHEET_REDIS_URL:
            # The task worker, which tells readers of notifications, holds no
            # pages: the server processes of this machine read it from the file.
            changes.messages.record(message.to_json())
        if settings.BROADSHEET_REDIS_URL:
            try:
                self._redis().publish(CHANNEL, message.to_json())
            except Exception:
                # The change itself is committed and kept in LiveEvent: pages
                # get it when they next resume. Never fail a comment over this.
                logger.exception("live: could not publish to Redis")
            return
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.dispatch, message)

    def _publish_reader_changed(self, message: LiveMessage) -> None:
        # At once here; then every other process: through Redis when there is one,
        # else through the change journal (the processes of this machine).
        changes.clock.reader_changed(message.reader)
        if not settings.BROADSHEET_REDIS_URL:
            changes.journal.record_reader(message.reader)
            return
        try:
            self._redis().publish(CHANNEL, message.to_json())
        except Exception:
            # Other processes drop the layer within BROADSHEET_PERSONAL_LAYER_SECONDS.
            logger.exception("live: could not publish to Redis")

    def _redis(self):
        with self._lock:
            if self._redis_client is None:
                # Deferred: importing redis costs about 0.2 s, which a process
                # without BROADSHEET_REDIS_URL (a shell command) should not pay.
                import redis

                self._redis_client = redis.Redis.from_url(settings.BROADSHEET_REDIS_URL)
            return self._redis_client

    # --- delivery (in the event loop) -------------------------------------------

    def dispatch(self, message: LiveMessage) -> None:
        if message.event.get("type") == READER_CHANGED:
            changes.clock.reader_changed(message.reader)
            return  # for caches only: no page hears of it
        if message.reader is not None:
            changes.clock.reader_changed(message.reader)
            self._offer_all(self._by_reader.get(message.reader, ()), message)
            return
        if message.article is None:
            self._gather_presence(message.event.get("readers", {}))
            return
        changes.clock.article_changed(message.article)
        if message.event.get("type") == PAGE_CHANGED:
            return  # for caches only: open pages learn nothing from it
        self._offer_all(self._by_article.get(message.article, ()), message)

    @staticmethod
    def _offer_all(subscriptions, message: LiveMessage) -> None:
        """Hand `message` to every page in `subscriptions`: an append and a wake-up
        each, the counters touched once for all of them."""
        message.sse_bytes  # formatted once, before the first page asks  # noqa: B018
        delivered = 0
        for subscription in list(subscriptions):
            delivered += subscription.offer(message)
        if delivered:
            LIVE_MESSAGES.inc(delivered)

    def _gather_presence(self, readers: dict[str, int]) -> None:
        """Batch presence: many readers changing at once make one event per page."""
        self._presence_pending.update(readers)
        if self._presence_flush is None and self._loop is not None:
            self._presence_flush = self._loop.call_later(
                settings.BROADSHEET_PRESENCE_BATCH_SECONDS, self._flush_presence
            )

    def _flush_presence(self) -> None:
        self._presence_flush = None
        if not self._presence_pending:
            return
        message = LiveMessage(event=presence_changed(self._presence_pending))
        self._presence_pending = {}
        for subscribers in list(self._by_article.values()):
            self._offer_all(subscribers, message)
        # Pages that follow no discussion show no one's presence.

    async def _keep_alive(self) -> None:
        """One clock for every stream of the process: wake those that have written
        nothing for BROADSHEET_LIVE_KEEPALIVE_SECONDS, so they send a keep-alive
        (and their feature's heartbeat). A look at each open stream costs well
        under a microsecond; a timer per stream cost 20 µs per event per stream."""
        while True:
            keepalive = settings.BROADSHEET_LIVE_KEEPALIVE_SECONDS
            await asyncio.sleep(min(1.0, keepalive / 4))
            due = time.monotonic() - keepalive
            for subscription in list(self._open):
                if subscription.last_sent <= due and not subscription.pending:
                    subscription.wake()

    async def _follow_message_journal(self) -> None:
        """Without Redis: deliver the private messages other processes wrote."""
        changes.messages.read_new()  # from now on: older ones are not this process's
        while True:
            await asyncio.sleep(MESSAGE_JOURNAL_POLL_SECONDS)
            if not self._by_reader:
                changes.messages.read_new()  # nobody to tell: just keep up
                continue
            for raw in changes.messages.read_new():
                try:
                    message = LiveMessage.from_json(raw)
                except (ValueError, KeyError):
                    continue
                if message.reader is not None:
                    self.dispatch(message)

    async def _listen_to_redis(self) -> None:
        import redis.asyncio as aioredis  # deferred, as in _redis: only with Redis

        delay = 0.5
        while True:
            client = aioredis.Redis.from_url(settings.BROADSHEET_REDIS_URL)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    # Whatever was published while we were not listening is
                    # unknown: forget every stored page.
                    changes.clock.everything_changed()
                    self._listening.set()
                    delay = 0.5
                    async for raw in pubsub.listen():
                        if raw.get("type") == "message":
                            self.dispatch(LiveMessage.from_json(raw["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # Closing the pubsub on the way out of a cancel can fail in its
                    # turn; that error must not swallow the cancel, or the loop
                    # would reconnect forever and its event loop never close.
                    raise asyncio.CancelledError from None
                logger.exception("live: Redis listener lost its connection; retrying")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()


_collector_tuned = False
# Open streams in one process before its collector is tuned. Every process
# starts listening (its front cache does), but only one holding many streams
# gains from rare full collections; in the others they would only let the
# cycles that each request leaves behind pile up (a `serve` process rendering
# pages grew from about 0.2 to 1.2 GB in `bench compare` with the tuning on
# from the start).
STREAMS_BEFORE_COLLECTOR_TUNING = 1000


def _tune_collector() -> None:
    """Make full garbage collections rare in a process that holds many live streams.

    Each open stream is a few dozen long-lived objects (its connection, task,
    coroutine frames, subscription), and every event leaves a new waiter per
    stream: at 10,000 streams CPython's default thresholds ran a full
    collection every few events, each a pause of about 0.8 s for every page
    (docs/adr/0023-live-streams-outside-django.md). Everything alive when the
    first stream opens (Django, the URL map, templates) is frozen out of the
    collector's sight, and a full collection waits for `BROADSHEET_LIVE_GC_GEN2_THRESHOLD`
    younger collections instead of 10. Cycles still get collected, less often.
    """
    global _collector_tuned
    if _collector_tuned:
        return
    _collector_tuned = True
    threshold = settings.BROADSHEET_LIVE_GC_GEN2_THRESHOLD
    if not threshold:
        return
    gc.freeze()
    young, middle, _old = gc.get_threshold()
    gc.set_threshold(young, middle, threshold)


hub = LiveHub()
