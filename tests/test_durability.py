"""Writes that never fail or vanish, against real server processes."""

import re
import threading
import time
import uuid

import pytest

from broadsheet.articles.operations import save_article
from broadsheet.discussion.models import Comment
from broadsheet.readers.models import Reader
from tests.conftest import ARTICLE_BODY, PASSWORD
from tests.live.test_across_processes import database_url
from tests.servers import Browserless, Server

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    # Readers made here sign in to server processes, which hash with Argon2.
    pytest.mark.usefixtures("site_password_hashers"),
]

ARTICLE = "/articles/durable/"


def signed_in_writers(base: str, count: int) -> list[Browserless]:
    writers = []
    for n in range(count):
        Reader.objects.create_user(
            handle=f"writer-{n}", email=f"w{n}@example.org", password=PASSWORD, display_name="W"
        )
        writer = Browserless(base)
        status, _ = writer.post_form(
            "/accounts/sign-in/", {"username": f"writer-{n}", "password": PASSWORD}
        )
        assert status == 302
        writers.append(writer)
    return writers


def post(writer: Browserless, body: str, key: uuid.UUID) -> tuple[int, str]:
    return writer.post_form(
        ARTICLE,
        {"body": body, "submission_key": str(key), "_action": ARTICLE + "comments/"},
    )


def test_sixteen_concurrent_writers_on_two_processes_all_succeed(tmp_path):
    save_article(slug="durable", title="Durable", body_markdown=ARTICLE_BODY)
    env = {
        "BROADSHEET_DATABASE_URL": database_url(),
        "BROADSHEET_COMMENTS_PER_MINUTE": "0",
        "BROADSHEET_COMMENTS_PER_ARTICLE_PER_MINUTE": "0",
    }
    # No task worker: a worker starting up runs its own migrate on this test
    # database, which can race the flush at the test's end (duplicate rows).
    server = Server(tmp_path, "--no-demo", "--no-worker", "--workers", "2", env=env)
    try:
        writers = signed_in_writers(server.base, 16)
        barrier = threading.Barrier(16)
        answers: list[tuple[int, str]] = []

        def write(writer):
            barrier.wait()
            answers.append(post(writer, f"At once {uuid.uuid4()}", uuid.uuid4()))

        threads = [threading.Thread(target=write, args=(w,)) for w in writers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    assert sorted(status for status, _ in answers) == [302] * 16
    numbers = sorted(
        Comment.objects.filter(article__slug="durable").values_list("number", flat=True)
    )
    assert numbers == list(range(1, 17))


def test_every_acknowledged_comment_survives_sigkill_under_load_and_retries_store_once(tmp_path):
    save_article(slug="durable", title="Durable", body_markdown=ARTICLE_BODY)
    env = {
        "BROADSHEET_DATABASE_URL": database_url(),
        "BROADSHEET_COMMENTS_PER_MINUTE": "0",
        "BROADSHEET_COMMENTS_PER_ARTICLE_PER_MINUTE": "0",
    }
    server = Server(tmp_path, "--no-demo", "--no-worker", env=env)
    acknowledged: dict[uuid.UUID, str] = {}
    unanswered: list[tuple[Browserless, str, uuid.UUID]] = []
    stop = threading.Event()
    try:
        writers = signed_in_writers(server.base, 4)

        def write(writer, n):
            while not stop.is_set():
                key, body = uuid.uuid4(), f"Load {n} {uuid.uuid4()}"
                try:
                    status, location = post(writer, body, key)
                except OSError:
                    unanswered.append((writer, body, key))
                    return
                if status == 302:
                    acknowledged[key] = location
                else:
                    unanswered.append((writer, body, key))
                    return

        threads = [threading.Thread(target=write, args=(w, n)) for n, w in enumerate(writers)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.process.kill()  # SIGKILL in the middle of the load
        server.process.wait()
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    finally:
        stop.set()
        if server.process.poll() is None:
            server.stop()
    assert len(acknowledged) >= 20
    stored = {c.submission_key: c for c in Comment.objects.filter(article__slug="durable")}
    for key, location in acknowledged.items():
        number = int(re.search(r"/comments/(\d+)/$", location).group(1))
        assert key in stored and stored[key].number == number, "an acknowledged comment vanished"

    # After a restart, retrying the posts that got no answer stores each exactly once.
    server = Server(tmp_path, "--no-demo", "--no-worker", env=env)
    try:
        for writer, body, key in unanswered:
            writer.base = server.base
            status, _ = post(writer, body, key)
            assert status == 302
            status, _ = post(writer, body, key)  # and again
            assert status == 302
    finally:
        server.stop()
    for _writer, _body, key in unanswered:
        assert Comment.objects.filter(submission_key=key).count() == 1
