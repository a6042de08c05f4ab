"""The header's count is live, on a private channel: a reader's own open pages
hear of their notifications; nobody else's page does, signed in or not."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from broadsheet.background.worker import run_ready_tasks
from broadsheet.discussion.operations import post_comment
from broadsheet.live.hub import hub
from broadsheet.notifications.operations import mark_notifications_read
from tests.live.test_stream import run

pytestmark = pytest.mark.django_db(transaction=True)


def _drain(subscription) -> list[dict]:
    return [message.event for message in subscription.take()]


def test_only_the_readers_own_pages_hear_of_their_notifications(article, make_reader):
    alice, bob, carol = make_reader("alice"), make_reader("bob"), make_reader("carol")
    first = post_comment(article=article, author=alice, body="The ferry is late.")

    async def scenario():
        alices_article_page = hub.subscribe(article.pk, alice.pk)
        alices_other_page = hub.subscribe(None, alice.pk)
        carols_page = hub.subscribe(article.pk, carol.pk)
        anonymous_page = hub.subscribe(article.pk)
        await hub.wait_until_listening(timeout=5)
        try:
            await sync_to_async(post_comment)(
                article=article, author=bob, parent=first, body="Private news for alice"
            )
            await sync_to_async(run_ready_tasks)()
            await asyncio.sleep(0.5)
            heard = {
                "alice/article": _drain(alices_article_page),
                "alice/other": _drain(alices_other_page),
                "carol": _drain(carols_page),
                "anonymous": _drain(anonymous_page),
            }
            await sync_to_async(mark_notifications_read)(reader=alice)
            await asyncio.sleep(0.5)
            heard["alice/after read"] = _drain(alices_other_page)
            heard["carol/after read"] = _drain(carols_page)
            return heard
        finally:
            for subscription in (alices_article_page, alices_other_page, carols_page):
                hub.unsubscribe(subscription)
            hub.unsubscribe(anonymous_page)

    heard = run(scenario())
    private = {"type": "notification.created", "kind": "reply", "article": article.pk}
    for page in ("alice/article", "alice/other"):
        created = [e for e in heard[page] if e["type"] == "notification.created"]
        assert len(created) == 1 and created[0].items() >= private.items()
        assert created[0]["number"] == 2
    for page in ("carol", "anonymous"):
        assert not [e for e in heard[page] if e["type"].startswith("notification")]
    assert heard["alice/after read"] == [{"type": "notifications.read", "unread": 0}]
    assert heard["carol/after read"] == []


def test_the_private_stream_is_for_signed_in_readers_only(async_client):
    response = run(async_client.get(reverse("notifications:live")))
    assert response.status_code == 403
