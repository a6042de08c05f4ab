"""A reader's private replies feed address: seen, made and revoked on their own
profile, and by nobody else."""

import pytest

from broadsheet.readers.access import get_reply_feed_token
from broadsheet.readers.models import ReplyFeedKey

pytestmark = pytest.mark.django_db

SETTING = "/readers/kestrel-7/replies-feed/"


def test_owner_turns_the_replies_feed_on_sees_its_address_and_turns_it_off(
    signed_in_client, kestrel
):
    page = signed_in_client.get("/readers/kestrel-7/").content.decode()
    assert "Your replies feed is off." in page
    response = signed_in_client.post(SETTING, {"action": "create"})
    assert response.status_code == 302
    assert response["Location"] == "/readers/kestrel-7/#replies-feed"
    token = get_reply_feed_token(kestrel)
    address = f"http://testserver/feeds/replies/{token}.atom"
    page = signed_in_client.get("/readers/kestrel-7/")
    assert address in page.content.decode()
    assert "private" in page["Cache-Control"]
    assert signed_in_client.get(address).status_code == 200

    signed_in_client.post(SETTING, {"action": "create"})
    assert get_reply_feed_token(kestrel) != token
    assert signed_in_client.get(address).status_code == 404

    signed_in_client.post(SETTING, {"action": "revoke"})
    assert not ReplyFeedKey.objects.filter(reader=kestrel).exists()
    assert "/feeds/replies/" not in signed_in_client.get("/readers/kestrel-7/").content.decode()


def test_nobody_else_sees_or_changes_a_readers_replies_feed(client, kestrel, nikolai):
    client.force_login(kestrel)
    client.post(SETTING, {"action": "create"})
    token = get_reply_feed_token(kestrel)
    client.logout()
    assert token not in client.get("/readers/kestrel-7/").content.decode()
    response = client.post(SETTING, {"action": "revoke"})
    assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"]
    client.force_login(nikolai)
    page = client.get("/readers/kestrel-7/").content.decode()
    assert token not in page and "replies-feed" not in page
    assert client.post(SETTING, {"action": "revoke"}).status_code == 404
    assert client.get(SETTING).status_code == 405
    assert get_reply_feed_token(kestrel) == token


def test_unknown_action_is_a_clear_400(signed_in_client, kestrel):
    response = signed_in_client.post(SETTING, {"action": "explode"})
    assert response.status_code == 400
    assert not ReplyFeedKey.objects.filter(reader=kestrel).exists()


def test_profile_advertises_the_readers_public_comments_feed(client, kestrel):
    page = client.get("/readers/kestrel-7/").content.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" '
        'title="Comments by Anna Petrova (kestrel-7)" href="/readers/kestrel-7/comments.atom">'
    ) in page
