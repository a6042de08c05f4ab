"""A POST runs Django's whole request in one trip to the sync thread
(serving/asgi_handler.py): the same middleware and checks as every other request,
through a real Uvicorn server on the test database."""

import asyncio
import concurrent.futures
import re
import urllib.parse
import urllib.request

import pytest

from broadsheet.discussion.models import Comment
from broadsheet.serving.asgi_handler import ONE_TRIP_METHODS, OneSyncThreadASGIHandler
from tests.servers import Browserless


def _sign_in(base: str, reader) -> Browserless:
    from tests.conftest import PASSWORD

    browser = Browserless(base)
    status, _ = browser.post_form(
        "/accounts/sign-in/", {"username": reader.handle, "password": PASSWORD}
    )
    assert status == 302
    return browser


def _post(browser: Browserless, path: str, fields: dict[str, str], headers=None):
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(browser.base + path, data=data, headers=headers or {})
    try:
        with browser.opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def _csrf_token(browser: Browserless, path: str) -> str:
    _status, page = browser.get(path)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def _call(handler, method: str, path: str) -> list[dict]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"127.0.0.1:8000")],
    }  # fmt: skip
    messages = [{"type": "http.request", "body": b"", "more_body": False}]
    sent: list[dict] = []

    async def receive():
        if messages:
            return messages.pop()
        await asyncio.sleep(60)  # the client waits for its answer

    async def send(message):
        sent.append(message)

    # A thread of its own: a browser test's Playwright may have left an event loop
    # running in this one, where asyncio.run() refuses to start another.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, handler(scope, receive, send)).result()
    return sent


def test_a_post_takes_the_one_trip_path_and_a_get_does_not(monkeypatch):
    assert {"POST"} == ONE_TRIP_METHODS
    handler = OneSyncThreadASGIHandler()
    # The same middleware with the same view hooks, loaded in their synchronous mode.
    kinds = [type(hook.__self__) for hook in handler._view_middleware]
    assert kinds == [type(hook.__self__) for hook in handler.sync_handler._view_middleware]
    trips = []

    async def async_chain(*args):
        trips.append("async chain")

    monkeypatch.setattr(handler, "handle", async_chain)
    sent = _call(handler, "POST", "/accounts/sign-in/")
    assert trips == []
    # Answered by Django's own CSRF check, in the synchronous chain.
    assert sent[0]["status"] == 403
    assert sent[-1].get("more_body", False) is False
    _call(handler, "GET", "/healthz")
    assert trips == ["async chain"]


def test_a_form_post_through_the_one_trip_path_posts_and_redirects(asgi_server, kestrel, article):
    browser = _sign_in(asgi_server, kestrel)
    path = article.get_absolute_url()
    status, location = browser.post_form(
        path, {"_action": f"{path}comments/", "body": "Through one trip.", "submission_key": ""}
    )
    assert status == 302
    comment = Comment.objects.get(article=article)
    assert location == f"{path}comments/{comment.number}/"
    assert comment.body_markdown == "Through one trip."
    assert comment.author == kestrel


def test_the_post_answer_carries_every_middlewares_headers(asgi_server, kestrel, article):
    browser = _sign_in(asgi_server, kestrel)
    path = article.get_absolute_url()
    token = _csrf_token(browser, path)
    status, headers, _ = _post(
        browser,
        f"{path}comments/",
        {"csrfmiddlewaretoken": token, "body": "Headers, please."},
        {"Referer": asgi_server + path},
    )
    assert status == 302, headers
    assert "private" in headers["Cache-Control"]  # private_pages_middleware
    assert headers["X-Frame-Options"] == "SAMEORIGIN"  # clickjacking
    assert headers["X-Content-Type-Options"] == "nosniff"  # security
    assert "default-src" in headers["Content-Security-Policy"]  # django-csp
    assert headers["Content-Language"] == "en"  # locale


def test_a_post_without_the_csrf_token_is_refused_and_stores_nothing(asgi_server, kestrel, article):
    browser = _sign_in(asgi_server, kestrel)
    path = article.get_absolute_url()
    status, _headers, _ = _post(
        browser, f"{path}comments/", {"body": "No token."}, {"Referer": asgi_server + path}
    )
    assert status == 403
    assert not Comment.objects.filter(article=article).exists()


def test_a_post_with_another_csrf_token_is_refused(asgi_server, kestrel, article):
    browser = _sign_in(asgi_server, kestrel)
    path = article.get_absolute_url()
    status, _headers, _ = _post(
        browser,
        f"{path}comments/",
        {"csrfmiddlewaretoken": "x" * 64, "body": "A made-up token."},
        {"Referer": asgi_server + path},
    )
    assert status == 403
    assert not Comment.objects.filter(article=article).exists()


def test_a_signed_out_post_is_sent_to_sign_in_and_stores_nothing(asgi_server, article):
    browser = Browserless(asgi_server)
    path = article.get_absolute_url()
    token = _csrf_token(browser, "/accounts/sign-in/")  # a signed-out page has none
    status, headers, _ = _post(
        browser,
        f"{path}comments/",
        {"csrfmiddlewaretoken": token, "body": "Who am I?"},
        {"Referer": asgi_server + path},
    )
    assert status == 302
    assert headers["Location"].startswith("/accounts/sign-in/")
    assert not Comment.objects.filter(article=article).exists()


def test_a_form_error_shows_the_page_again_with_the_error_beside_the_field(
    asgi_server, kestrel, article
):
    browser = _sign_in(asgi_server, kestrel)
    path = article.get_absolute_url()
    token = _csrf_token(browser, path)
    status, _headers, page = _post(
        browser,
        f"{path}comments/",
        {"csrfmiddlewaretoken": token, "body": "   "},
        {"Referer": asgi_server + path},
    )
    assert status == 400
    assert "The comment is empty" in page
    assert not Comment.objects.filter(article=article).exists()


def test_a_post_to_a_missing_page_is_a_404_and_a_get_still_works(asgi_server, kestrel, article):
    browser = _sign_in(asgi_server, kestrel)
    path = article.get_absolute_url()
    token = _csrf_token(browser, path)
    status, _headers, _ = _post(
        browser,
        "/articles/no-such-article/comments/",
        {"csrfmiddlewaretoken": token, "body": "Nowhere."},
        {"Referer": asgi_server + path},
    )
    assert status == 404
    assert browser.get(path)[0] == 200


@pytest.mark.parametrize("retries", [2])
def test_a_retried_form_post_with_its_submission_key_makes_one_comment(
    asgi_server, kestrel, article, retries
):
    browser = _sign_in(asgi_server, kestrel)
    path = article.get_absolute_url()
    token = _csrf_token(browser, path)
    key = "0b6f1c0e-3c55-4a8e-9d3a-5d6f7e8a9b0c"
    fields = {"csrfmiddlewaretoken": token, "body": "Pressed twice.", "submission_key": key}
    answers = [
        _post(browser, f"{path}comments/", fields, {"Referer": asgi_server + path})
        for _ in range(retries)
    ]
    assert {status for status, _h, _b in answers} == {302}
    assert len({headers["Location"] for _s, headers, _b in answers}) == 1
    assert Comment.objects.filter(article=article).count() == 1


def test_the_one_trip_sees_the_requests_context_and_gives_nothing_back(article):
    """The trip runs in a copy of the request's context (the script prefix set from
    the scope reaches the view's redirect) and its changes stay in the thread: the
    language the locale middleware activated there is not copied back (ADR 0029)."""
    from django.conf import settings
    from django.utils import translation

    token = "OneTripCsrfSecretOneTripCsrf32ch"  # the test sets both cookie and field
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "body": "Who am I?"}).encode()
    path = f"{article.get_absolute_url()}comments/"
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "/news", "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
        "headers": [
            (b"host", b"127.0.0.1:8000"), (b"accept-language", b"ru"),
            (b"cookie", f"{settings.CSRF_COOKIE_NAME}={token}".encode()),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ],
    }  # fmt: skip
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive():
        if messages:
            return messages.pop()
        await asyncio.sleep(60)

    async def send(message):
        sent.append(message)

    async def request_then_language():
        translation.activate("en")
        await OneSyncThreadASGIHandler()(scope, receive, send)
        return translation.get_language()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        language_after = pool.submit(asyncio.run, request_then_language()).result()
    assert sent[0]["status"] == 302  # signed out: to sign in, under the script prefix
    location = {k.lower(): v for k, v in sent[0]["headers"]}[b"location"].decode()
    assert location.startswith("/news/accounts/sign-in/")
    assert language_after == "en"
    assert not Comment.objects.filter(article=article).exists()


def test_what_the_process_loaded_is_frozen_out_of_the_collectors_sight():
    import gc

    import broadsheet.asgi  # noqa: F401 - loading the application freezes what it loaded

    assert gc.get_freeze_count() > 10_000
