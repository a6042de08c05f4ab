"""Who may report or decide on which comment. A page or comment a reader may not
act on gets the answer a missing one gets: 404."""

from django.http import Http404
from django.utils.translation import gettext as _

from broadsheet.discussion.access import get_visible_comment_or_404
from broadsheet.discussion.models import Comment


def is_moderator(reader) -> bool:
    """Whether `reader` (perhaps anonymous) moderates comments: sees the held and
    rejected ones in the queue and in search."""
    # A staff session that has not passed its second step holds no staff powers
    # (readers.middleware.StaffSecondStepMiddleware sets the flag).
    if getattr(reader, "second_step_missing", False):
        return False
    return bool(reader.is_authenticated and reader.has_perm("discussion.moderate_comment"))


def require_moderator(reader) -> None:
    """A reader who is not a moderator gets what a missing page gets: 404."""
    if not is_moderator(reader):
        raise Http404("No such page")


def get_reportable_comment_or_404(article, number: int, reader) -> Comment:
    """A published comment `reader` can see, to report; a held, removed or deleted
    one is as missing as a typo."""
    comment = get_visible_comment_or_404(article, number, reader)
    if comment.status != Comment.Status.VISIBLE or comment.is_deleted:
        raise Http404(_("No such comment."))
    return comment


def get_comment_to_decide_or_404(comment_id: int, moderator) -> Comment:
    """Any comment, for a moderator's decision; to anyone else the URL does not exist."""
    require_moderator(moderator)
    comment = Comment.objects.select_related("article", "author").filter(pk=comment_id).first()
    if comment is None:
        raise Http404(_("No such comment."))
    return comment
