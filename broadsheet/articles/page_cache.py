"""Finished article pages for signed-out readers, kept in the cache.

Readers outnumber commenters by orders of magnitude, and a signed-out reader's
page is the same for everyone (it carries no CSRF token and no per-reader
state). So the bytes are cached under a key that changes whenever what the page
shows can change: the article's last edit, the discussion's mode and its newest
live event (every comment, edit, deletion, vote and moderation decision records
one). Nothing needs deleting: a write makes a new key, and old keys expire.
Presence markers may be up to PAGE_CACHE_SECONDS stale; the page's script
updates them live anyway.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

PAGE_CACHE_SECONDS = 60


def is_cacheable(request) -> bool:
    """Only GETs by readers with no session and no pending messages are shared."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and not request.GET.keys() - {"sort", "from", "thread", "at", "quoting"}
    )


def page_key(request, article, *, newest_event: int) -> str:
    discussion = getattr(article, "discussion", None)
    parts = [
        str(article.pk),
        article.updated_at.isoformat(),
        getattr(discussion, "mode", ""),
        str(getattr(discussion, "breaking_news_since", "")),
        str(newest_event),
        translation.get_language() or "",
        request.get_full_path(),
    ]
    return "page:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def etag_for(key: str) -> str:
    return '"' + key.removeprefix("page:")[:32] + '"'


def get_page(key: str) -> bytes | None:
    return cache.get(key)


def keep_page(key: str, content: bytes) -> None:
    cache.set(key, content, PAGE_CACHE_SECONDS)
