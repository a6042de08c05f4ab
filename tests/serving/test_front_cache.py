"""The front cache answers signed-out readers before Django, and never with a page
that a write has changed.

These drive the real ASGI application (Django behind the front cache) in this
process; `through_django` counts the requests that got past the front cache.
"""

import asyncio
import gzip
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import override_settings

from broadsheet.articles.operations import save_article
from broadsheet.discussion.operations import (
    post_comment,
)
from broadsheet.live import changes
from broadsheet.serving import front_cache
from broadsheet.serving.front_cache import FrontCache
from tests.writes import KINDS, hold_a_comment, make_write

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/articles/the-last-ferry/"


class Site:
    """The site as a client sees it, and how many requests reached Django."""

    def __init__(self):
        # Imported here, not at collection: the application's static files index
        # is built when it is imported, after the test run collected the files.
        from broadsheet.asgi import django_application

        self.through_django = 0
        # One event loop for the site's whole life, as in a server process (the
        # live hub binds to it and, with Redis, subscribes once).
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

        async def counting(scope, receive, send):
            self.through_django += 1
            await django_application(scope, receive, send)

        self.app = FrontCache(counting)

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def close(self):
        async def cancel_the_rest():  # the live hub's Redis listener, if any
            others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        self.run(cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)

    def get(self, path=URL, *, method="GET", headers=None):
        return self.run(self.request(path, method=method, headers=headers))

    def get_many(self, count, path=URL):
        async def all_at_once():
            return await asyncio.gather(*(self.request(path) for _ in range(count)))

        return self.run(all_at_once())

    async def request(self, path, *, method="GET", headers=None):
        path, _, query = path.partition("?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [(b"host", b"testserver")]
            + [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        sent = []
        requested = False

        async def receive():
            nonlocal requested
            if requested:  # the client stays connected until the answer
                await asyncio.Event().wait()
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        await self.app(scope, receive, send)
        start = sent[0]
        body = b"".join(m.get("body", b"") for m in sent[1:])
        return Reply(start["status"], start["headers"], body)


def run_in_own_loop(make_coroutine):
    """asyncio.run in a thread of its own: the browser tests leave an event loop
    running in this one."""
    from broadsheet.live.hub import hub

    async def and_stop_listening():
        try:
            return await make_coroutine()
        finally:
            # The hub's Redis listener lives in this loop: stop it before it closes.
            await hub.stop_listening()

    with ThreadPoolExecutor(1) as executor:
        return executor.submit(lambda: asyncio.run(and_stop_listening())).result()


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {name.decode().lower(): value.decode() for name, value in headers}
        self.body = body

    @property
    def text(self):
        if self.headers.get("content-encoding") == "gzip":
            return gzip.decompress(self.body).decode()
        return self.body.decode()


@pytest.fixture
def site(article):
    site = Site()
    yield site
    site.close()


def test_a_repeat_visit_never_reaches_django(site, article, kestrel):
    post_comment(article=article, author=kestrel, body="Words kept in memory")
    first = site.get()
    again = site.get()
    assert site.through_django == 1
    assert again.status == 200
    assert again.body == first.body
    assert "Words kept in memory" in again.text
    assert again.headers["etag"] == first.headers["etag"]
    assert "Cookie" in again.headers["vary"] and "Accept-Encoding" in again.headers["vary"]
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    assert front_cache.MARK_HEADER.lower() not in again.headers


def test_pages_are_compressed_once_for_readers_who_accept_gzip(site, article):
    plain = site.get()
    zipped = site.get(headers={"Accept-Encoding": "gzip, deflate, br"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == plain.body
    assert len(zipped.body) < len(plain.body)
    assert zipped.headers["etag"] != plain.headers["etag"]
    assert site.through_django == 1


def test_an_unchanged_page_answers_304_by_etag_and_by_date(site, article):
    first = site.get(headers={"Accept-Encoding": "gzip"})
    by_etag = site.get(headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]})
    by_date = site.get(headers={"If-Modified-Since": first.headers["last-modified"]})
    assert (by_etag.status, by_etag.body) == (304, b"")
    assert (by_date.status, by_date.body) == (304, b"")
    assert site.through_django == 1


def test_head_gets_the_headers_without_the_page(site, article):
    site.get()
    head = site.get(method="HEAD")
    assert head.status == 200 and head.body == b""
    assert int(head.headers["content-length"]) > 1000


@pytest.mark.parametrize("write", KINDS)
def test_every_kind_of_write_reaches_the_next_signed_out_reader(
    site, article, kestrel, nikolai, moderator, write
):
    comment = post_comment(article=article, author=kestrel, body="Original words")
    held = hold_a_comment(article=article, author=nikolai, moderator=moderator)
    first = site.get()
    assert "Held, then shown" not in first.text
    expected = make_write(
        write,
        article=article,
        comment=comment,
        held=held,
        author=kestrel,
        other=nikolai,
        moderator=moderator,
    )
    before = site.through_django
    after = site.get()
    assert site.through_django == before + 1
    assert after.body != first.body
    assert expected in after.text


def test_signed_in_readers_always_reach_django(site, article, kestrel, client):
    client.force_login(kestrel)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    site.get()
    signed_in = site.get(headers={"Cookie": cookie})
    again = site.get(headers={"Cookie": cookie})
    assert site.through_django == 3
    assert "<textarea" in signed_in.text and "<textarea" in again.text
    assert "<textarea" not in site.get().text  # the signed-in page was not kept


def test_each_language_gets_its_own_page(site, article):
    english = site.get(headers={"Accept-Language": "en-GB,en;q=0.9"})
    russian = site.get(headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    russian_again = site.get(headers={"Accept-Language": "ru"})
    by_cookie = site.get(headers={"Cookie": "django_language=ru"})
    assert 'lang="en"' in english.text
    assert 'lang="ru"' in russian.text
    assert russian_again.body == russian.body == by_cookie.body
    assert site.through_django == 2


def test_readers_asking_for_a_missing_page_at_once_cause_one_render(site, article):
    replies = site.get_many(12)
    assert {reply.status for reply in replies} == {200}
    assert len({reply.body for reply in replies}) == 1
    assert site.through_django == 1


def test_responses_django_did_not_mark_pass_straight_through(site, article):
    for _ in range(2):
        assert site.get("/healthz").status == 200
        assert site.get("/accounts/sign-in/").status == 200
        assert site.get("/articles/no-such-article/").status == 404
    assert site.through_django == 6


@override_settings(BROADSHEET_FRONT_CACHE_REVALIDATE_SECONDS=0)
def test_several_processes_without_redis_revalidate_with_a_cheap_304(site, article, kestrel):
    first = site.get()
    again = site.get()
    assert site.through_django == 2  # asked Django again, which answered 304
    assert again.body == first.body
    heard_of = dict(changes.clock._changed)
    post_comment(article=article, author=kestrel, body="Posted through another process")
    changes.clock._changed = heard_of  # as if another process had written it
    assert "Posted through another process" in site.get().text


def test_pages_are_not_kept_past_the_page_cache_lifetime(site, article, settings):
    settings.BROADSHEET_PAGE_CACHE_SECONDS = 0  # presence markers: never older than this
    site.get()
    site.get()
    assert site.through_django == 2


def test_comment_counts_for_many_articles_in_one_request(site, article, kestrel):
    other, _ = save_article(slug="second-story", title="Second story", body_markdown="Text.")
    post_comment(article=article, author=kestrel, body="One")
    post_comment(article=article, author=kestrel, body="Two")
    reply = site.get("/comment-counts/?article=the-last-ferry&article=second-story")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.text == '{"counts": {"the-last-ferry": 2, "second-story": 0}}'
    site.get("/comment-counts/?article=the-last-ferry&article=second-story")
    assert site.through_django == 1
    post_comment(article=other, author=kestrel, body="Three")
    again = site.get("/comment-counts/?article=the-last-ferry&article=second-story")
    assert again.text == '{"counts": {"the-last-ferry": 2, "second-story": 1}}'


def post_and_close(**comment):
    """post_comment on a thread of its own, giving its connection back after."""
    try:
        post_comment(**comment)
    finally:
        connections.close_all()


def test_a_page_rendered_while_a_write_commits_is_not_kept(site, article, kestrel):
    inner = site.app.app
    writes = ["Mid-render"]

    async def write_during_the_render(scope, receive, send):
        if writes:
            body = writes.pop()
            await asyncio.to_thread(post_and_close, article=article, author=kestrel, body=body)
        await inner(scope, receive, send)

    site.app.app = write_during_the_render
    site.get()
    site.get()
    assert site.through_django == 2


def test_static_files_keep_their_compression_and_304s(site):
    path = "/static/core/broadsheet.css"
    zipped = site.get(path, headers={"Accept-Encoding": "gzip"})
    assert zipped.status == 200
    assert zipped.headers["content-encoding"] == "gzip"
    again = site.get(path, headers={"If-None-Match": zipped.headers["etag"]})
    assert again.status == 304


def test_an_unchanged_page_a_client_revalidates_on_a_cold_process_gets_304(site, article):
    etag = site.get().headers["etag"]
    cold = Site()  # another process: nothing stored yet
    reply = cold.get(headers={"If-None-Match": etag})
    cold.close()
    assert reply.status == 304
    assert front_cache.MARK_HEADER.lower() not in reply.headers


def test_requests_waiting_on_a_response_that_is_not_shared_are_let_through_at_once():
    """Two identical requests for a response that never ends (a stream) both get it."""

    async def stream(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await asyncio.Event().wait()

    app = FrontCache(stream)
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "path": "/articles/a/stream/",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
    }

    async def open_one(got):
        async def receive():
            await asyncio.Event().wait()

        async def send(message):
            got.append(message)

        await app(scope, receive, send)

    async def two_at_once():
        first, second = [], []
        tasks = [asyncio.create_task(open_one(first)), asyncio.create_task(open_one(second))]
        for _ in range(100):
            await asyncio.sleep(0.01)
            if first and second:
                break
        for task in tasks:
            task.cancel()
        return first, second

    first, second = run_in_own_loop(two_at_once)
    assert first[0]["status"] == second[0]["status"] == 200
