"""Which controls a comment shows to a viewer, and where they lead.

One answer for every place that draws a comment: the article page asks it for
the reader looking at it, a live event's HTML for a neutral viewer (signed in,
neither the author nor a voter: the page script adapts the little that differs),
and later the API and feeds. Templates only draw what this says.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from broadsheet.discussion.links import CommentLinks
from broadsheet.discussion.models import Comment
from broadsheet.discussion.refusals import can_edit

# The viewer a live event's HTML is drawn for (see the module docstring).
NEUTRAL_VIEWER = None

VOTE_FORM = "form"  # the buttons post a vote
VOTE_SIGN_IN = "sign_in"  # the buttons lead a signed-out reader to sign in first


@dataclass(frozen=True)
class CommentControls:
    url: str  # the comment's permalink
    parent_url: str  # the permalink of the comment it answers, or ""
    reply: bool
    quote: bool
    vote: str  # VOTE_FORM, VOTE_SIGN_IN, or "" for no vote buttons
    vote_url: str
    my_vote: int  # the viewer's vote now: 1, -1 or 0
    edit_url: str  # "" when the viewer may not edit it
    delete_url: str  # "" when the viewer may not delete it
    report_url: str  # "" when the viewer may not report it


def controls_for(
    comment: Comment,
    viewer,
    now: datetime | None = None,
    *,
    article=None,
    links: CommentLinks | None = None,
) -> CommentControls:
    """The controls `comment` shows to `viewer` (a Reader, AnonymousUser, or
    NEUTRAL_VIEWER) at `now`.

    `article` is the comment's article when the caller has it at hand (a page
    of one article's comments), which saves loading it per comment. The
    viewer's vote is read from `comment.my_vote` when the page attached it.
    `links`, made once for a page's article, saves looking its addresses up.
    """
    article = article if article is not None else comment.article
    if links is None or links.article_id != article.pk:
        links = CommentLinks(article)
    url = links.url
    number = comment.number
    parent_number = getattr(comment, "parent_number", None)
    if parent_number is None and comment.parent_id:
        parent_number = comment.parent.number
    neutral = viewer is NEUTRAL_VIEWER
    signed_in = neutral or viewer.is_authenticated
    own = not neutral and signed_in and comment.author_id == viewer.pk
    gone = comment.is_deleted or comment.is_rejected
    vote = ""
    if not gone and not own and not comment.is_pending:
        vote = VOTE_FORM if signed_in else VOTE_SIGN_IN
    editable = own and not gone and can_edit(comment, viewer, now or timezone.now())
    reportable = not gone and not own and not comment.is_pending
    return CommentControls(
        url=url(number),
        parent_url=url(parent_number) if parent_number else "",
        reply=True,
        quote=not gone,
        vote=vote,
        vote_url=url(number, "vote"),
        my_vote=0 if neutral else getattr(comment, "my_vote", 0),
        edit_url=url(number, "edit") if editable else "",
        delete_url=url(number, "delete") if own and not gone else "",
        report_url=url(number, "report") if reportable else "",
    )
