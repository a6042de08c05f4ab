"""Finished article pages for signed-out readers, kept in the cache.

Readers outnumber commenters by orders of magnitude, and a signed-out reader's
page is the same for everyone (it carries no CSRF token and no per-reader
state). So the bytes are cached under a key that changes whenever what the page
shows can change: the article's last edit, the discussion's mode and its newest
live event (every comment, edit, deletion, vote and moderation decision records
one). Nothing needs deleting: a write makes a new key, and old keys expire.
Presence markers may be up to BROADSHEET_PAGE_CACHE_SECONDS stale; the page's
script updates them live anyway.

In front of this, core/front_cache.py keeps the same bytes in each process's
memory and answers repeat requests without entering Django at all; this cache
is what fills it, and what processes share through Redis.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.utils import translation


def is_shared_request(request) -> bool:
    """A GET by a reader with no session and no pending messages: it gets the
    answer every such reader gets."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def is_cacheable(request) -> bool:
    """A shared request for an article page asking only what the page knows."""
    return is_shared_request(request) and not request.GET.keys() - {
        "sort",
        "from",
        "thread",
        "at",
        "quoting",
    }


def page_key(request, article, *, newest_event: int) -> str:
    discussion = getattr(article, "discussion", None)
    parts = [
        str(article.pk),
        article.updated_at.isoformat(),
        getattr(discussion, "mode", ""),
        str(getattr(discussion, "breaking_news_since", "")),
        str(newest_event),
        translation.get_language() or "",
        # Scheme and host too: the page names its own address (canonical, og:url).
        request.build_absolute_uri(),
    ]
    return "page:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def etag_for(key: str) -> str:
    return '"' + key.removeprefix("page:")[:32] + '"'


def get_page(key: str) -> tuple[bytes, float] | None:
    """The page's bytes and when they were rendered (seconds since the epoch)."""
    return cache.get(key)


def keep_page(key: str, content: bytes) -> float:
    rendered_at = time.time()
    cache.set(key, (content, rendered_at), settings.BROADSHEET_PAGE_CACHE_SECONDS)
    return rendered_at
