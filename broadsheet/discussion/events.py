"""Live events about comments: one builder per event type, each returning the
event's exact shape (tests/discussion/test_events.py pins them).

The live transport carries them to open pages without knowing what they say
(live/events.py builds its own few: presence, reload). They carry the comment's
HTML rendered by the same template as the page, so a live page shows exactly
what a reload would show. The HTML is the view of a reader who is neither its
author nor a voter (discussion/controls.py, NEUTRAL_VIEWER); the page's script
adapts the few controls that differ (and fills in its own CSRF token).
"""

from typing import Any

from django.utils import translation

from broadsheet.articles.queries import get_edition_family_if_any
from broadsheet.discussion.controls import NEUTRAL_VIEWER, controls_for
from broadsheet.discussion.fragments import render_comments
from broadsheet.discussion.models import Comment
from broadsheet.discussion.queries import present_on_page
from broadsheet.live.events import Event
from broadsheet.translation.providers import translation_enabled


def _comment_html(comment: Comment, page=None, family=None) -> str:
    """The comment as the page of `page` (the article, or an edition of it) shows it,
    in that page's language."""
    page = page or comment.article
    comment.parent_number = comment.parent.number if comment.parent_id else None
    comment.controls = controls_for(comment, NEUTRAL_VIEWER, article=page)
    present_on_page(comment, page, family)
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
