import datetime as dt

import pytest
import time_machine

from broadsheet.readers.models import Reader
from broadsheet.readers.operations import (
    record_reader_activity,
    record_reader_connected,
    set_appear_offline,
)

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2023, 6, 20, 12, 0, tzinfo=dt.UTC)


def fresh(reader):
    return Reader.objects.get(pk=reader.pk)


def test_an_open_live_connection_keeps_a_reader_online(kestrel):
    with time_machine.travel(NOON, tick=False):
        record_reader_connected(reader=kestrel)
    with time_machine.travel(NOON + dt.timedelta(minutes=4), tick=False):
        assert fresh(kestrel).is_online
        assert fresh(kestrel).presence_seconds_left == 60
    with time_machine.travel(NOON + dt.timedelta(minutes=5), tick=False):
        assert not fresh(kestrel).is_online


def test_connection_heartbeats_are_written_at_most_once_a_minute(kestrel):
    with time_machine.travel(NOON, tick=False):
        assert record_reader_connected(reader=kestrel)
    with time_machine.travel(NOON + dt.timedelta(seconds=30), tick=False):
        assert not record_reader_connected(reader=kestrel)
    with time_machine.travel(NOON + dt.timedelta(seconds=61), tick=False):
        assert record_reader_connected(reader=kestrel)


def test_the_newest_of_active_and_connected_counts(kestrel):
    with time_machine.travel(NOON, tick=False):
        record_reader_activity(reader=kestrel)
    with time_machine.travel(NOON + dt.timedelta(minutes=3), tick=False):
        record_reader_connected(reader=kestrel)
    with time_machine.travel(NOON + dt.timedelta(minutes=6), tick=False):
        assert fresh(kestrel).is_online  # connected 3 minutes ago
    with time_machine.travel(NOON + dt.timedelta(minutes=8), tick=False):
        assert not fresh(kestrel).is_online


def test_an_older_time_arriving_late_never_overwrites_a_newer_one(kestrel):
    later = NOON + dt.timedelta(minutes=2)
    record_reader_connected(reader=kestrel, now=later)
    stale_copy = Reader.objects.get(pk=kestrel.pk)
    stale_copy.last_connected_at = None  # as a request that loaded the reader earlier
    record_reader_connected(reader=stale_copy, now=NOON)
    assert fresh(kestrel).last_connected_at == later


def test_a_reader_who_appears_offline_is_never_reported_online(client, kestrel, article):
    from broadsheet.discussion.operations import post_comment

    set_appear_offline(reader=kestrel, appear_offline=True)
    record_reader_activity(reader=fresh(kestrel))
    record_reader_connected(reader=fresh(kestrel))
    post_comment(article=article, author=kestrel, body="Incognito")
    assert not fresh(kestrel).is_online
    html = client.get("/articles/the-last-ferry/").content.decode()
    assert 'data-online-seconds="0">Offline<' in html


def test_the_reader_chooses_to_appear_offline_on_their_profile(client, kestrel):
    client.force_login(kestrel)
    page = client.get("/readers/kestrel-7/").content.decode()
    assert "Appear offline" in page
    response = client.post("/readers/kestrel-7/presence/", {"appear_offline": "on"})
    assert response.status_code == 302
    assert fresh(kestrel).appear_offline
    client.post("/readers/kestrel-7/presence/", {})
    assert not fresh(kestrel).appear_offline


def test_nobody_else_can_change_a_readers_presence_setting(client, kestrel, nikolai):
    client.force_login(nikolai)
    response = client.post("/readers/kestrel-7/presence/", {"appear_offline": "on"})
    assert response.status_code == 404
    assert not fresh(kestrel).appear_offline
