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

from django.template.loader import render_to_string
from django.utils import translation

from broadsheet.discussion.controls import NEUTRAL_VIEWER, controls_for
from broadsheet.discussion.models import Comment
from broadsheet.live.events import Event


def _comment_html(comment: Comment) -> str:
    comment.parent_number = comment.parent.number if comment.parent_id else None
    comment.controls = controls_for(comment, NEUTRAL_VIEWER, article=comment.article)
    comment.quote_is_current = bool(comment.quote_anchor) and (
        comment.quote_anchor in comment.article.paragraphs
    )
    with translation.override(comment.article.language):
        return render_to_string(
            "discussion/comment.html",
            {"comment": comment, "article": comment.article, "highlighted": None, "live": True},
        ).strip()


def _placement(comment: Comment) -> dict[str, Any]:
    return {
        "number": comment.number,
        "parent": comment.parent.number if comment.parent_id else None,
        "thread": comment.thread,
        "path": comment.path,
        "author": comment.author.handle,
    }


def comment_posted(comment: Comment) -> Event:
    return {"type": "comment.posted", **_placement(comment), "html": _comment_html(comment)}


def comment_edited(comment: Comment) -> Event:
    return {"type": "comment.edited", **_placement(comment), "html": _comment_html(comment)}


def comment_deleted(comment: Comment) -> Event:
    return {"type": "comment.deleted", **_placement(comment), "html": _comment_html(comment)}


def comment_removed(comment: Comment) -> Event:
    """A moderator rejected the comment: pages show the placeholder in its place."""
    return {"type": "comment.removed", **_placement(comment), "html": _comment_html(comment)}


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
