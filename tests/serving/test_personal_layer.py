"""One page for everyone plus a personal layer (docs/personal-layer.md, ADR 0020):
a signed-in reader whose script runs gets the shared page's bytes, and their own
layer, kept per session in the front cache, never anyone else's.

These drive the real ASGI application (Django behind the front cache) in this
process, as tests/serving/test_front_cache.py does; `through_django` counts the
requests that got past the front cache.
"""

import json
import subprocess
import sys
import time

import pytest
from django.test import Client, override_settings

from broadsheet.discussion.operations import post_comment, vote_on_comment
from broadsheet.readers.devices import hash_session_key
from broadsheet.readers.operations import end_sessions
from broadsheet.serving.personal_layer import MARKER_COOKIE
from tests.serving.test_front_cache import Site
from tests.writes import hold_a_comment

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/articles/the-last-ferry/"
LAYER = "/layer/articles/the-last-ferry/"
CSRF_SECRET = "k" * 32


@pytest.fixture
def site(article):
    site = Site()
    yield site
    site.close()


def session_of(reader, csrf: str = CSRF_SECRET, marker: str = "1") -> dict[str, str]:
    """The Cookie header of a browser signed in as `reader` whose page script runs."""
    client = Client()
    client.force_login(reader)
    return cookie_of(client.cookies["sessionid"].value, csrf=csrf, marker=marker)


def cookie_of(session_key: str, csrf: str = CSRF_SECRET, marker: str = "1") -> dict[str, str]:
    cookie = f"sessionid={session_key}; csrftoken={csrf}"
    if marker:
        cookie += f"; {MARKER_COOKIE}={marker}"
    return {"Cookie": cookie}


def layer_of(site, headers, query: str = "") -> dict:
    reply = site.get(LAYER + query, headers=headers)
    assert reply.status == 200, reply.text
    return json.loads(reply.text)


def test_a_marked_reader_gets_the_signed_out_readers_bytes(site, article, kestrel, nikolai):
    post_comment(article=article, author=nikolai, body="Shared words")
    marked = site.get(headers=session_of(kestrel))
    signed_out = site.get()
    assert marked.status == signed_out.status == 200
    assert marked.body == signed_out.body
    assert site.through_django == 1  # the second came from the front cache
    assert "kestrel-7" not in marked.text and "<textarea" not in marked.text
    assert "Shared words" in marked.text
    assert "set-cookie" not in marked.headers


def test_an_unmarked_or_messaged_signed_in_reader_still_gets_their_own_page(site, kestrel):
    unmarked = session_of(kestrel, marker="")
    assert "kestrel-7" in site.get(headers=unmarked).text
    with_messages = session_of(kestrel)
    with_messages["Cookie"] += "; messages=abc"
    assert "kestrel-7" in site.get(headers=with_messages).text
    assert "kestrel-7" not in site.get().text  # neither was kept for everyone


def test_other_pages_are_drawn_for_a_marked_reader(site, kestrel):
    marked = session_of(kestrel)
    site.get("/")  # the home page, kept for signed-out readers
    home = site.get("/", headers=marked)
    assert "kestrel-7" in home.text  # Django drew it with the reader's account links


def test_a_repeat_layer_is_a_front_cache_hit_with_private_no_cache(site, article, kestrel):
    marked = session_of(kestrel)
    first = site.get(LAYER, headers=marked)
    again = site.get(LAYER, headers=marked)
    assert first.status == again.status == 200
    assert site.through_django == 1
    assert first.body == again.body
    cache_control = set(again.headers["cache-control"].replace(" ", "").split(","))
    assert {"private", "no-cache"} <= cache_control
    assert "x-broadsheet-personal" not in again.headers
    revalidated = site.get(LAYER, headers={**marked, "If-None-Match": again.headers["etag"]})
    assert revalidated.status == 304
    assert site.through_django == 1


def test_two_readers_one_page_each_their_own_votes_controls_and_held_comments(
    site, article, kestrel, nikolai, moderator
):
    held = hold_a_comment(article=article, author=nikolai, moderator=moderator)
    mine = post_comment(article=article, author=kestrel, body="Kestrel writes")
    theirs = post_comment(article=article, author=nikolai, body="Nikolai answers")
    vote_on_comment(comment=theirs, voter=kestrel, value=1)
    kestrels = layer_of(site, session_of(kestrel))
    nikolais = layer_of(site, session_of(nikolai))

    assert kestrels["handle"] == "kestrel-7" and nikolais["handle"] == "unc-2"
    assert "kestrel-7" in kestrels["nav"] and "unc-2" not in kestrels["nav"]
    assert "Post comment" in kestrels["form"]
    own = kestrels["comments"][str(mine.number)]
    assert own["edit_url"].endswith(f"/comments/{mine.number}/edit/")
    assert own["delete_url"] and own["vote"] == "" and own["report_url"] == ""
    assert kestrels["comments"][str(theirs.number)]["my_vote"] == 1
    # Nikolai's held comment is his alone.
    assert kestrels["held"] == []
    assert [h["number"] for h in nikolais["held"]] == [held.number]
    assert "Held, then shown" in nikolais["held"][0]["html"]
    assert "Held, then shown" not in json.dumps(kestrels)
    # Kestrel's comment is a plain one on Nikolai's page, and his own vote is not hers.
    assert str(mine.number) not in nikolais["comments"]
    assert nikolais["comments"][str(theirs.number)]["edit_url"]
    assert nikolais["comments"][str(theirs.number)]["my_vote"] == 0


def test_the_layer_is_never_served_for_another_session(site, article, kestrel, nikolai):
    post_comment(article=article, author=kestrel, body="Kestrel writes")
    assert layer_of(site, session_of(kestrel))["handle"] == "kestrel-7"
    # Same path, same language, same CSRF cookie: only the session differs.
    assert layer_of(site, session_of(nikolai))["handle"] == "unc-2"
    # The same session with another CSRF cookie gets a token made from its own.
    other_csrf = session_of(kestrel, csrf="z" * 32)
    assert layer_of(site, other_csrf)["handle"] == "kestrel-7"
    assert site.through_django == 3


def test_a_signed_out_session_gets_no_layer_and_no_kept_copy(site, article, kestrel):
    client = Client()
    client.force_login(kestrel)
    cookie = cookie_of(client.cookies["sessionid"].value)
    assert layer_of(site, cookie)["handle"] == "kestrel-7"
    client.logout()  # the session is gone; a copy of its cookie is all that is left
    after = site.get(LAYER, headers=cookie)
    assert after.status == 401
    assert "kestrel-7" not in after.text
    # The server forgets the marker: the next page is simply the signed-out one.
    signed_out = Client()
    signed_out.cookies[MARKER_COOKIE] = "1"
    refused = signed_out.get(LAYER)
    assert refused.status_code == 401
    assert refused.cookies[MARKER_COOKIE].value == ""


def test_a_session_ended_from_another_device_stops_getting_its_kept_layer(site, article, kestrel):
    client = Client()
    client.force_login(kestrel)
    session_key = client.cookies["sessionid"].value
    cookie = cookie_of(session_key)
    assert layer_of(site, cookie)["handle"] == "kestrel-7"
    assert site.get(LAYER, headers=cookie).status == 200  # kept
    end_sessions(reader=kestrel, key_hashes=[hash_session_key(session_key)])
    ended = site.get(LAYER, headers=cookie)
    assert ended.status == 401
    assert "kestrel-7" not in ended.text


def test_another_process_saying_the_reader_changed_is_heard(site, article, kestrel):
    marked = session_of(kestrel)
    layer_of(site, marked)
    layer_of(site, marked)
    assert site.through_django == 1
    # Another process (a worker, a shell command, another server) says the reader
    # changed: through Redis when configured, else through the change journal.
    code = (
        "from broadsheet.live.hub import READER_CHANGED, LiveMessage, hub; "
        f"hub.publish(LiveMessage(event={{'type': READER_CHANGED}}, reader={kestrel.pk}))"
    )
    subprocess.run(
        [sys.executable, "-m", "broadsheet.cli", "manage", "shell", "-c", code],
        check=True,
        timeout=120,
    )
    deadline = time.monotonic() + 5
    while site.through_django == 1 and time.monotonic() < deadline:
        site.app._journal_due = 0.0  # look at the journal now, not up to 50 ms later
        layer_of(site, marked)
        time.sleep(0.05)
    assert site.through_django == 2


def test_a_vote_renews_the_layer(site, article, kestrel, nikolai):
    theirs = post_comment(article=article, author=nikolai, body="Nikolai answers")
    marked = session_of(kestrel)
    assert str(theirs.number) not in layer_of(site, marked)["comments"]
    vote_on_comment(comment=theirs, voter=kestrel, value=-1)
    assert layer_of(site, marked)["comments"][str(theirs.number)]["my_vote"] == -1


def test_a_signed_in_moderator_is_left_on_the_full_page(site, article, moderator):
    answer = site.get(LAYER, headers=session_of(moderator))
    assert json.loads(answer.text) == {"full_page": True}
    assert f"{MARKER_COOKIE}=0" in answer.headers["set-cookie"]
    client = Client()
    client.force_login(moderator)
    client.cookies[MARKER_COOKIE] = "1"
    assert moderator.handle in client.get(URL).content.decode()


def test_without_the_front_cache_detail_draws_the_shared_page_too(client, article, kestrel):
    client.force_login(kestrel)
    client.cookies[MARKER_COOKIE] = "1"
    page = client.get(URL).content.decode()
    assert "kestrel-7" not in page and "<textarea" not in page
    del client.cookies[MARKER_COOKIE]
    assert "kestrel-7" in client.get(URL).content.decode()


def test_the_first_layer_sets_the_marker_and_is_not_kept(site, client, article, kestrel):
    client.force_login(kestrel)
    assert client.get(LAYER).cookies[MARKER_COOKIE].value == "1"
    unmarked = session_of(kestrel, marker="")
    assert site.get(LAYER, headers=unmarked).status == 200
    site.get(LAYER, headers=unmarked)
    assert site.through_django == 2  # never answered from memory without the marker


def test_a_layer_asked_with_other_parameters_is_refused(site, article, kestrel):
    marked = session_of(kestrel)
    assert site.get(LAYER + "?sort=zzz", headers=marked).status == 400
    assert site.get(LAYER + "?utm=1", headers=marked).status == 400
    assert site.get(LAYER + "?sort=newest", headers=marked).status == 200


def test_held_comments_past_the_cap_are_counted_not_sent(site, article, kestrel, moderator):
    from broadsheet.moderation.operations import set_discussion_mode

    set_discussion_mode(article=article, editor=moderator, mode="premoderated")
    for n in range(3):
        post_comment(article=article, author=kestrel, body=f"Held number {n}")
    with override_settings(BROADSHEET_PERSONAL_LAYER_MAX_HELD=2):
        layer = layer_of(site, session_of(kestrel))
    assert len(layer["held"]) == 2 and layer["held_left_out"] == 1
    assert layer["held"][0]["after"] is None
    assert layer["held"][1]["after"] == layer["held"][0]["number"]
    assert "1 more of your comments" in layer["labels"]["more_held"]


def test_the_layer_request_keeps_the_reader_online(site, article, kestrel):
    assert not kestrel.is_online
    layer_of(site, session_of(kestrel))
    kestrel.refresh_from_db()
    assert kestrel.is_online


def test_a_hostile_held_comment_stays_escaped_in_the_layer(site, article, kestrel, moderator):
    from broadsheet.moderation.operations import set_discussion_mode

    set_discussion_mode(article=article, editor=moderator, mode="premoderated")
    post_comment(
        article=article,
        author=kestrel,
        body="<script>alert(1)</script> <img src=x onerror=alert(2)>",
    )
    layer = layer_of(site, session_of(kestrel))
    html = layer["held"][0]["html"]
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)" in html  # shown as the text it is


# The session, the reader, the article and its discussion, the page's comments
# and replies, the reader's votes on them, following, notifications: the same for
# 3 comments as for 40.
LAYER_QUERIES = 12


@pytest.mark.parametrize("comments", [3, 40])
def test_the_layer_costs_a_fixed_number_of_queries(
    client, article, kestrel, nikolai, comments, django_assert_max_num_queries
):
    for n in range(comments):
        made = post_comment(article=article, author=nikolai if n % 2 else kestrel, body=f"Say {n}")
        if n % 2:
            vote_on_comment(comment=made, voter=kestrel, value=1)
    client.force_login(kestrel)
    client.get(LAYER)  # the session's first request touches its row: not the layer's cost
    with django_assert_max_num_queries(LAYER_QUERIES):
        response = client.get(LAYER)
    assert response.status_code == 200


def test_following_renews_the_layer(site, article, kestrel):
    from broadsheet.notifications.operations import follow_discussion

    marked = session_of(kestrel)
    assert "Follow this discussion" in layer_of(site, marked)["follow"]
    follow_discussion(reader=kestrel, article=article)
    assert "Stop following this discussion" in layer_of(site, marked)["follow"]


def test_a_new_notification_renews_the_layer(site, article, kestrel, nikolai):
    mine = post_comment(article=article, author=kestrel, body="Kestrel asks")
    marked = session_of(kestrel)
    layer_of(site, marked)
    from broadsheet.notifications.operations import (
        notify_about_queued_comments,
        queue_comment_for_notifications,
    )

    reply = post_comment(article=article, author=nikolai, body="@kestrel-7 answers", parent=mine)
    queue_comment_for_notifications(comment=reply)
    notify_about_queued_comments()
    before = site.through_django
    layer = layer_of(site, marked)
    assert site.through_django == before + 1
    assert 'data-unread="1"' in layer["nav"]


@override_settings(BROADSHEET_PERSONAL_LAYERS_PER_MINUTE=2)
def test_layers_drawn_by_django_are_limited_per_reader(client, article, kestrel):
    from django.core.cache import cache

    cache.clear()
    client.force_login(kestrel)
    assert [client.get(LAYER).status_code for _ in range(2)] == [200, 200]
    refused = client.get(LAYER)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"


def test_the_way_back_to_the_full_page_forgets_the_marker_and_stays_on_the_site(client):
    client.cookies[MARKER_COOKIE] = "1"
    back = client.get("/layer/full-page/?next=" + URL)
    assert back.status_code == 302 and back["Location"] == URL
    assert back.cookies[MARKER_COOKIE].value == ""
    for elsewhere in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        assert client.get("/layer/full-page/", {"next": elsewhere})["Location"] == "/"
