"""Nothing hidden is ever published, live or replayed (issue 10, points 1 and 7).

A page that resumes its live stream (`Last-Event-ID`, or `?after=0` from anyone)
is sent the stored events; deleted and rejected words must not be among them.
A reader who appears offline sends no presence at all, so nobody can tell when
they are active.
"""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from broadsheet.discussion.operations import delete_comment, edit_comment, post_comment
from broadsheet.live.hub import hub
from broadsheet.live.models import LiveEvent
from broadsheet.live.streams import _events
from broadsheet.moderation.operations import reject_comment, set_discussion_mode
from broadsheet.readers.models import Reader
from broadsheet.readers.operations import (
    record_reader_activity,
    record_reader_connected,
    set_appear_offline,
)
from tests.live.test_stream import run

pytestmark = pytest.mark.django_db(transaction=True)


def replay(article, after: int = 0) -> str:
    """Everything a page resuming after event `after` is sent before it goes live."""

    async def scenario():
        subscription = hub.subscribe(article.pk)
        stream = _events(subscription, article.pk, after, None)
        chunks = []
        async for chunk in stream:
            if chunk.startswith(": keep-alive"):
                break  # caught up: the stream now waits for live events
            chunks.append(chunk)
        await stream.aclose()
        return "".join(chunks)

    return run(scenario())


@pytest.fixture(autouse=True)
def _short_keepalive(settings):
    settings.BROADSHEET_LIVE_KEEPALIVE_SECONDS = 0.2


def test_a_deleted_comment_is_not_replayed_with_its_words(article, kestrel, nikolai):
    kept = post_comment(article=article, author=nikolai, body="Words that stay")
    gone = post_comment(article=article, author=kestrel, body="Regret number one", parent=kept)
    edit_comment(comment=gone, editor=kestrel, body="Regret number two")
    delete_comment(comment=gone, deleter=kestrel)

    sent = replay(article)
    assert "Regret" not in sent
    assert "event: comment.deleted" in sent and "Comment deleted by its author." in sent
    assert "Words that stay" in sent


def test_a_rejected_comment_is_not_replayed_with_its_words(article, kestrel, moderator):
    comment = post_comment(article=article, author=kestrel, body="Abuse the moderator removed")
    reject_comment(comment=comment, moderator=moderator, reason="abuse")

    sent = replay(article)
    assert "Abuse the moderator removed" not in sent
    assert "event: comment.removed" in sent and "Comment removed by a moderator." in sent


def test_a_held_comment_rejected_after_an_edit_leaves_no_words_to_replay(
    article, kestrel, moderator
):
    set_discussion_mode(article=article, editor=moderator, mode="premoderated")
    held = post_comment(article=article, author=kestrel, body="Held words")
    edit_comment(comment=held, editor=kestrel, body="Held words, edited")
    reject_comment(comment=held, moderator=moderator, reason="spam")

    assert "Held words" not in replay(article)


def test_erasing_a_comment_leaves_the_events_of_other_comments(article, kestrel, nikolai):
    first = post_comment(article=article, author=kestrel, body="First")
    post_comment(article=article, author=nikolai, body="Second")
    delete_comment(comment=first, deleter=kestrel)

    numbered = LiveEvent.objects.order_by("id").values_list("type", "comment_number")
    assert list(numbered) == [("comment.posted", 2), ("comment.deleted", 1)]


def test_a_comment_restored_after_rejection_is_replayed_as_it_is_now(article, kestrel, moderator):
    from broadsheet.moderation.operations import approve_comment

    comment = post_comment(article=article, author=kestrel, body="Back again")
    reject_comment(comment=comment, moderator=moderator, reason="mistake")
    approve_comment(comment=comment, moderator=moderator)

    sent = replay(article)
    assert sent.index("event: comment.removed") < sent.index("event: comment.posted")
    assert sent.count("Back again") == 1


# --- presence --------------------------------------------------------------------


def presence_sent_while(action, settings) -> list[dict]:
    """The presence.changed events an open page receives while `action` runs."""
    settings.BROADSHEET_PRESENCE_BATCH_SECONDS = 0.05

    async def scenario():
        subscription = hub.subscribe(0)
        # With Redis, events published before the hub's subscription stands are lost.
        await hub.wait_until_listening(timeout=5)
        await sync_to_async(action)()
        await asyncio.sleep(0.4)  # several batches
        received = [message.event for message in subscription.take()]
        hub.unsubscribe(subscription)
        return received

    return [event["readers"] for event in run(scenario()) if event["type"] == "presence.changed"]


def fresh(reader) -> Reader:
    return Reader.objects.get(pk=reader.pk)


def test_a_reader_who_appears_offline_sends_no_presence_when_active_or_connected(
    kestrel, nikolai, settings
):
    set_appear_offline(reader=fresh(kestrel), appear_offline=True)

    def both_active():
        record_reader_activity(reader=fresh(kestrel))
        record_reader_connected(reader=fresh(kestrel))
        record_reader_activity(reader=fresh(nikolai))  # an ordinary reader, for contrast

    sent = presence_sent_while(both_active, settings)
    assert sent and all("unc-2" in readers for readers in sent)
    assert not any("kestrel-7" in readers for readers in sent)


def test_an_open_connection_stops_sending_presence_once_its_reader_appears_offline(
    kestrel, settings
):
    connected_as = fresh(kestrel)  # the stream holds the reader it was opened with

    def heartbeat_after_choosing():
        set_appear_offline(reader=fresh(kestrel), appear_offline=True)
        record_reader_connected(reader=connected_as)

    sent = presence_sent_while(heartbeat_after_choosing, settings)
    assert sent == [{"kestrel-7": 0}]  # the one final Offline, and nothing after it


def test_choosing_to_appear_offline_turns_the_reader_offline_once(kestrel, settings):
    record_reader_activity(reader=fresh(kestrel))

    def choose_twice():
        set_appear_offline(reader=fresh(kestrel), appear_offline=True)
        set_appear_offline(reader=fresh(kestrel), appear_offline=True)

    assert presence_sent_while(choose_twice, settings) == [{"kestrel-7": 0}]

    def come_back():
        set_appear_offline(reader=fresh(kestrel), appear_offline=False)

    (back,) = presence_sent_while(come_back, settings)
    assert back["kestrel-7"] > 0
