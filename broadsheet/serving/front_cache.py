"""The front cache: finished pages for signed-out readers, served before Django.

A signed-out reader's article page is the same bytes for everyone, and readers
outnumber commenters a thousand to one. Django's view already caches those bytes
(articles/page_cache.py), but even a hit walks the whole middleware chain,
resolves the URL and asks the database for the discussion's newest event: about
4 ms of one core. This ASGI layer sits in front of Django and answers a repeat
request in well under a millisecond, from memory, without touching the database.
docs/adr/0005-front-cache.md explains the choice.

How it stays correct:

- It only ever stores what Django itself marked as shared (the `MARK_HEADER`
  response header, set by views that build one page for every signed-out
  reader), and only for requests that carry no session or messages cookie.
  Anything else passes straight through, streams included.
- The exception: a signed-in reader whose page script adds their personal layer
  (the marker cookie, docs/personal-layer.md) gets the shared page of a view
  marked `shares_page_with_signed_in`, asked of Django without the session
  cookie; and their layer, which Django marks for this session alone
  (`PERSONAL_HEADER`), is kept under the session and CSRF cookies and dropped
  when the discussion or the reader changes, or after
  BROADSHEET_PERSONAL_LAYER_SECONDS.
- When it holds both, the shared page and a usable layer of this session for
  the same path, query and language, it answers the page with the layer stitched
  in as a data block (serving/stitching.py, ADR 0024): `Cache-Control: private`,
  an ETag of both, and no request for the layer. Without a usable layer the
  answer is the shared page's bytes, and the page script asks for the layer.
- Each stored page names the articles it shows. Every write operation's live
  event calls `article_changed` after its commit, in the process that wrote and
  (through the live hub's Redis channel) in every other process; a page filled
  before that moment is never served again.
- Without Redis, processes on one machine (`serve --workers`, and a shell
  command such as `broadsheet publish` run beside the server) tell each other
  through a change journal in the data folder (`live.changes.ChangeJournal`): the writer
  appends the article's id after its commit, and every front cache looks at the
  journal's size (one `os.stat`) at most every JOURNAL_CHECK_SECONDS (50 ms)
  before answering from memory. So an unpublished article is gone from every
  process's answers within 50 ms.
- Without Redis and with several worker processes, a process also asks Django
  again (with If-None-Match: usually a cheap 304) once a page is older than
  `BROADSHEET_FRONT_CACHE_REVALIDATE_SECONDS`, for writers on other machines.
- Pages carry presence markers, so none is kept longer than PAGE_CACHE_SECONDS
  after Django rendered it.

Pages are gzip-compressed once, when stored, not per request (a stitched answer
is joined from parts compressed before it: stitching.py).
"""

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils import translation

from broadsheet.live.changes import clock, journal
from broadsheet.live.hub import hub
from broadsheet.metrics import FRONT_CACHE
from broadsheet.serving.personal_layer import (
    LAYER_PATH_PREFIX,
    MARKER_COOKIE,
    MARKER_SHARED,
    PERSONAL_HEADER,
    is_shared_with_signed_in,
    parse_personal_mark,
)
from broadsheet.serving.stitching import (
    LayerBlock,
    StitchPoint,
    compress_page,
    layer_block,
    stitched_body,
    stitched_etag,
    stitched_gzip,
)

# Set by a Django view on a response that is the same for every signed-out reader:
# "articles=1,2; rendered=1732870000.25". Never leaves the process.
MARK_HEADER = "X-Broadsheet-Shared"
_MARK_HEADER_RAW = MARK_HEADER.lower().encode()
_PERSONAL_HEADER_RAW = PERSONAL_HEADER.lower().encode()
# Headers that belong to one exchange, not to the stored page.
_NOT_STORED = {b"content-length", b"content-encoding", b"etag", b"last-modified", b"date"}
# Below this a compressed copy saves too little to be worth the second variant.
_MIN_COMPRESSED_SIZE = 1024

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def mark_shared(response, *, article_ids: Iterable[int], rendered_at: float) -> None:
    """Tell the front cache this response is the same for every signed-out reader,
    shows these articles, and was rendered at this moment."""
    ids = ",".join(str(article_id) for article_id in article_ids)
    response[MARK_HEADER] = f"articles={ids}; rendered={rendered_at:.3f}"


def _parse_mark(value: bytes) -> tuple[frozenset[int], float] | None:
    try:
        fields = dict(part.strip().split("=", 1) for part in value.decode().split(";"))
        ids = frozenset(int(n) for n in fields["articles"].split(",") if n)
        return ids, float(fields["rendered"])
    except (KeyError, ValueError):
        return None


JOURNAL_CHECK_SECONDS = 0.05

# --- stored pages -----------------------------------------------------------------


@dataclass
class StoredPage:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    gzipped: bytes | None
    etag: bytes
    last_modified: bytes
    article_ids: frozenset[int]
    filled_at: int  # ChangeClock moment from before the render
    rendered_at: float  # wall clock, from Django
    checked_at: float = field(default_factory=time.monotonic)
    # A personal layer: whose it is (its key names the session). None: a shared page.
    reader_id: int | None = None
    # A shared page: where a personal layer can be stitched in (serving/stitching.py).
    stitch: StitchPoint | None = None
    # A personal layer: its data block, ready to be stitched into the page.
    block: LayerBlock | None = None

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"") + (self.block.size if self.block else 0)


class PageStore:
    """Pages by key, least recently used dropped first, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._pages: OrderedDict[tuple, StoredPage] = OrderedDict()

    def get(self, key: tuple) -> StoredPage | None:
        page = self._pages.get(key)
        if page is not None:
            self._pages.move_to_end(key)
        return page

    def put(self, key: tuple, page: StoredPage) -> None:
        if page.size > self.max_bytes // 4:
            return
        self.drop(key)
        self._pages[key] = page
        self.size += page.size
        while self.size > self.max_bytes:
            _, oldest = self._pages.popitem(last=False)
            self.size -= oldest.size

    def drop(self, key: tuple) -> None:
        page = self._pages.pop(key, None)
        if page is not None:
            self.size -= page.size

    def __len__(self) -> int:
        return len(self._pages)


# --- the request side ---------------------------------------------------------------


class _Request:
    """Just enough of a request for Django's language negotiation."""

    def __init__(self, cookie_language: str | None, accept_language: str) -> None:
        self.COOKIES = {settings.LANGUAGE_COOKIE_NAME: cookie_language} if cookie_language else {}
        self.META = {"HTTP_ACCEPT_LANGUAGE": accept_language}
        self.path_info = "/"


@lru_cache(maxsize=512)
def _language_for(cookie_language: str | None, accept_language: str) -> str:
    # The same choice LocaleMiddleware makes, so the key names the language of the
    # page Django would render. Cached: browsers send few distinct headers.
    return translation.get_language_from_request(_Request(cookie_language, accept_language))


def _cookies(header: bytes) -> dict[str, str]:
    cookies = {}
    for part in header.decode("latin-1").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            cookies[name] = value
    return cookies


@dataclass(frozen=True)
class _CookieFacts:
    messages: bool
    session: str | None
    marker: str | None
    csrf: str | None
    language: str | None


@lru_cache(maxsize=4096)
def _cookie_facts(header: bytes) -> _CookieFacts:
    # Cached: a returning browser sends the same header with every request, and
    # parsing it was a tenth of a front-cache hit for a signed-in reader.
    cookies = _cookies(header)
    return _CookieFacts(
        messages="messages" in cookies,
        session=cookies.get(settings.SESSION_COOKIE_NAME),
        marker=cookies.get(MARKER_COOKIE),
        csrf=cookies.get(settings.CSRF_COOKIE_NAME),
        language=cookies.get(settings.LANGUAGE_COOKIE_NAME),
    )


def _accepts_gzip(accept_encoding: bytes) -> bool:
    for coding in accept_encoding.split(b","):
        name, _, params = coding.strip().partition(b";")
        if name.strip().lower() == b"gzip":
            return params.replace(b" ", b"") not in (b"q=0", b"q=0.0", b"q=0.00", b"q=0.000")
    return False


@lru_cache(maxsize=1024)
def _shared_with_signed_in(path: str) -> bool:
    """Whether the view at `path` gives a marked signed-in reader the shared page
    (personal_layer.shares_page_with_signed_in). Asked before every such request,
    so a path the front cache holds for signed-out readers (the home page, a feed)
    is still drawn by Django for a signed-in one."""
    try:
        return is_shared_with_signed_in(resolve(path).func)
    except Resolver404:
        return False


@dataclass
class _Incoming:
    key: tuple
    gzip: bool
    if_none_match: bytes | None
    if_modified_since: bytes | None
    # A marked signed-in reader asking for a shared page: Django must draw it as
    # it draws it for a signed-out reader, so the session cookie is not passed on.
    strip_session: bool = False
    # A marked signed-in reader asking for their personal layer (kept per session).
    personal: bool = False
    session: str | None = None
    csrf_cookie: str | None = None

    @property
    def layer_key(self) -> tuple:
        """The key of the personal layer of the page this request asks for (the
        request of a marked signed-in reader for a shared page)."""
        scheme, host, path, query, language = self.key
        layer_path = LAYER_PATH_PREFIX.removesuffix("/") + path
        return _personal_key(
            self.session, self.csrf_cookie, (scheme, host, layer_path, query, language)
        )


def _cache_key(scope: Scope) -> _Incoming | None:
    """The key of a request the front cache may answer, or None to pass it on."""
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return None
    # Static files are never shared pages (WhiteNoise answers them, with its own
    # compression and 304s): spare them the bookkeeping of a fill. Anything else
    # Django did not mark, streams included, passes through as it is answered.
    if scope["path"].startswith(settings.STATIC_URL):
        return None
    cookie = accept_language = accept_encoding = host = b""
    if_none_match = if_modified_since = None
    for name, value in scope["headers"]:
        if name == b"cookie":
            cookie = cookie + b";" + value if cookie else value
        elif name == b"accept-language":
            accept_language = value
        elif name == b"accept-encoding":
            accept_encoding = value
        elif name == b"host":
            host = value
        elif name == b"if-none-match":
            if_none_match = value
        elif name == b"if-modified-since":
            if_modified_since = value
        elif name == b"authorization":
            return None
    cookie_language = session = csrf_cookie = None
    strip_session = personal = False
    if cookie:
        cookies = _cookie_facts(cookie)
        if cookies.messages:
            return None
        session = cookies.session
        if session is not None:
            # A signed-in reader: only one whose page script adds the personal
            # layer (the marker, which only that layer's answer sets) is served here.
            if cookies.marker != MARKER_SHARED:
                return None
            if scope["path"].startswith(LAYER_PATH_PREFIX):
                personal = True
            elif _shared_with_signed_in(scope["path"]):
                strip_session = True
            else:
                return None
            csrf_cookie = cookies.csrf
        cookie_language = cookies.language
    language = _language_for(cookie_language, accept_language.decode("latin-1"))
    key: tuple = (
        scope.get("scheme", "http"),
        host,
        scope["path"],
        scope.get("query_string", b""),
        language,
    )
    if personal:
        key = _personal_key(session, csrf_cookie, key)
    return _Incoming(
        key,
        _accepts_gzip(accept_encoding),
        if_none_match,
        if_modified_since,
        strip_session=strip_session,
        personal=personal,
        session=session,
        csrf_cookie=csrf_cookie,
    )


def _personal_key(session: str | None, csrf_cookie: str | None, key: tuple) -> tuple:
    # Never answered for another session (nor another CSRF cookie: the layer
    # carries a token made from it).
    return ("personal", session, csrf_cookie, *key)


def _without_session_cookie(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    session_name = settings.SESSION_COOKIE_NAME.encode("latin-1")
    kept = []
    for name, value in headers:
        if name == b"cookie":
            parts = [
                part
                for part in value.split(b";")
                if part.strip().partition(b"=")[0] != session_name
            ]
            value = b";".join(parts).strip()
            if not value:
                continue
        kept.append((name, value))
    return kept


def _etag_matches(if_none_match: bytes, etags: Iterable[bytes]) -> bool:
    wanted = {tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b",")}
    return b"*" in wanted or any(etag in wanted for etag in etags)


class FrontCache:
    """ASGI middleware: answer signed-out readers from stored pages, else ask Django."""

    def __init__(self, app: ASGIApp, *, max_bytes: int | None = None) -> None:
        self.app = app
        self.store = PageStore(max_bytes or settings.BROADSHEET_FRONT_CACHE_MB * 1024 * 1024)
        self._filling: dict[tuple, asyncio.Future] = {}
        self._listening = False
        # With Redis, other processes' changes arrive on the live hub's channel.
        self._journal = None if settings.BROADSHEET_REDIS_URL else journal
        if self._journal is not None:
            self._journal.catch_up()  # from now on
        self._journal_due = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        incoming = _cache_key(scope) if settings.BROADSHEET_FRONT_CACHE else None
        if incoming is None:
            await self.app(scope, receive, send)
            return
        if self._journal is not None and (now := time.monotonic()) >= self._journal_due:
            # Other processes' changes (another worker, a shell command) are read at
            # most every JOURNAL_CHECK_SECONDS: the look costs more than the rest
            # of a hit, and a change a shell command made is news within that.
            self._journal_due = now + JOURNAL_CHECK_SECONDS
            self._journal.catch_up()
        page = self._usable(incoming.key)
        FRONT_CACHE.labels("miss" if page is None else "hit").inc()
        if page is None and scope["method"] == "GET":
            page = await self._fill(incoming, scope, receive, send)
            if page is None:
                return  # Django answered this request itself
        if page is None:
            await self.app(scope, receive, send)
            return
        if incoming.strip_session and page.stitch is not None:
            block = self._layer_block_for(incoming, page)
            if block is not None:
                await self._answer_stitched(page, page.stitch, block, incoming, scope, send)
                return
        await self._answer(page, incoming, scope, send)

    def _usable(self, key: tuple) -> StoredPage | None:
        page = self.store.get(key)
        if page is None:
            return None
        if not clock.unchanged_since(page.filled_at, page.article_ids):
            self.store.drop(key)
            return None
        if page.reader_id is not None:
            fresh = (
                clock.reader_unchanged_since(page.filled_at, page.reader_id)
                and time.time() - page.rendered_at <= settings.BROADSHEET_PERSONAL_LAYER_SECONDS
            )
            if not fresh:
                self.store.drop(key)  # Django draws it again (and sees the reader)
                return None
            return page
        if time.time() - page.rendered_at > settings.BROADSHEET_PAGE_CACHE_SECONDS:
            self.store.drop(key)  # presence markers would be too stale
            return None
        if time.monotonic() - page.checked_at > settings.BROADSHEET_FRONT_CACHE_REVALIDATE_SECONDS:
            return None  # _fill revalidates it with Django
        return page

    def _layer_block_for(self, incoming: _Incoming, page: StoredPage) -> LayerBlock | None:
        """The data block of this session's kept layer of this page (same path, query
        and language, by its key), if `_usable` says the layer is fresh and it shows
        the same articles; else None, and the page script asks for the layer."""
        layer = self._usable(incoming.layer_key)
        if layer is None or layer.article_ids != page.article_ids:
            return None
        return layer.block

    async def _fill(
        self, incoming: _Incoming, scope: Scope, receive: Receive, send: Send
    ) -> StoredPage | None:
        """Ask Django for the page and store it; requests for the same page that
        arrive meanwhile wait for this one instead of rendering it again."""
        waiting = self._filling.get(incoming.key)
        if waiting is not None:
            page = await asyncio.shield(waiting)
            if page is not None:
                return page
            await self.app(scope, receive, send)
            return None
        future = asyncio.get_running_loop().create_future()
        self._filling[incoming.key] = future

        def release_waiters(page: StoredPage | None) -> None:
            if self._filling.get(incoming.key) is future:
                del self._filling[incoming.key]
            if not future.done():
                future.set_result(page)

        page = None
        try:
            page = await self._ask_django(incoming, scope, receive, send, release_waiters)
        finally:
            release_waiters(page)
        return page

    async def _ask_django(
        self,
        incoming: _Incoming,
        scope: Scope,
        receive: Receive,
        send: Send,
        release_waiters: Callable[[StoredPage | None], None],
    ) -> StoredPage | None:
        await self._listen_for_other_processes()
        filled_at = clock.now()
        previous = None if incoming.personal else self.store.get(incoming.key)
        inner_scope = scope
        if incoming.strip_session:
            inner_scope = dict(scope, headers=_without_session_cookie(scope["headers"]))
        elif incoming.personal:
            # Whole answers only: what the client holds is compared when answering.
            inner_scope = dict(
                scope,
                headers=[
                    (name, value)
                    for name, value in scope["headers"]
                    if name not in (b"if-none-match", b"if-modified-since")
                ],
            )
        mark_name = _PERSONAL_HEADER_RAW if incoming.personal else _MARK_HEADER_RAW
        if previous is not None:
            # Revalidate what we hold, not what the client holds.
            headers = [
                (name, value)
                for name, value in scope["headers"]
                if name not in (b"if-none-match", b"if-modified-since")
            ]
            headers.append((b"if-none-match", previous.etag))
            inner_scope = dict(scope, headers=headers)

        started: dict[str, Any] = {}
        body = bytearray()
        passed_through = False

        async def capture(message: dict[str, Any]) -> None:
            nonlocal passed_through
            if passed_through:
                await send(message)
            elif message["type"] == "http.response.start":
                # Django sends header names as written, not lowercased.
                message = dict(message, headers=[(n.lower(), v) for n, v in message["headers"]])
                marked = any(name == mark_name for name, _ in message["headers"])
                stored_status = message["status"] in ((200,) if incoming.personal else (200, 304))
                cookies_ok = (
                    _only_renews_csrf(message["headers"], incoming.csrf_cookie)
                    if incoming.personal
                    else not _sets_cookie(message["headers"])
                )
                if marked and stored_status and cookies_ok:
                    started.update(message)
                else:
                    # Not a shared page (a stream, a static file, an error): whoever
                    # waits for this one must ask Django for their own answer, now.
                    passed_through = True
                    release_waiters(None)
                    if previous is not None and message["status"] != 304:
                        self.store.drop(incoming.key)
                    await send(dict(message, headers=_without_mark(message["headers"])))
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await self.app(inner_scope, receive, capture)
        if passed_through or not started:
            return None
        mark = next(value for name, value in started["headers"] if name == mark_name)
        if incoming.personal:
            page = self._keep_personal(incoming, started, bytes(body), mark, filled_at)
            if page is None:
                await send(dict(started, headers=_without_mark(started["headers"])))
                await send({"type": "http.response.body", "body": bytes(body)})
            return page
        parsed = _parse_mark(mark)
        if parsed is None or (started["status"] == 304 and previous is None):
            # Not ours to store after all: hand the client what Django said.
            await send(dict(started, headers=_without_mark(started["headers"])))
            await send({"type": "http.response.body", "body": bytes(body)})
            return None
        article_ids, rendered_at = parsed
        if started["status"] == 304:
            previous.checked_at = time.monotonic()
            previous.filled_at = filled_at
            return previous
        page = _stored_page(started["headers"], bytes(body), article_ids, filled_at, rendered_at)
        if clock.unchanged_since(filled_at, article_ids):
            self.store.put(incoming.key, page)
        return page

    def _keep_personal(
        self,
        incoming: _Incoming,
        started: dict[str, Any],
        body: bytes,
        mark: bytes,
        filled_at: int,
    ) -> StoredPage | None:
        parsed = parse_personal_mark(mark)
        if parsed is None:
            return None
        article_ids, reader_id, rendered_at = parsed
        headers = [(name, value) for name, value in started["headers"] if name != b"set-cookie"]
        page = _stored_page(headers, body, article_ids, filled_at, rendered_at)
        page.reader_id = reader_id
        # Compressed once, now, for every page view it is stitched into.
        page.block = layer_block(body, page.etag)
        if clock.unchanged_since(filled_at, article_ids) and clock.reader_unchanged_since(
            filled_at, reader_id
        ):
            self.store.put(incoming.key, page)
        return page

    async def _answer(
        self, page: StoredPage, incoming: _Incoming, scope: Scope, send: Send
    ) -> None:
        use_gzip = incoming.gzip and page.gzipped is not None
        etag = page.etag[:-1] + b'-gz"' if use_gzip else page.etag
        headers = list(page.headers)
        headers.append((b"etag", etag))
        headers.append((b"last-modified", page.last_modified))
        not_modified = (
            _etag_matches(incoming.if_none_match, (etag,))
            if incoming.if_none_match is not None
            else _not_modified_since(incoming.if_modified_since, page.rendered_at)
        )
        if not_modified:
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = page.gzipped if use_gzip else page.body
        if use_gzip:
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": page.status, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

    async def _answer_stitched(
        self,
        page: StoredPage,
        point: StitchPoint,
        block: LayerBlock,
        incoming: _Incoming,
        scope: Scope,
        send: Send,
    ) -> None:
        """The shared page with this session's layer in it (serving/stitching.py):
        the reader's alone, so private, with an ETag of both parts."""
        gzipped = page.gzipped if incoming.gzip else None
        etag = stitched_etag(page.etag, block)
        if gzipped is not None:
            etag = etag[:-1] + b'-gz"'
        headers = [(name, value) for name, value in page.headers if name != b"cache-control"]
        # No Last-Modified: a date cannot say the layer is unchanged, only the ETag can.
        headers.append((b"cache-control", b"private, no-cache"))
        headers.append((b"etag", etag))
        if incoming.if_none_match is not None and _etag_matches(incoming.if_none_match, (etag,)):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if gzipped is not None:
            body = stitched_gzip(page.body, gzipped, point, block)
            headers.append((b"content-encoding", b"gzip"))
        else:
            body = stitched_body(page.body, point, block)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": page.status, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

    async def _listen_for_other_processes(self) -> None:
        """Hear of writes made by other processes (through Redis) from now on.

        The first fill waits (briefly) until the subscription stands: a page
        stored before it could miss a write made elsewhere in between."""
        if not self._listening:
            await hub.wait_until_listening(timeout=1.0)
            self._listening = True


def _without_mark(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [
        (name, value)
        for name, value in headers
        if name != _MARK_HEADER_RAW and name != _PERSONAL_HEADER_RAW
    ]


def _only_renews_csrf(headers: list[tuple[bytes, bytes]], csrf_cookie: str | None) -> bool:
    """Whether the response sets no cookie but the CSRF cookie the request already
    carried (Django renews its expiry whenever a token is used). Anything else (a
    new CSRF secret, a touched session, the marker) makes this answer one to pass
    on, not to keep."""
    csrf_name = settings.CSRF_COOKIE_NAME.encode("latin-1")
    for name, value in headers:
        if name != b"set-cookie":
            continue
        cookie_name, _, rest = value.partition(b"=")
        if csrf_cookie is None or cookie_name.strip() != csrf_name:
            return False
        if rest.partition(b";")[0] != csrf_cookie.encode("latin-1"):
            return False
    return True


def _sets_cookie(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name == b"set-cookie" for name, _ in headers)


def _not_modified_since(if_modified_since: bytes | None, rendered_at: float) -> bool:
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since.decode("latin-1")).timestamp()
    except (TypeError, ValueError):
        return False
    return int(rendered_at) <= since


def _stored_page(
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    article_ids: frozenset[int],
    filled_at: int,
    rendered_at: float,
) -> StoredPage:
    kept = [(name, value) for name, value in _without_mark(headers) if name not in _NOT_STORED]
    if not any(name == b"vary" for name, _ in kept):
        kept.append((b"vary", b"Accept-Encoding"))
    else:
        kept = [
            (name, value + b", Accept-Encoding" if name == b"vary" else value)
            for name, value in kept
        ]
    etag = next((value for name, value in headers if name == b"etag"), None)
    gzipped = stitch = None
    if len(body) >= _MIN_COMPRESSED_SIZE:
        gzipped, stitch = compress_page(body)
    return StoredPage(
        status=200,
        headers=kept,
        body=body,
        gzipped=gzipped,
        etag=etag or b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"',
        last_modified=formatdate(rendered_at, usegmt=True).encode(),
        article_ids=article_ids,
        filled_at=filled_at,
        rendered_at=rendered_at,
        stitch=stitch,
    )
