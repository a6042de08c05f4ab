"""The default deployment: one `broadsheet serve` on SQLite, no Redis, with the
background worker it starts itself. The worker tells a reader of a reply, and
the reader's open page (a live connection to the server process) hears of it:
private messages cross from the worker to the server through the data folder's
message journal."""

import pytest

from broadsheet.articles.operations import save_article
from broadsheet.readers.models import Reader
from tests.conftest import ARTICLE_BODY, PASSWORD
from tests.live.test_across_processes import LiveListener, database_url
from tests.servers import Browserless, Server

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.usefixtures("site_password_hashers"),
]


def _signed_in(base: str, handle: str) -> Browserless:
    reader = Browserless(base)
    status, _ = reader.post_form("/accounts/sign-in/", {"username": handle, "password": PASSWORD})
    assert status == 302
    return reader


def test_the_servers_own_worker_tells_an_open_page_without_redis(tmp_path):
    save_article(slug="shared", title="Shared", body_markdown=ARTICLE_BODY)
    for handle in ("alice", "bob"):
        Reader.objects.create_user(
            handle=handle, email=f"{handle}@example.org", password=PASSWORD, display_name=handle
        )
    server = Server(
        tmp_path,
        "--no-demo",
        env={
            "BROADSHEET_DATABASE_URL": database_url(),
            "BROADSHEET_WORKER_INTERVAL_SECONDS": "0.2",
        },
    )
    listener = None
    try:
        alice, bob = _signed_in(server.base, "alice"), _signed_in(server.base, "bob")
        status, _ = alice.post_form(
            "/articles/shared/", {"body": "First!", "_action": "/articles/shared/comments/"}
        )
        assert status == 302
        session = next(c.value for c in alice.cookies if c.name == "sessionid")
        listener = LiveListener(server.base, "/notifications/live/", cookie=f"sessionid={session}")
        listener.start()
        assert listener.connected.wait(15)

        status, _ = bob.post_form(
            "/articles/shared/",
            {"body": "A reply", "parent": "1", "_action": "/articles/shared/comments/"},
        )
        assert status == 302
        told = listener.wait_for(lambda e: e["type"] == "notification.created", timeout=20)
        assert (told["kind"], told["number"]) == ("reply", 2)
    finally:
        if listener is not None:
            listener.close()
        server.stop()
