"""The live stream: delivery, resume after a gap, and catching up without duplicates."""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from broadsheet.discussion.operations import post_comment
from broadsheet.live.hub import OVERFLOW, LiveMessage, hub
from broadsheet.live.publishing import latest_event_id, list_events_after
from broadsheet.live.streams import _events

pytestmark = pytest.mark.django_db(transaction=True)


def run(coroutine):
    """asyncio.run on a thread of its own: Playwright's session keeps a loop running
    in the main thread once browser tests have run."""
    outcome = {}

    async def and_close_connections():
        try:
            return await coroutine
        finally:
            # The hub's listener lives in this loop: stop it before the loop closes.
            await hub.stop_listening()
            # The database connections opened for sync_to_async calls live in
            # this loop's threads: close them, or the test database stays in use.
            await sync_to_async(connections.close_all)()

    def target():
        try:
            outcome["value"] = asyncio.run(and_close_connections())
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


async def take(stream, count: int, timeout: float = 5) -> list[str]:
    """The next `count` events (not comments/keep-alives) from the stream."""
    chunks = []
    while len(chunks) < count:
        chunk = await asyncio.wait_for(stream.__anext__(), timeout)
        if "event:" in chunk:
            chunks.append(chunk)
    return chunks


def test_resume_sends_exactly_the_missed_events_then_live_ones(article, kestrel, settings):
    settings.BROADSHEET_LIVE_KEEPALIVE_SECONDS = 0.2
    first = post_comment(article=article, author=kestrel, body="Seen")
    seen = latest_event_id(article_id=article.pk)
    post_comment(article=article, author=kestrel, body="Missed one")
    post_comment(article=article, author=kestrel, body="Missed two", parent=first)

    async def scenario():
        subscription = hub.subscribe(article.pk)
        stream = _events(subscription, article.pk, seen, None)
        missed = await take(stream, 2)
        await sync_to_async(post_comment)(article=article, author=kestrel, body="Live")
        live = await take(stream, 1)
        await stream.aclose()
        return missed, live, subscription

    missed, live, subscription = run(scenario())
    assert "Missed one" in missed[0] and "Missed two" in missed[1]
    assert missed[0].startswith(f"id: {seen + 1}\nevent: comment.posted\n")
    assert "Live" in live[0] and "event: comment.posted" in live[0]
    # Closing the stream unsubscribed it.
    assert subscription not in hub._by_article.get(article.pk, set())


def test_too_much_missed_means_reload(article, kestrel, settings):
    settings.BROADSHEET_LIVE_RESUME_LIMIT = 2
    post_comment(article=article, author=kestrel, body="Seen")
    seen = latest_event_id(article_id=article.pk)
    for n in range(3):
        post_comment(article=article, author=kestrel, body=f"Missed {n}")
    assert list_events_after(article_id=article.pk, after=seen) is None

    async def scenario():
        stream = _events(hub.subscribe(article.pk), article.pk, seen, None)
        chunk = await take(stream, 1)
        await stream.aclose()
        return chunk

    assert "event: discussion.reload" in run(scenario())[0]


def test_an_event_already_replayed_is_not_sent_twice(article, kestrel):
    post_comment(article=article, author=kestrel, body="Seen")
    seen = latest_event_id(article_id=article.pk)
    post_comment(article=article, author=kestrel, body="Replayed")
    replayed_id = latest_event_id(article_id=article.pk)

    async def scenario():
        subscription = hub.subscribe(article.pk)
        # The same event also arrives through the hub, as it would if it was
        # published while the page was catching up.
        hub.dispatch(
            LiveMessage(event={"type": "comment.posted"}, article=article.pk, id=replayed_id)
        )
        hub.dispatch(
            LiveMessage(event={"type": "comment.voted"}, article=article.pk, id=replayed_id + 1)
        )
        stream = _events(subscription, article.pk, seen, None)
        chunks = await take(stream, 2)
        await stream.aclose()
        return chunks

    chunks = run(scenario())
    assert f"id: {replayed_id}\n" in chunks[0] and "Replayed" in chunks[0]
    assert f"id: {replayed_id + 1}\nevent: comment.voted" in chunks[1]


def test_a_connection_that_falls_far_behind_is_told_to_reload(article, settings):
    settings.BROADSHEET_LIVE_STREAM_BUFFER_EVENTS = 100

    async def scenario():
        subscription = hub.subscribe(article.pk)
        for n in range(600):
            hub.dispatch(LiveMessage(event={"type": "comment.voted"}, article=article.pk, id=n))
        items = subscription.take()
        hub.unsubscribe(subscription)
        return items

    # Its buffer let go of the events: only the reload is left to send.
    assert run(scenario()) == [OVERFLOW]


def test_presence_changes_are_batched_into_one_event_per_page(article, settings):
    settings.BROADSHEET_PRESENCE_BATCH_SECONDS = 0.1

    async def scenario():
        subscription = hub.subscribe(article.pk)
        for n in range(50):
            hub.dispatch(LiveMessage(event={"type": "presence.changed", "readers": {f"r{n}": 300}}))
        await asyncio.wait_for(subscription.wait(), 2)
        message, *others = subscription.take()
        hub.unsubscribe(subscription)
        return message, len(others)

    message, others = run(scenario())
    assert others == 0
    assert message.event["type"] == "presence.changed"
    assert len(message.event["readers"]) == 50
