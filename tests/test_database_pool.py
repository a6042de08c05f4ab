"""PostgreSQL connections come from a pool, and open live pages do not hold them."""

import socket
import time
import urllib.request

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="the connection pool is for PostgreSQL; SQLite opens a file",
    ),
]


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _held(pool) -> int:
    """Connections of the pool lent out right now."""
    stats = pool.get_stats()
    return stats["pool_size"] - stats["pool_available"]


def test_postgresql_connections_come_from_a_pool_sized_by_the_settings():
    pool = connection.pool
    assert pool is not None
    assert pool.max_size == settings.BROADSHEET_DATABASE_POOL_MAX
    assert pool.min_size == min(
        settings.BROADSHEET_DATABASE_POOL_MIN, settings.BROADSHEET_DATABASE_POOL_MAX
    )
    assert connection.settings_dict["CONN_MAX_AGE"] == 0


def test_a_closed_connection_goes_back_to_the_pool_and_is_used_again():
    pids = []
    for _ in range(2 * connection.pool.max_size):
        pids.append(_backend_pid())
        connection.close()  # what Django does at the end of every request
    # More uses than the pool holds connections: each was a reused one, not a new one.
    assert len(set(pids)) <= connection.pool.max_size < len(pids)


def test_open_live_pages_do_not_hold_pool_connections(asgi_server, article, kestrel, client):
    """More signed-in live pages than the pool has connections: each stream writes
    the reader's connection time, then gives the connection back, so no more are
    lent out than before they opened and an ordinary request is served at once."""
    client.force_login(kestrel)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    connection.close()
    pool = connection.pool
    held_before = _held(pool)
    host, port = asgi_server.removeprefix("http://").split(":")
    streams = []
    try:
        for _ in range(pool.max_size + 2):
            sock = socket.create_connection((host, int(port)), timeout=10)
            sock.sendall(
                f"GET /articles/{article.slug}/live/?after=0 HTTP/1.1\r\nHost: {host}\r\n"
                f"Accept: text/event-stream\r\nCookie: {cookie}\r\n\r\n".encode()
            )
            streams.append(sock)
        for sock in streams:
            received = b""
            while b": connected" not in received:
                received += sock.recv(4096)
        deadline = time.monotonic() + 5
        while True:  # the streams did use the database: they wrote the reader's time
            kestrel.refresh_from_db()
            connection.close()
            if kestrel.last_connected_at is not None:
                break
            assert time.monotonic() < deadline, "no stream recorded the reader's connection"
            time.sleep(0.05)

        deadline = time.monotonic() + 5
        while _held(pool) > held_before:
            assert time.monotonic() < deadline, f"streams hold connections: {pool.get_stats()}"
            time.sleep(0.05)
        started = time.monotonic()
        with urllib.request.urlopen(asgi_server + "/healthz", timeout=5) as response:
            assert response.status == 200
        assert time.monotonic() - started < 2
    finally:
        for sock in streams:
            sock.close()
