"""Who may see or act on which comment.

Every comment fetched by a number that came from outside (a URL, a form field)
is fetched here, with the reader asking. A comment the reader may not see (another
reader's held comment) gets the answer a missing one gets, so a guessed number
tells nothing; the write operations check again for the doors that do not come
through a view.
"""

from django.http import Http404
from django.utils.translation import gettext as _

from broadsheet.discussion.models import Comment


def find_visible_comment(article, number: int, reader) -> Comment | None:
    """Comment `number` of `article` if `reader` may see it, else None."""
    return (
        Comment.objects.visible_to(reader)
        .select_related("author", "article")
        .filter(article=article, number=number)
        .first()
    )


def get_visible_comment_or_404(article, number: int, reader) -> Comment:
    """Comment `number` of `article` as `reader` may see it: shown on the page,
    voted on, replied to, reported. Another reader's held comment is as missing as
    a typo."""
    comment = find_visible_comment(article, number, reader)
    if comment is None:
        raise Http404(_("No such comment."))
    return comment


def get_own_comment_or_404(article, number: int, reader) -> Comment:
    """A comment `reader` wrote, to edit or delete; anyone else's is as missing as
    a typo."""
    comment = (
        Comment.objects.select_related("author", "article")
        .filter(article=article, number=number, author_id=reader.pk)
        .first()
        if reader.is_authenticated
        else None
    )
    if comment is None:
        raise Http404(_("No such comment of yours."))
    return comment
