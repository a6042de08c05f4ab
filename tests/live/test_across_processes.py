"""Two app processes sharing one database and one Redis: a comment posted through
one reaches a live page connected to the other, and so does presence."""

import json
import os
import socket
import threading
import time

import pytest
from django.db import connection

from broadsheet.articles.operations import save_article
from broadsheet.readers.models import Reader
from tests.conftest import ARTICLE_BODY, PASSWORD
from tests.servers import Browserless, Server

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    # Readers made here sign in to server processes, which hash with Argon2.
    pytest.mark.usefixtures("site_password_hashers"),
]


@pytest.fixture
def redis_url():
    url = os.environ.get("BROADSHEET_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must run with Redis: scripts/test starts it")
        pytest.skip("needs a Redis server: run through scripts/test")
    return url


def database_url() -> str:
    """The test database, as a URL the server processes can open."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return (
        f"postgres://{settings['USER']}{password}@{settings['HOST']}:{settings['PORT']}"
        f"/{settings['NAME']}"
    )


class LiveListener(threading.Thread):
    """A page's live connection, read line by line from a raw socket."""

    def __init__(self, base: str, path: str, cookie: str = ""):
        super().__init__(daemon=True)
        host, port = base.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        cookie_header = f"Cookie: {cookie}\r\n" if cookie else ""
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n"
            f"{cookie_header}\r\n".encode()
        )
        self.events: list[dict] = []
        self.connected = threading.Event()

    def run(self):
        buffer, kind = b"", None
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    text = line.decode().rstrip("\r")
                    if text.startswith(": connected"):
                        self.connected.set()
                    elif text.startswith("event: "):
                        kind = text.removeprefix("event: ")
                    elif text.startswith("data: ") and kind:
                        self.events.append({"type": kind, **json.loads(text[6:])})
        except OSError:
            return

    def wait_for(self, predicate, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in list(self.events):
                if predicate(event):
                    return event
            time.sleep(0.05)
        raise AssertionError(f"no such event within {timeout}s; got {self.events}")

    def close(self):
        self.sock.close()


def test_a_comment_posted_through_one_process_reaches_a_page_on_the_other(
    tmp_path, redis_url, settings
):
    save_article(slug="shared", title="Shared", body_markdown=ARTICLE_BODY)
    Reader.objects.create_user(
        handle="kestrel-7", email="k@example.org", password=PASSWORD, display_name="Anna Petrova"
    )
    env = {
        "BROADSHEET_DATABASE_URL": database_url(),
        "BROADSHEET_REDIS_URL": redis_url,
        "BROADSHEET_PRESENCE_BATCH_SECONDS": "0.2",
    }
    first = Server(tmp_path, "--no-demo", env=env)
    second = Server(tmp_path, "--no-demo", env=env)
    listener = None
    try:
        listener = LiveListener(second.base, "/articles/shared/live/?after=0")
        listener.start()
        assert listener.connected.wait(15)
        time.sleep(0.5)  # let the second process's Redis subscription settle

        reader = Browserless(first.base)
        status, _ = reader.post_form(
            "/accounts/sign-in/", {"username": "kestrel-7", "password": PASSWORD}
        )
        assert status == 302
        reader.get("/articles/shared/")  # a signed-in request: the reader is active
        presence = listener.wait_for(
            lambda e: e["type"] == "presence.changed" and "kestrel-7" in e["readers"]
        )
        assert presence["readers"]["kestrel-7"] > 0

        status, location = reader.post_form(
            "/articles/shared/",
            {"body": "Across processes", "_action": "/articles/shared/comments/"},
        )
        assert (status, location) == (302, "/articles/shared/comments/1/")
        posted = listener.wait_for(lambda e: e["type"] == "comment.posted")
        assert posted["number"] == 1 and "Across processes" in posted["html"]
    finally:
        if listener is not None:
            listener.close()
        first.stop()
        second.stop()


def test_rate_limits_hold_across_two_processes_sharing_redis(tmp_path, redis_url):
    import redis

    redis.Redis.from_url(redis_url).flushdb()  # the test command's own throwaway Redis
    env = {
        "BROADSHEET_DATABASE_URL": database_url(),
        "BROADSHEET_REDIS_URL": redis_url,
        "BROADSHEET_SIGNUPS_PER_HOUR": "3",
    }
    first = Server(tmp_path, "--no-demo", env=env)
    second = Server(tmp_path, "--no-demo", env=env)
    try:
        answers = []
        for n, server in enumerate([first, first, second, second]):
            status, _ = Browserless(server.base).post_form(
                "/accounts/sign-up/",
                {
                    "handle": f"newcomer-{n}",
                    "display_name": "Newcomer",
                    "email": f"newcomer{n}@example.org",
                    "password": PASSWORD,
                },
            )
            answers.append(status)
        assert answers == [302, 302, 302, 429]
        assert Reader.objects.filter(handle__startswith="newcomer-").count() == 3
    finally:
        first.stop()
        second.stop()
