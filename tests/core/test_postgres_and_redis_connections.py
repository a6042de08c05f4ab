"""Connections to PostgreSQL and Redis cost no round trip and no object they need
not (docs/posting.md, round 6; docs/adr/0030-pool-checks-idle-connections.md): a
pooled connection given back a moment ago is lent without a check, one idle longer
is checked and a dead one replaced, and the Redis cache keeps one client."""

import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection

on_postgres = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="the connection pool is for PostgreSQL; SQLite opens a file",
)


def _observer() -> psycopg.Connection:
    """A connection of its own, outside the pool, to watch the pooled ones."""
    params = connection.get_connection_params()
    keep = ("dbname", "user", "password", "host", "port")
    return psycopg.connect(**{k: v for k, v in params.items() if k in keep}, autocommit=True)


def _last_query(observer, pid: int) -> str:
    row = observer.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    return row[0]


def _borrow() -> int:
    """Borrow a connection from the pool (no query of ours) and say which it is."""
    connection.ensure_connection()
    return connection.connection.info.backend_pid


def _use_and_give_back() -> int:
    """Borrow a connection, leave a mark as its last query, give it back; its pid."""
    pid = _borrow()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'used-by-the-test'")
    connection.close()
    return pid


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_given_back_a_moment_ago_is_lent_without_a_check(settings):
    settings.BROADSHEET_DATABASE_CHECK_IDLE_SECONDS = 60
    connection.close()
    with _observer() as observer:
        # Use every connection the pool lends, leaving a mark as its last query.
        marked = {_use_and_give_back() for _ in range(2 * connection.pool.max_size)}
        for _ in range(len(marked)):
            pid = _borrow()
            # Lent as it was: its last query is still ours, not the pool's check.
            assert _last_query(observer, pid) == "SELECT 'used-by-the-test'"
            connection.close()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_idle_past_the_limit_is_checked_and_a_dead_one_replaced(settings):
    settings.BROADSHEET_DATABASE_CHECK_IDLE_SECONDS = 0.05
    connection.close()
    with _observer() as observer:
        pid = _use_and_give_back()
        time.sleep(0.1)
        # Every idle connection of the pool dies, as in a database restart.
        observer.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"
        )
        time.sleep(0.1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            assert cursor.fetchone()[0] != pid
        connection.close()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_given_back_after_a_database_error_is_checked(settings):
    settings.BROADSHEET_DATABASE_CHECK_IDLE_SECONDS = 60
    connection.close()
    with _observer() as observer:
        with pytest.raises(Exception, match="no_such_table"), connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")
        failed = connection.connection.info.backend_pid
        connection.close()
        for _ in range(2 * connection.pool.max_size):
            pid = _borrow()
            connection.close()
            if pid == failed:
                # The check ran on it before it was lent again: an empty query.
                assert _last_query(observer, pid) == ""
                return
    pytest.fail("the pool never lent the connection that had the error again")


def test_the_redis_cache_keeps_one_client_for_every_call_and_thread():
    if not settings.BROADSHEET_REDIS_URL:
        pytest.skip("this test process was given no Redis")
    cache = caches["default"]
    clients = {id(cache._cache.get_client()), id(cache._cache.get_client(write=True))}
    seen_in_thread = []

    def other_thread():
        cache.set("round-trips-test", "from another thread", 30)
        seen_in_thread.append(id(cache._cache.get_client(write=True)))

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert len(clients | set(seen_in_thread)) == 1
    assert cache.get("round-trips-test") == "from another thread"
    cache.delete("round-trips-test")
    assert cache.get("round-trips-test") is None
