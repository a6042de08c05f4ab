"""Where a signed-in reader's session lives: the database by default; with Redis,
read from Redis and written through to the database, so it survives Redis."""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session

from broadsheet.readers.models import Reader
from tests.conftest import PASSWORD
from tests.live.test_across_processes import database_url, redis_url  # noqa: F401
from tests.servers import Browserless, Server

SIGNED_IN = "Sign out"


@pytest.mark.django_db
def test_without_redis_sessions_live_in_the_database(client, kestrel):
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        pytest.skip("this test process was given a Redis")
    response = client.post("/accounts/sign-in/", {"username": "kestrel-7", "password": PASSWORD})
    assert response.status_code == 302
    assert Session.objects.filter(session_key=client.cookies["sessionid"].value).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
@pytest.mark.usefixtures("site_password_hashers")  # the server process knows no MD5
def test_with_redis_sessions_are_read_from_redis_and_survive_losing_it(tmp_path, redis_url):  # noqa: F811
    import redis

    store = redis.Redis.from_url(redis_url)
    store.flushdb()  # the test command's own throwaway Redis
    Reader.objects.create_user(
        handle="kestrel-7", email="k@example.org", password=PASSWORD, display_name="Anna Petrova"
    )
    env = {"BROADSHEET_DATABASE_URL": database_url(), "BROADSHEET_REDIS_URL": redis_url}
    # No task worker: a worker starting up runs its own migrate on this test
    # database, which can race the flush at the test's end (duplicate rows).
    server = Server(tmp_path, "--no-demo", "--no-worker", env=env)
    try:
        reader = Browserless(server.base)
        status, _ = reader.post_form(
            "/accounts/sign-in/", {"username": "kestrel-7", "password": PASSWORD}
        )
        assert status == 302
        session_key = next(c.value for c in reader.cookies if c.name == "sessionid")
        redis_key = f"broadsheet:1:django.contrib.sessions.cached_db{session_key}"
        assert store.exists(redis_key)
        assert Session.objects.filter(session_key=session_key).exists()

        # Redis restarted empty (or evicted the key): the reader stays signed in,
        # read back from the database, and the session is in Redis again.
        store.flushdb()
        assert SIGNED_IN in reader.get("/")[1]
        assert store.exists(redis_key)

        # Every request reads the session from Redis, not from the database: with
        # its row gone, the reader is still signed in.
        Session.objects.filter(session_key=session_key).delete()
        assert SIGNED_IN in reader.get("/")[1]
    finally:
        server.stop()
