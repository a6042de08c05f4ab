"""Each comment's HTML, rendered once per change and kept (docs/rendering.md).

Drawing fifty threads of comments with Django's template engine was about 70% of
a page rendered from nothing. A comment's HTML is a pure function of a few dozen
values: the comment's own (state, text, score, quote, place in its thread), its
author's (handle, display name, rating, erasure), the page's (edition, language,
time zone, script prefix) and the controls the viewer gets (discussion/controls.py).
So it is rendered by discussion/comment.html once and kept in the cache under a
digest of exactly those values, all of them, and nothing else.

That makes invalidation a non-question, which is the point: a change to anything
the fragment shows (a rejection, a deletion, an erased author, an edit, a vote)
changes the key, so the page asks for a fragment that does not exist yet and
renders the new state; the old one is never asked for again and expires after
BROADSHEET_COMMENT_FRAGMENT_SECONDS. A held comment is left out of a page by the
query before it gets here. Nothing per reader is kept: the two things that are
per request, the author's presence (it counts down every second) and the CSRF
token of the vote forms, are holes in the kept HTML filled in on every render.
Controls that depend on the viewer (their own vote, their own comment's edit and
delete links) are part of the key, as values, never the viewer's identity: two
readers with the same controls on a comment get the same bytes, as they would
from the template.
"""

import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from broadsheet.discussion.models import Comment

TEMPLATE = "discussion/comment.html"
# Bump when what fills the holes, or what the key holds, changes shape.
_FORMAT = "1"


@lru_cache(maxsize=1)
def _holes() -> tuple[str, str]:
    """The marks left where presence and the CSRF token go. Derived from the
    secret key, so every process of a site (sharing fragments through Redis)
    agrees on them and no reader can type one into a comment; the NUL would not
    survive the sanitizer or escaping anyway."""

    def mark(name: str) -> str:
        digest = hmac.new(settings.SECRET_KEY.encode(), name.encode(), "sha256").hexdigest()
        return f"\x00{name}:{digest[:24]}\x00"

    return mark("presence"), mark("csrf")


@lru_cache(maxsize=1)
def _template_version() -> str:
    """A digest of the template's source: a release that changes what a comment
    looks like does not meet the fragments the previous one kept in Redis."""
    template = get_template(TEMPLATE)
    source = template.template.source
    return hashlib.blake2b(source.encode(), digest_size=8).hexdigest()


def _presence_html(author, labels: tuple[str, str]) -> str:
    # Drawn here rather than in the template: it is the one part of a comment
    # that changes by itself (a countdown), and drawing it for fifty threads
    # through the template engine on every render cost more than all the rest.
    seconds = author.presence_seconds_left
    handle = escape(author.handle)
    online, offline = labels
    if seconds:
        return (
            f'<span class="presence presence--online" data-presence-handle="{handle}" '
            f'data-online-seconds="{seconds}">{online}</span>'
        )
    return (
        f'<span class="presence presence--offline" data-presence-handle="{handle}" '
        f'data-online-seconds="0">{offline}</span>'
    )


def _page_values(article, *, highlighted, translation_enabled: bool) -> tuple:
    """What every comment of one page shares among the values its HTML shows."""
    return (
        _FORMAT,
        _template_version(),
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        get_script_prefix(),
        article.pk,
        article.slug,
        article.get_absolute_url(),
        article.language,
        article.original.language,
        bool(translation_enabled),
        highlighted,
    )


def _comment_values(comment: Comment) -> tuple:
    """Every value of the comment and its author that comment.html shows."""
    author = comment.author
    return (
        comment.pk,
        comment.number,
        str(comment.status),  # a fresh row holds the text, a posted one the enum
        comment.deleted_at,
        comment.edited_at,
        comment.created_at,
        comment.depth,
        comment.thread,
        comment.path,
        getattr(comment, "parent_number", None),
        getattr(comment, "more_replies_after", 0),
        comment.score,
        comment.language,
        comment.language_name,
        comment.quote_anchor,
        comment.quote_text,
        comment.quote_language,
        comment.quote_is_current,
        comment.quote_page_anchor,
        comment.quote_edition_name,
        comment.body_html,
        author.pk,
        author.handle,
        author.display_name,
        author.rating,
        author.erased_at is not None,
        # A flat dataclass of strings, numbers and flags: its values in field order
        # (dataclasses.astuple deep-copies each one, and cost more than the rest).
        tuple(comment.controls.__dict__.values()),
    )


def fragment_key(page_values: tuple, comment: Comment) -> str:
    """The cache key of `comment`'s HTML on a page with `page_values` (_page_values)."""
    return _digest((page_values, _comment_values(comment)))


def _digest(values: tuple) -> str:
    # A digest of the repr of every value, which no two different tuples share
    # (measured faster than hashing the values one by one).
    return "comment-html:" + hashlib.blake2b(repr(values).encode(), digest_size=20).hexdigest()


# The kept HTML this process used lately, by the values themselves: a page found
# its fifty comments here without a digest, a cache lookup and unpickling each
# (a fifth of a render from nothing, ADR 0025). The same values give the same
# HTML, so nothing here goes stale; it is only bounded, least recently used out.
# (Tuples compare by ==: every position holds one type, so 1 and True, which are
# equal, never meet at the same place.) Cleared with
# forget_kept_html (tests, and the bench's first-render-after-a-restart row).
_RECENT_LIMIT = 2048
_recent: OrderedDict[tuple, str] = OrderedDict()


def forget_kept_html() -> None:
    """Drop the comment HTML this process remembers (the shared cache keeps its own)."""
    _recent.clear()


def _recall(values: tuple) -> str | None:
    try:
        html = _recent.get(values)
    except TypeError:  # a value that cannot be hashed: left to the shared cache
        return None
    if html is not None:
        _recent.move_to_end(values)
    return html


def _remember(values: tuple, html: str) -> None:
    try:
        _recent[values] = html
    except TypeError:
        return
    if len(_recent) > _RECENT_LIMIT:
        _recent.popitem(last=False)


def _render_one(comment: Comment, context: dict) -> str:
    presence_hole, csrf_hole = _holes()
    return get_template(TEMPLATE).render(
        {
            **context,
            "comment": comment,
            "presence_hole": mark_safe(presence_hole),  # noqa: S308 (our own mark, no user text)
            "csrf_hole": mark_safe(csrf_hole),  # noqa: S308 (our own mark, no user text)
        }
    )


def render_comments(
    comments: Iterable[Comment],
    *,
    article,
    csrf_token: Callable[[], str] | str,
    highlighted: int | None = None,
    translation_enabled: bool = False,
    changed: bool = False,
) -> SafeString:
    """The HTML of `comments` (each with its `controls` and what
    queries.present_on_page sets) as the page of `article` shows them, in the
    active language. `csrf_token` goes into vote forms ("" when the page script
    fills in its own, as in live events); given as a function, it is called
    only when a vote form shows. `changed` says the comments were just posted or
    changed, so no kept copy can match their new values: they are drawn without a
    look-up (a cache round trip with Redis) and kept for the pages that follow."""
    comments = list(comments)
    page_values = _page_values(
        article, highlighted=highlighted, translation_enabled=translation_enabled
    )
    seconds = settings.BROADSHEET_COMMENT_FRAGMENT_SECONDS
    values = [(page_values, _comment_values(comment)) for comment in comments]
    # A changed comment's new values were never drawn: no look-up, here or shared.
    look = seconds and not changed
    found: list[str | None] = [_recall(value) if look else None for value in values]
    # Digests only for what this process does not remember: the shared cache's keys.
    keys = {i: _digest(values[i]) for i, html in enumerate(found) if html is None}
    kept = cache.get_many(list(keys.values())) if look and keys else {}
    context = {
        "article": article,
        "highlighted": highlighted,
        "translation_enabled": translation_enabled,
    }
    made = {}
    holes = _holes()
    labels = (escape(gettext("Online")), escape(gettext("Offline")))
    # Drawn and escaped once, and only if some comment has a form that needs it.
    token = lru_cache(maxsize=1)(
        lambda: escape(csrf_token() if callable(csrf_token) else csrf_token)
    )
    parts = []
    for i, comment in enumerate(comments):
        html = found[i]
        if html is None:
            key = keys[i]
            html = kept.get(key)
            if html is None:
                html = made[key] = _render_one(comment, context)
            if seconds:
                _remember(values[i], html)
        parts.append(_fill_holes(html, comment, holes=holes, labels=labels, token=token))
    if made and seconds:
        # Kept once the caller's transaction commits: a post renders its comment
        # while it holds the discussion's row lock, and this store is a round trip
        # to Redis that the lock need not wait for (docs/posting.md, round 6). A
        # cache that fails to store costs a later render, never the write.
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(lambda: _keep(made, seconds), robust=True)
        else:
            _keep(made, seconds)  # a page: no transaction to wait for
    return mark_safe("".join(parts))  # noqa: S308 (the template's own output, escaped there)


def draw_comment(comment: Comment, *, article, translation_enabled: bool = False) -> str:
    """`comment`'s HTML on the page of `article`, in the active language, as
    render_comments keeps it (the presence and CSRF holes still open), drawn now
    and not kept: for a comment whose values are not final yet, such as a post
    drawn before its number is known (discussion/events.py). `finish_drawn`
    fills the holes; `keep_drawn` keeps it once its values are final."""
    context = {
        "article": article,
        "highlighted": None,
        "translation_enabled": translation_enabled,
    }
    return _render_one(comment, context)


def finish_drawn(html: str, comment: Comment, *, csrf_token: str) -> SafeString:
    """HTML from draw_comment with its holes filled, as render_comments fills them."""
    labels = (escape(gettext("Online")), escape(gettext("Offline")))
    html = _fill_holes(
        html, comment, holes=_holes(), labels=labels, token=lambda: escape(csrf_token)
    )
    return mark_safe(html)  # noqa: S308 (the template's own output, escaped there)


def _fill_holes(
    html: str,
    comment: Comment,
    *,
    holes: tuple[str, str],
    labels: tuple[str, str],
    token: Callable[[], str],
) -> str:
    """Kept HTML with this page's author presence and CSRF token (`token()`, escaped
    already) put in its holes."""
    presence_hole, csrf_hole = holes
    if presence_hole in html:
        html = html.replace(presence_hole, _presence_html(comment.author, labels))
    if csrf_hole in html:
        html = html.replace(csrf_hole, token())
    return html


def keep_drawn(html: str, comment: Comment, *, article, translation_enabled: bool = False) -> None:
    """Keep HTML from draw_comment, whose comment now has its final values (and the
    values present_on_page and the controls set for `article`'s page), as
    render_comments(changed=True) keeps what it draws: for the pages that follow.
    Call it with the language, time zone and script prefix active that were
    active when it was drawn."""
    seconds = settings.BROADSHEET_COMMENT_FRAGMENT_SECONDS
    if not seconds:
        return
    page_values = _page_values(article, highlighted=None, translation_enabled=translation_enabled)
    values = (page_values, _comment_values(comment))
    _remember(values, html)
    _keep({_digest(values): html}, seconds)


def _keep(made: dict[str, str], seconds: int) -> None:
    if len(made) == 1:
        # One SET with its expiry; set_many is MULTI, MSET, EXPIRE and EXEC.
        [(key, html)] = made.items()
        cache.set(key, html, seconds)
    else:
        cache.set_many(made, seconds)
