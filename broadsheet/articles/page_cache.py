"""Finished article pages for signed-out readers, kept in the cache.

Readers outnumber commenters by orders of magnitude, and a signed-out reader's
page is the same for everyone (it carries no CSRF token and no per-reader
state). So the bytes are cached under a key that changes whenever what the page
shows can change: the article's last edit, its editions, the discussion's mode and its newest
live event (every comment, edit, deletion, vote and moderation decision records
one). Nothing needs deleting: a write makes a new key, and old keys expire.
Presence markers may be up to BROADSHEET_PAGE_CACHE_SECONDS stale; the page's
script updates them live anyway.

In front of this, serving/front_cache.py keeps the same bytes in each process's
memory and answers repeat requests without entering Django at all; this cache
is what fills it, and what processes share through Redis.
"""

import hashlib
import re
import time
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict
from django.utils import translation

from broadsheet.articles.queries import EditionFamily, edition_family_stamp
from broadsheet.discussion.queries import SORTS
from broadsheet.metrics import PAGE_CACHE


def is_shared_request(request) -> bool:
    """A GET by a reader with no session and no pending messages: it gets the
    answer every such reader gets."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


# The query parameters an article page understands, each with the shape of its
# values. Anything else is not part of a shared page's identity.
_NUMBER = re.compile(r"[1-9][0-9]{0,9}")
_BEST_CURSOR = re.compile(r"-?[0-9]{1,10}_[1-9][0-9]{0,9}")
_PATH = re.compile(r"[0-9]{10}(\.[0-9]{10}){0,8}")
_ANCHOR = re.compile(r"p-[0-9a-f]{8}(-[0-9]{1,4})?")
PAGE_PARAMETERS = ("sort", "from", "thread", "at", "quoting")


def has_page_parameters_only(request) -> bool:
    """The request asks only what an article page knows."""
    return not request.GET.keys() - set(PAGE_PARAMETERS)


def canonical_query(params) -> str:
    """The page's parameters with every value the page would ignore left out, in
    a fixed order: the only query a shared page is stored under.

    Keying by the raw query let a stranger make a new cache entry per request
    (`?sort=aaaa`, `?sort=aaab`…), each a whole rendered page.
    """
    kept: dict[str, str] = {}
    sort = params.get("sort")
    if sort in SORTS:
        kept["sort"] = sort
    cursor = params.get("from", "")
    cursor_shape = _BEST_CURSOR if sort == "best" else _NUMBER
    if cursor_shape.fullmatch(cursor):
        kept["from"] = cursor
    if _NUMBER.fullmatch(params.get("thread", "")):
        kept["thread"] = params["thread"]
        if _PATH.fullmatch(params.get("at", "")):
            kept["at"] = params["at"]
    if _ANCHOR.fullmatch(params.get("quoting", "")):
        kept["quoting"] = params["quoting"]
    return urlencode(kept)


def is_canonical(request, query: str) -> bool:
    """Whether the request's query is `query` (its canonical form) in some order:
    each parameter once, each with a value the page uses."""
    params = request.GET
    if any(len(params.getlist(name)) > 1 for name in params):
        return False
    return QueryDict(query).dict() == params.dict()


def page_key(
    request, article, *, family: EditionFamily | None, newest_event: int, query: str
) -> str:
    discussion = getattr(article, "discussion", None)
    parts = [
        str(article.pk),
        article.updated_at.isoformat(),
        # Its editions show on it (links, hreflang) but save without touching it.
        edition_family_stamp(family),
        getattr(discussion, "mode", ""),
        str(getattr(discussion, "breaking_news_since", "")),
        # An edit held for moderation takes a comment off the page without a
        # live event (that would publish its text); the count it lowers says so.
        str(getattr(discussion, "comment_count", "")),
        str(newest_event),
        translation.get_language() or "",
        # Scheme and host too: the page names its own address (canonical, og:url).
        request.scheme,
        request.get_host(),
        request.path,
        query,
    ]
    return "page:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def etag_for(key: str) -> str:
    return '"' + key.removeprefix("page:")[:32] + '"'


def get_page(key: str) -> tuple[bytes, float] | None:
    """The page's bytes and when they were rendered (seconds since the epoch)."""
    page = cache.get(key)
    PAGE_CACHE.labels("miss" if page is None else "hit").inc()
    return page


def keep_page(key: str, content: bytes) -> float:
    rendered_at = time.time()
    cache.set(key, (content, rendered_at), settings.BROADSHEET_PAGE_CACHE_SECONDS)
    return rendered_at
