"""The live streams' raw ASGI route (live/streams.py `LiveStreamRoutes`), over a
real `broadsheet serve` on the test database: it keeps every rule of the Django
door it replaced (who may follow, resume, the cap, hidden means hidden), and a
client that stops reading is dropped instead of growing the server's memory."""

import json
import re
import socket
import time
import urllib.parse
import urllib.request
import uuid

import pytest
from django.test import Client

from broadsheet.live.changes import MessageJournal
from broadsheet.live.hub import LiveMessage
from broadsheet.moderation.operations import set_discussion_mode
from tests.live.test_across_processes import database_url
from tests.servers import Server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def session_cookie(reader) -> str:
    """A signed-in session of `reader`, stored where the server reads it."""
    client = Client()
    client.force_login(reader)
    return f"sessionid={client.cookies['sessionid'].value}"


class Stream:
    """A page's live connection on a raw socket, read on demand."""

    def __init__(self, server: Server, path: str, *, cookie: str = "", headers: str = ""):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        cookie_header = f"Cookie: {cookie}\r\n" if cookie else ""
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            f"{cookie_header}{headers}\r\n".encode()
        )
        self.received = b""
        self.read_until(lambda data: b"\r\n\r\n" in data)
        self.head = self.received.split(b"\r\n\r\n", 1)[0].decode("latin-1")

    def read_until(self, done, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.2)
        while not done(self.received) and time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                return
            self.received += chunk

    def events(self) -> list[dict]:
        """Every complete event received so far, with its id when it has one."""
        found = []
        for block in self.received.decode(errors="replace").split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line[:12])
            if "event" in fields and "data" in fields:
                found.append(
                    {"id": fields.get("id"), "type": fields["event"], **json.loads(fields["data"])}
                )
        return found

    def wait_for(self, predicate, timeout: float = 10) -> dict:
        self.read_until(lambda _data: any(predicate(e) for e in self.events()), timeout)
        for event in self.events():
            if predicate(event):
                return event
        raise AssertionError(f"no such event within {timeout}s; got {self.events()}")

    def close(self) -> None:
        self.sock.close()


def post_comment_over_http(server: Server, cookie: str, slug: str, body: str) -> str:
    """Post through the server as the reader of `cookie`; returns the Location."""
    page = urllib.request.urlopen(
        urllib.request.Request(f"{server.base}/articles/{slug}/", headers={"Cookie": cookie}),
        timeout=10,
    )
    html = page.read().decode()
    set_cookies = " ".join(page.headers.get_all("Set-Cookie") or [])
    csrf_cookie = re.search(r"csrftoken=([^;]+)", set_cookies).group(1)
    fields = {
        "csrfmiddlewaretoken": CSRF_INPUT.search(html).group(1),
        "body": body,
        "submission_key": str(uuid.uuid4()),
    }
    request = urllib.request.Request(
        f"{server.base}/articles/{slug}/comments/",
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Cookie": f"{cookie}; csrftoken={csrf_cookie}", "Referer": server.base},
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(request, timeout=10)
    except urllib.error.HTTPError as error:
        assert error.code == 302, error.read()[-2000:]
        return error.headers["Location"]
    raise AssertionError("posting did not redirect")


def metric(server: Server, name: str) -> float:
    with urllib.request.urlopen(f"{server.base}/metrics", timeout=10) as response:
        text = response.read().decode()
    match = re.search(rf"^{name}(?:\{{[^}}]*\}})? (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


@pytest.fixture
def serve(tmp_path, settings):
    servers = []

    def start(**env: str) -> Server:
        server = Server(
            tmp_path,
            "--no-demo",
            "--no-worker",
            env={
                "BROADSHEET_DATABASE_URL": database_url(),
                # The sessions made here (session_cookie) are signed with it.
                "BROADSHEET_SECRET_KEY": settings.SECRET_KEY,
                **env,
            },
        )
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_a_stream_connects_receives_and_resumes_after_its_last_event(serve, make_article, kestrel):
    make_article("ferry")
    server = serve()
    cookie = session_cookie(kestrel)
    page = Stream(server, "/articles/ferry/live/")
    try:
        assert page.head.startswith("HTTP/1.1 200")
        assert "content-type: text/event-stream" in page.head.lower()
        page.read_until(lambda data: b": connected" in data)

        post_comment_over_http(server, cookie, "ferry", "First, live")
        first = page.wait_for(lambda e: e["type"] == "comment.posted")
        assert first["number"] == 1 and "First, live" in first["html"]
    finally:
        page.close()

    # Away while the second comment is posted: resuming after the first gets it.
    post_comment_over_http(server, cookie, "ferry", "Second, while away")
    resumed = Stream(server, "/articles/ferry/live/", headers=f"Last-Event-ID: {first['id']}\r\n")
    try:
        second = resumed.wait_for(lambda e: e["type"] == "comment.posted")
        assert second["number"] == 2 and "Second, while away" in second["html"]
        assert all(e.get("number") != 1 for e in resumed.events())
    finally:
        resumed.close()


def test_missing_articles_and_signed_out_notifications_get_djangos_answers(serve, kestrel):
    server = serve()
    missing = Stream(server, "/articles/no-such-article/live/")
    signed_out = Stream(server, "/notifications/live/")
    signed_in = Stream(server, "/notifications/live/", cookie=session_cookie(kestrel))
    try:
        assert missing.head.startswith("HTTP/1.1 404")
        assert signed_out.head.startswith("HTTP/1.1 403")
        assert signed_in.head.startswith("HTTP/1.1 200")
    finally:
        for stream in (missing, signed_out, signed_in):
            stream.close()


def test_the_cap_refuses_with_429_in_the_readers_language(serve, make_article):
    make_article("ferry")
    server = serve(BROADSHEET_LIVE_STREAMS_PER_ADDRESS="1")
    first = Stream(server, "/articles/ferry/live/")
    refused = Stream(server, "/articles/ferry/live/", headers="Accept-Language: ru\r\n")
    try:
        assert first.head.startswith("HTTP/1.1 200")
        assert refused.head.startswith("HTTP/1.1 429")
        assert "retry-after: 60" in refused.head.lower()
        refused.read_until(lambda data: data.rstrip().endswith(b"."))
        assert b"Too many" not in refused.received  # said in Russian, if translated
    finally:
        first.close()
        refused.close()


def test_a_held_comment_reaches_no_stream_live_or_replayed(
    serve, make_article, kestrel, nikolai, moderator
):
    article = make_article("held")
    set_discussion_mode(article=article, editor=moderator, mode="premoderated")
    server = serve()
    author, other = session_cookie(kestrel), session_cookie(nikolai)
    pages = {
        "signed out": Stream(server, "/articles/held/live/?after=0"),
        "author": Stream(server, "/articles/held/live/?after=0", cookie=author),
        "other reader": Stream(server, "/articles/held/live/?after=0", cookie=other),
    }
    try:
        for page in pages.values():
            page.read_until(lambda data: b": connected" in data)
        post_comment_over_http(server, author, "held", "Secret until approved")
        # A visible event after it: once it arrives, the held one would have too.
        set_discussion_mode(article=article, editor=moderator, mode="")
        post_comment_over_http(server, other, "held", "Out in the open")
        for who, page in pages.items():
            page.wait_for(lambda e: e["type"] == "comment.posted")
            assert b"Secret until approved" not in page.received, who
    finally:
        for page in pages.values():
            page.close()
    for cookie in ("", author, other):
        replay = Stream(server, "/articles/held/live/?after=0", cookie=cookie)
        try:
            replay.wait_for(lambda e: e["type"] == "comment.posted")
            replay.read_until(lambda data: b": keep-alive" in data, timeout=0.5)
            assert b"Secret until approved" not in replay.received
            assert b"Out in the open" in replay.received
        finally:
            replay.close()


def test_a_client_that_stops_reading_is_dropped_when_its_buffer_fills(serve, kestrel, tmp_path):
    server = serve(BROADSHEET_LIVE_STREAM_BUFFER_EVENTS="5")
    # A page that reads nothing, with the smallest receive window the kernel allows.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.connect(("127.0.0.1", server.port))
    sock.sendall(
        f"GET /notifications/live/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Cookie: {session_cookie(kestrel)}\r\n\r\n".encode()
    )
    deadline = time.monotonic() + 10
    while metric(server, "broadsheet_live_pages_open") < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert metric(server, "broadsheet_live_pages_open") == 1
    time.sleep(0.5)  # the server's journal reader is now past its start

    # Private events the way the task worker sends them without Redis: 60 of
    # 50 KB, 3 MB in all, far more than the socket's buffers and the server's.
    journal = MessageJournal(tmp_path / "live-messages.log", max_bytes=64 * 1024 * 1024)
    padding = "x" * 50_000
    written = 0
    for n in range(60):
        event = {"type": "notification.test", "n": n, "padding": padding}
        journal.record(LiveMessage(event=event, reader=kestrel.pk).to_json())
        written += len(padding)
        time.sleep(0.05)
        if metric(server, "broadsheet_live_overflows_total") >= 1:
            break
    assert metric(server, "broadsheet_live_overflows_total") == 1
    assert n < 59, "the server kept writing to a client that reads nothing"
    deadline = time.monotonic() + 10
    while metric(server, "broadsheet_live_pages_open") > 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert metric(server, "broadsheet_live_pages_open") == 0

    # The connection is gone: what reaches the client is what the kernel's
    # socket buffers held (on loopback they grow to megabytes), then the end.
    received = 0
    sock.settimeout(5)
    try:
        while chunk := sock.recv(65536):
            received += len(chunk)
    except ConnectionResetError:
        pass
    sock.close()
    print(f"sent {written} bytes of events in {n + 1}; the client got {received}")
    assert received < written


def test_following_costs_a_few_queries_once_per_connection(
    make_article, kestrel, django_assert_max_num_queries
):
    from broadsheet.discussion.stream import follow_discussion
    from broadsheet.live.streams import StreamRequest
    from broadsheet.notifications.stream import follow_notifications

    article = make_article("ferry")
    key = session_cookie(kestrel).removeprefix("sessionid=")
    with django_assert_max_num_queries(2):
        signed_out = follow_discussion(StreamRequest(params={"slug": "ferry"}, session_key=None))
    with django_assert_max_num_queries(4):
        signed_in = follow_discussion(StreamRequest(params={"slug": "ferry"}, session_key=key))
    with django_assert_max_num_queries(2):
        mine = follow_notifications(StreamRequest(params={}, session_key=key))
    assert (signed_out.article_id, signed_out.reader_id, signed_out.heartbeat) == (
        article.pk,
        None,
        None,
    )
    assert (signed_in.article_id, signed_in.reader_id) == (article.pk, kestrel.pk)
    assert (mine.article_id, mine.reader_id) == (None, kestrel.pk)
    forged = StreamRequest(params={"slug": "ferry"}, session_key="not-a-session")
    assert follow_discussion(forged).reader_id is None
    assert follow_notifications(StreamRequest(params={}, session_key="nope")) is None
    missing = StreamRequest(params={"slug": "no-such-article"}, session_key=key)
    assert follow_discussion(missing) is None
