import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from broadsheet.readers.models import Reader
from broadsheet.readers.operations import record_reader_activity

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2023, 6, 20, 12, 0, tzinfo=dt.UTC)


def test_a_reader_never_seen_is_offline(kestrel):
    assert kestrel.is_online is False


def test_a_reader_is_online_for_five_minutes_after_their_last_request(kestrel):
    with time_machine.travel(NOON, tick=False):
        record_reader_activity(reader=kestrel)
    with time_machine.travel(NOON + dt.timedelta(minutes=4, seconds=59), tick=False):
        assert Reader.objects.get(pk=kestrel.pk).is_online
    with time_machine.travel(NOON + dt.timedelta(minutes=5), tick=False):
        assert not Reader.objects.get(pk=kestrel.pk).is_online


def test_last_seen_is_written_at_most_once_a_minute(kestrel):
    with time_machine.travel(NOON, tick=False):
        assert record_reader_activity(reader=kestrel) is True
    with time_machine.travel(NOON + dt.timedelta(seconds=59), tick=False):
        assert record_reader_activity(reader=kestrel) is False
    with time_machine.travel(NOON + dt.timedelta(seconds=60), tick=False):
        assert record_reader_activity(reader=kestrel) is True
    assert Reader.objects.get(pk=kestrel.pk).last_seen_at == NOON + dt.timedelta(seconds=60)


def test_requests_mark_a_signed_in_reader_online_without_a_write_each_time(
    client, kestrel, django_assert_num_queries, settings
):
    client.force_login(kestrel)
    client.get(reverse("articles:home"))
    assert Reader.objects.get(pk=kestrel.pk).is_online
    # (session, unless Redis holds it) + reader + article list + the header's
    # unread notifications; no UPDATE of last_seen_at this time
    with django_assert_num_queries(3 if settings.BROADSHEET_REDIS_URL else 4):
        client.get(reverse("articles:home"))
