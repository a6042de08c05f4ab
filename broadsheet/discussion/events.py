"""Live events about comments: one builder per event type, each returning the
event's exact shape (tests/discussion/test_events.py pins them).

The live transport carries them to open pages without knowing what they say
(live/events.py builds its own few: presence, reload). They carry the comment's
HTML rendered by the same template as the page, so a live page shows exactly
what a reload would show. The HTML is the view of a reader who is neither its
author nor a voter (discussion/controls.py, NEUTRAL_VIEWER); the page's script
adapts the few controls that differ (and fills in its own CSRF token).
"""

import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import formats, translation
from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.timezone import template_localtime

from broadsheet.articles.queries import get_edition_family_if_any
from broadsheet.discussion.controls import NEUTRAL_VIEWER, controls_for
from broadsheet.discussion.fragments import (
    draw_comment,
    finish_drawn,
    keep_drawn,
    render_comments,
)
from broadsheet.discussion.models import Comment
from broadsheet.discussion.queries import present_on_page
from broadsheet.live.events import Event
from broadsheet.translation.providers import translation_enabled


def _comment_html(comment: Comment, page=None, family=None) -> str:
    """The comment as the page of `page` (the article, or an edition of it) shows it,
    in that page's language."""
    page = page or comment.article
    _prepare_for_page(comment, page, family)
    with translation.override(page.language):
        return render_comments(
            [comment],
            article=page,
            csrf_token="",  # the page script puts in its own
            # No request here, so no context processors: the page's own flag.
            translation_enabled=translation_enabled(),
            changed=True,  # every event is about a comment that just changed
        ).strip()


def _comment_htmls(comment: Comment) -> dict[str, Any]:
    """`html` for the original's page and, when the article has published editions,
    `editions`: language -> the HTML for that edition's page (its links, its
    language, its aligned quote). Rendered once per edition, per event, however
    many pages are open."""
    family = get_edition_family_if_any(comment.article)
    fields: dict[str, Any] = {"html": _comment_html(comment, comment.article, family)}
    editions = [m for m in family.published if m.pk != comment.article_id]
    if editions:
        fields["editions"] = {
            edition.language: _comment_html(comment, edition, family) for edition in editions
        }
    return fields


def _placement(comment: Comment) -> dict[str, Any]:
    return {
        "number": comment.number,
        "parent": comment.parent.number if comment.parent_id else None,
        "thread": comment.thread,
        "path": comment.path,
        "author": comment.author.handle,
    }


def comment_posted(comment: Comment) -> Event:
    return {"type": "comment.posted", **_placement(comment), **_comment_htmls(comment)}


# The number a post's HTML is drawn with before its real one is known (a random
# 30-digit number, drawn once per process). Digits, because the template reverses
# addresses with it (an <int:number> route) and they must come out whole; secret,
# so that no text a reader types holds it, and the drawn HTML never leaves the
# process with it: DrawnPost.event puts the real number in its place.
NUMBER_HOLE = 10**29 + secrets.randbelow(9 * 10**29)

# The template's one time element, whose first occurrence is the comment's own:
# the words before it (handle, display name) are escaped, and the body comes later
# and can hold no <time> (the sanitizer allows none).
_TIME_START = '<time class="comment__time" datetime="'
_TIME_END = "</time>"


def _time_element(created_at, language: str) -> str:
    """The comment's time element exactly as discussion/comment.html writes it
    (`|date:'c'` and `|date:"DATETIME_FORMAT"`, escaped), in `language`: written
    here rather than by a template, which cost twice as much."""
    with translation.override(language):
        shown = template_localtime(created_at)
        return (
            f'{_TIME_START}{escape(shown.isoformat())}">'
            f"{escape(formats.date_format(shown, 'DATETIME_FORMAT'))}{_TIME_END}"
        )


# The date format letters (django.utils.dateformat) that show nothing finer than
# the minute and nothing of the time zone: a shown time in these is the same for
# every instant of one minute.
_MINUTE_LETTERS = frozenset("dDjlNwzWmMnFEbyYLotSaAgGhHiPf")


def _shows_minutes_at_most(format_string: str) -> bool:
    if "\\" in format_string:  # an escaped letter: not worth reading, say no
        return False
    letters = [c for c in format_string if c.isascii() and c.isalpha()]
    return all(letter in _MINUTE_LETTERS for letter in letters)


@dataclass
class _DrawnPage:
    page: Any  # the article, or one of its editions
    language: str  # the key of `editions`; "" for the article's own page
    kept: str  # the HTML as fragments keeps it (presence and CSRF holes open)
    html: str  # the HTML as the event carries it
    shown: dict[str, Any]  # what present_on_page set for this page


class DrawnPost:
    """A new comment's comment.posted event, drawn before its number is known.

    Drawing the HTML (Django's template, once per page the discussion shows on)
    was about a third of a post's write transaction: SQLite's one write lock
    waited on it. `post_comment` draws it before the transaction, with the
    number NUMBER_HOLE, and `event` puts in, under the lock, what only the lock
    knows: the number (and so a root comment's thread and every address), the
    path and the time. The result is the same bytes as `comment_posted` gives
    (tests/discussion/test_drawn_post.py); if the template ever stops writing
    what `event` looks for, `event` draws the whole event again instead.
    """

    def __init__(self, draft: Comment) -> None:
        self._draft_path = draft.path
        self._draft_time = draft.created_at
        self._translation_enabled = translation_enabled()
        family = get_edition_family_if_any(draft.article)
        pages = [(draft.article, "")] + [
            (edition, edition.language)
            for edition in family.published
            if edition.pk != draft.article_id
        ]
        self._pages = []
        self._coarse_formats = True
        for page, language in pages:
            _prepare_for_page(draft, page, family)
            with translation.override(page.language):
                kept = draw_comment(
                    draft, article=page, translation_enabled=self._translation_enabled
                )
                html = finish_drawn(kept, draft, csrf_token="").strip()
                self._coarse_formats &= _shows_minutes_at_most(get_format("DATETIME_FORMAT"))
            shown = {name: getattr(draft, name) for name in _SHOWN}
            self._pages.append(_DrawnPage(page, language, kept, html, shown))

    def event(self, comment: Comment) -> Event:
        """The comment.posted event of `comment`, the drafted comment now numbered,
        placed and timed; its HTML is kept for the pages that follow after the
        commit, as comment_posted keeps it."""
        times = self._times(comment)
        filled = [
            self._fill(drawn.html, comment, time)
            for drawn, time in zip(self._pages, times, strict=True)
        ]
        if any(html is None for html in filled):
            return comment_posted(comment)
        fields: dict[str, Any] = {"html": filled[0]}
        if len(filled) > 1:
            fields["editions"] = {
                drawn.language: html
                for drawn, html in zip(self._pages[1:], filled[1:], strict=True)
            }
        transaction.on_commit(lambda: self._keep(comment, times), robust=True)
        return {"type": "comment.posted", **_placement(comment), **fields}

    def _times(self, comment: Comment) -> list:
        """For each page, what its time element needs: None when the drawn one is
        right, (drawn, stored) `datetime` attributes when only they differ, or else
        the whole element written again."""
        if comment.created_at == self._draft_time:
            return [None] * len(self._pages)
        attributes = self._new_time(comment)
        if attributes is not None:
            return [attributes] * len(self._pages)
        return [_time_element(comment.created_at, drawn.page.language) for drawn in self._pages]

    def _new_time(self, comment: Comment) -> tuple[str, str] | None:
        """(the drawn `datetime` attribute, the stored time's), when every page's
        shown time is the same for both (the same minute, and formats that show
        nothing finer): then only the attribute changes, and the time is not
        formatted again under the lock. None otherwise."""
        if not self._coarse_formats:
            return None
        drawn = template_localtime(self._draft_time)
        stored = template_localtime(comment.created_at)
        if drawn.replace(second=0, microsecond=0) != stored.replace(second=0, microsecond=0):
            return None
        if drawn.utcoffset() != stored.utcoffset():
            return None
        return f'datetime="{drawn.isoformat()}"', f'datetime="{stored.isoformat()}"'

    def _fill(self, html: str, comment: Comment, time: str | tuple[str, str] | None) -> str | None:
        """`html` with the number, path and time of `comment`; None if the HTML
        does not hold them where the template puts them."""
        drawn_path = f'data-path="{self._draft_path}"'
        if html.count(drawn_path) != 1:
            return None
        html = html.replace(drawn_path, f'data-path="{comment.path}"')
        html = html.replace(str(NUMBER_HOLE), str(comment.number))
        if time is None:
            return html
        if isinstance(time, tuple):
            drawn_time, stored_time = time
            if html.count(drawn_time) != 1:
                return None
            return html.replace(drawn_time, stored_time)
        start = html.find(_TIME_START)
        end = html.find(_TIME_END, start)
        if start < 0 or end < 0:
            return None
        return html[:start] + time + html[end + len(_TIME_END) :]

    def _keep(self, comment: Comment, times: list) -> None:
        for drawn, time in zip(self._pages, times, strict=True):
            kept = self._fill(drawn.kept, comment, time)
            if kept is None:
                continue
            for name, value in drawn.shown.items():
                setattr(comment, name, value)
            comment.controls = controls_for(comment, NEUTRAL_VIEWER, article=drawn.page)
            with translation.override(drawn.page.language):
                keep_drawn(
                    kept, comment, article=drawn.page, translation_enabled=self._translation_enabled
                )


# What present_on_page sets on a comment for one page (besides its controls).
_SHOWN = ("language_name", "quote_is_current", "quote_page_anchor", "quote_edition_name")


def _prepare_for_page(comment: Comment, page, family) -> None:
    comment.parent_number = comment.parent.number if comment.parent_id else None
    comment.controls = controls_for(comment, NEUTRAL_VIEWER, article=page)
    present_on_page(comment, page, family)


def draw_comment_posted(draft: Comment) -> DrawnPost:
    """Draw the comment.posted event of `draft`, a comment not yet stored whose
    number is NUMBER_HOLE (and its path and thread laid out with it)."""
    return DrawnPost(draft)


def comment_edited(comment: Comment) -> Event:
    return {"type": "comment.edited", **_placement(comment), **_comment_htmls(comment)}


def comment_deleted(comment: Comment) -> Event:
    return {"type": "comment.deleted", **_placement(comment), **_comment_htmls(comment)}


def comment_removed(comment: Comment) -> Event:
    """A moderator rejected the comment: pages show the placeholder in its place."""
    return {"type": "comment.removed", **_placement(comment), **_comment_htmls(comment)}


def comment_withdrawn(comment: Comment) -> Event:
    """A published comment went back to the moderators (an edit was held): pages take
    it away, as a reload would. No HTML: its words, old or new, are not public now."""
    return {"type": "comment.withdrawn", **_placement(comment)}


def comment_voted(comment: Comment) -> Event:
    return {
        "type": "comment.voted",
        "number": comment.number,
        "score": comment.score,
        "upvotes": comment.upvotes,
        "downvotes": comment.downvotes,
    }
