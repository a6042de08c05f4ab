"""One page for everyone, plus a small personal layer (docs/personal-layer.md, ADR 0020).

A signed-in reader whose browser runs the page script carries the marker cookie
(`MARKER_COOKIE` = "1"), which only the personal-layer response itself sets. For
such a reader the front cache answers the article page with the bytes every
signed-out reader gets, and the script then asks for the reader's own layer
(`LAYER_PATH_PREFIX`...): that small answer is kept per session, in the same
front cache, and dropped when the discussion or the reader changes.

This module holds only the names both sides agree on; the feature apps draw the
layer, the front cache keeps it.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings

# "1": the page script runs here, give this reader the shared page. "0": give this
# reader the full page (staff and moderators, whose pages show more). Read by the
# page script too, so not HttpOnly; it carries no secret.
MARKER_COOKIE = "broadsheet_layer"
MARKER_SHARED = "1"
MARKER_FULL_PAGE = "0"

# Every personal layer lives under this path, so the front cache knows a layer
# request by its path before it asks Django.
LAYER_PATH_PREFIX = "/layer/"

# Set by Django on a personal layer the front cache may keep for this session:
# "articles=1,2; reader=7; rendered=1732870000.25". Never leaves the process.
PERSONAL_HEADER = "X-Broadsheet-Personal"

_SHARED_VIEW_ATTRIBUTE = "broadsheet_shared_with_signed_in"


def shares_page_with_signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose shared page a marked signed-in reader gets too (the view
    must load the personal-layer script)."""
    setattr(view, _SHARED_VIEW_ATTRIBUTE, True)
    return view


def is_shared_with_signed_in(view: Callable[..., Any]) -> bool:
    return getattr(view, _SHARED_VIEW_ATTRIBUTE, False)


def wants_shared_page(request) -> bool:
    """A GET by a signed-in reader whose page script adds the personal layer, with
    no pending messages (those are shown once, on a page drawn for the reader)."""
    return (
        request.method in ("GET", "HEAD")
        and request.COOKIES.get(MARKER_COOKIE) == MARKER_SHARED
        and settings.SESSION_COOKIE_NAME in request.COOKIES
        and "messages" not in request.COOKIES
    )


def mark_personal(response, *, article_ids: list[int], reader_id: int, rendered_at: float) -> None:
    """Tell the front cache this response is `reader_id`'s layer for these articles,
    to be kept for the session that asked and no one else."""
    ids = ",".join(str(article_id) for article_id in article_ids)
    response[PERSONAL_HEADER] = f"articles={ids}; reader={reader_id}; rendered={rendered_at:.3f}"


def parse_personal_mark(value: bytes) -> tuple[frozenset[int], int, float] | None:
    try:
        fields = dict(part.strip().split("=", 1) for part in value.decode().split(";"))
        ids = frozenset(int(n) for n in fields["articles"].split(",") if n)
        return ids, int(fields["reader"]), float(fields["rendered"])
    except (KeyError, ValueError):
        return None


def set_marker(response, value: str) -> None:
    response.set_cookie(
        MARKER_COOKIE,
        value,
        max_age=settings.SESSION_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
        httponly=False,  # the page script reads it to know a layer is worth asking for
    )


def clear_marker(response) -> None:
    response.delete_cookie(MARKER_COOKIE, samesite="Lax")
