"""SQLite writers take turns on a file lock beside the database before SQLite's
own lock (broadsheet/core/sqlite, docs/adr/0026-sqlite-writer-queue.md): held
from BEGIN to COMMIT or ROLLBACK, never longer, and not at all when turned off."""

import fcntl
import os
import threading
import time

import pytest
from django.db import connection, connections, transaction

from broadsheet.discussion.models import Discussion

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's writers only"),
]


def _lock_is_free() -> bool:
    fd = os.open(f"{connection.settings_dict['NAME']}.writer", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def test_the_lock_is_held_from_begin_to_commit_and_to_rollback(article):
    assert _lock_is_free()
    with transaction.atomic():
        Discussion.objects.filter(article=article).update(last_number=5)
        assert not _lock_is_free()
    assert _lock_is_free()
    with pytest.raises(RuntimeError), transaction.atomic():
        Discussion.objects.filter(article=article).update(last_number=6)
        assert not _lock_is_free()
        raise RuntimeError("rolled back")
    assert _lock_is_free()
    assert Discussion.objects.get(article=article).last_number == 5


def test_a_second_writer_waits_its_turn_and_then_writes(article):
    holding, go_on, order = threading.Event(), threading.Event(), []

    def first():
        try:
            with transaction.atomic():
                Discussion.objects.filter(article=article).update(last_number=1)
                holding.set()
                go_on.wait(5)
                order.append("first committed")
        finally:
            connections.close_all()

    def second():
        try:
            holding.wait(5)
            with transaction.atomic():
                order.append("second began")
                Discussion.objects.filter(article=article).update(last_number=2)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    holding.wait(5)
    time.sleep(0.2)  # the second is waiting for the lock by now
    go_on.set()
    for thread in threads:
        thread.join(10)
    assert order == ["first committed", "second began"]
    assert Discussion.objects.get(article=article).last_number == 2
    assert _lock_is_free()


def test_turned_off_no_lock_is_taken(article, settings):
    settings.BROADSHEET_SQLITE_WRITE_QUEUE = False
    with transaction.atomic():
        Discussion.objects.filter(article=article).update(last_number=7)
        assert _lock_is_free()


def test_a_writer_still_waiting_past_the_busy_timeout_fails_as_sqlite_would(article):
    from django.db import OperationalError

    other = connections.create_connection("default")
    other.settings_dict = {**other.settings_dict, "OPTIONS": {
        **other.settings_dict["OPTIONS"], "timeout": 0.2}}  # fmt: skip
    try:
        with transaction.atomic():
            Discussion.objects.filter(article=article).update(last_number=3)
            started = time.monotonic()
            other.ensure_connection()
            with pytest.raises(OperationalError, match="is locked"):
                other._start_transaction_under_autocommit()  # what atomic() calls
            assert time.monotonic() - started < 5
    finally:
        other.close()
    assert _lock_is_free()
