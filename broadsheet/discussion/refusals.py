"""Refusals of the discussion's operations, and the checks that only ask.

Apart from operations.py so that code which only asks (which controls a viewer
sees on a comment, discussion/controls.py, drawn into live events too) does not
import the code that writes, which imports the live events.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from broadsheet.discussion.models import Comment


class CommentRejected(ValueError):
    """The request cannot be carried out; the message is written for the reader,
    `code` for machines (the API's error codes, /metrics' refusal reasons)."""

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code


def edit_window() -> timedelta:
    return timedelta(seconds=settings.BROADSHEET_EDIT_WINDOW_SECONDS)


def can_edit(comment: Comment, reader, now: datetime | None = None) -> bool:
    if not reader.is_authenticated:
        return False
    try:
        check_editable(comment=comment, editor=reader, now=now)
    except CommentRejected:
        return False
    return True


class EditRefused(CommentRejected):
    """The comment may not be edited at all (not the author's, deleted, too late)."""


def check_editable(*, comment: Comment, editor, now: datetime | None = None) -> None:
    """Raise EditRefused, saying why, unless `editor` may edit `comment` now."""
    now = now or timezone.now()
    if comment.author_id != editor.pk:
        raise EditRefused(_("Only the author can edit this comment."))
    if comment.is_deleted:
        raise EditRefused(_("This comment was deleted and cannot be edited."))
    if comment.is_rejected:
        # Otherwise a rejected comment could be rewritten and then restored unread.
        raise EditRefused(_("This comment was removed by a moderator and cannot be edited."))
    if now - comment.created_at > edit_window():
        minutes = settings.BROADSHEET_EDIT_WINDOW_SECONDS // 60
        raise EditRefused(
            ngettext(
                "Comments can be edited for %(minutes)d minute after posting; "
                "this one can no longer be changed.",
                "Comments can be edited for %(minutes)d minutes after posting; "
                "this one can no longer be changed.",
                minutes,
            )
            % {"minutes": minutes}
        )
