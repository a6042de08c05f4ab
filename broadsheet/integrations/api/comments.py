"""/api/v1/articles/{slug}/comments: read, post, edit, delete, vote on and report comments.

Every write goes through the discussion's and moderation's operations, the ones
the pages call, so numbering, rules, limits, bans and live events are the same.
"""

from django.conf import settings
from django.db.models import F
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from broadsheet.articles.models import Article
from broadsheet.articles.queries import get_edition_family
from broadsheet.discussion.access import find_visible_comment
from broadsheet.discussion.models import Comment
from broadsheet.discussion.operations import (
    check_may_take_part,
    delete_comment,
    edit_comment,
    post_comment,
    vote_on_comment,
)
from broadsheet.discussion.quotes import ArticleQuoteClaim
from broadsheet.discussion.refusals import CommentRejected, EditRefused
from broadsheet.integrations.api.auth import READ, WRITE, Caller, require
from broadsheet.integrations.api.common import (
    answers,
    no_nul,
    page_size,
    visible_article,
    within,
)
from broadsheet.integrations.api.idempotency import run_once
from broadsheet.integrations.api.operations import Answer
from broadsheet.integrations.api.presenting import attach_state, present_comment
from broadsheet.integrations.api.problems import ApiProblem, FieldError, invalid, not_found
from broadsheet.integrations.api.schemas import (
    MAX_NUMBER,
    CommentEdit,
    CommentIn,
    CommentOut,
    CommentPage,
    ReportIn,
    ReportOut,
    VoteIn,
    VoteOut,
)
from broadsheet.moderation.operations import ModerationRefused, report_comment

router = Router(tags=["comments"])

NumberPath = Path(..., ge=1, le=MAX_NUMBER)
AfterQuery = Query(0, ge=0, le=MAX_NUMBER)
LimitQuery = Query(50, ge=1)


def _comments_page(rows: list[Comment], size: int, page: Article, viewer) -> dict:
    shown = rows[:size]
    attach_state(shown, page, viewer, get_edition_family(page))
    return {
        "items": [present_comment(comment, page, viewer) for comment in shown],
        "next_after": shown[-1].number if len(rows) > size else None,
    }


def _visible_comment(page: Article, number: int, caller: Caller) -> Comment:
    comment = find_visible_comment(page.original, number, caller.viewer)
    if comment is None:
        raise not_found()
    return comment


def _presented(comment: Comment, page: Article, caller: Caller, *, fresh: bool = False) -> dict:
    """The comment as the caller sees it; read again unless `fresh` (just written,
    with its author and parent_number at hand)."""
    if not fresh:
        comment = (
            Comment.objects.select_related("author")
            .annotate(parent_number=F("parent__number"))
            .get(pk=comment.pk)
        )
    attach_state([comment], page, caller.viewer, get_edition_family(page))
    return present_comment(comment, page, caller.viewer)


def _may_take_part(reader) -> None:
    try:
        check_may_take_part(reader)
    except CommentRejected as refusal:
        detail = str(refusal)
        raise ApiProblem(403, detail, [FieldError("", "may_not_take_part", detail)]) from None


def _checked_body(pointer: str, body: str) -> str:
    no_nul(pointer, body)
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise invalid(pointer, "blank", _("The comment is empty. Please write something first."))
    limit = settings.BROADSHEET_COMMENT_MAX_LENGTH
    if len(text) > limit:
        raise invalid(
            pointer,
            "too_long",
            _("The comment is too long: %(length)d characters, the limit is %(limit)d.")
            % {"length": len(text), "limit": limit},
        )
    return body


def _refused(refusal: CommentRejected, pointer: str = "/body") -> ApiProblem:
    """The write operation's refusal as the problem it is: its code says which."""
    detail = str(refusal)
    if refusal.code == "closed":
        return ApiProblem(403, detail, [FieldError("", "discussion_closed", detail)])
    if refusal.code == "too_fast":
        return ApiProblem(
            429, detail, [FieldError("", "rate_limited", detail)], headers={"Retry-After": "60"}
        )
    if refusal.code in ("banned", "suspended", "unverified"):
        return ApiProblem(403, detail, [FieldError("", "may_not_take_part", detail)])
    if refusal.code == "no_parent":
        return invalid("/parent", "not_found", detail)
    return invalid(pointer, "refused", detail)


@router.get(
    "/{slug}/comments",
    response=answers({200: CommentPage}),
    summary="Comments of an article, in number order, after a number",
)
def list_comments(request, slug: str, after: int = AfterQuery, limit: int = LimitQuery):
    caller = require(request, READ)
    page = visible_article(slug)
    size = page_size(limit, settings.BROADSHEET_API_PAGE_SIZE)
    rows = list(
        Comment.objects.for_article(page)
        .visible_to(caller.viewer)
        .filter(number__gt=after)
        .select_related("author")
        .annotate(parent_number=F("parent__number"))
        .order_by("number")[: size + 1]
    )
    return _comments_page(rows, size, page, caller.viewer)


@router.post(
    "/{slug}/comments",
    response=answers({201: CommentOut, 200: CommentOut}),
    summary="Post a comment or a reply",
)
def create_comment(request, slug: str, payload: CommentIn):
    caller = require(request, WRITE)
    page = visible_article(slug)
    body = _checked_body("/body", payload.body)
    no_nul("/quote_text", payload.quote_text)
    no_nul("/quote_anchor", payload.quote_anchor)
    if payload.language and payload.language not in dict(settings.LANGUAGES):
        raise invalid(
            "/language", "unknown_language", _("This is not one of the site's languages.")
        )
    reader = caller.reader

    def work() -> Answer:
        # Inside: a retry with a key that was answered replays the answer even if
        # the reader has since been banned or has posted more since. Bans, a closed
        # discussion and the posting rate are post_comment's own checks (under the
        # discussion's lock); their refusals' codes choose the status (_refused).
        parent = None
        if payload.parent is not None:
            parent = find_visible_comment(page.original, payload.parent, reader)
            if parent is None:
                raise invalid(
                    "/parent", "not_found", _("The comment you are replying to does not exist.")
                )
        quote = None
        if payload.quote_anchor and payload.quote_text:
            quote = ArticleQuoteClaim(anchor=payload.quote_anchor, text=payload.quote_text)
        try:
            comment = post_comment(
                article=page.original,
                edition=page,
                author=reader,
                body=body,
                parent=parent,
                quote=quote,
                language=payload.language or page.language,
            )
        except CommentRejected as refusal:
            raise _refused(refusal) from None
        comment.parent_number = parent.number if parent is not None else None
        return Answer(201, _presented(comment, page, caller, fresh=True))

    answer = run_once(request, caller, payload.dict(), work)
    return Status(answer.status, answer.body)


@router.get(
    "/{slug}/comments/{number}",
    response=answers({200: CommentOut}),
    summary="One comment",
)
def get_comment(request, slug: str, number: int = NumberPath):
    caller = require(request, READ)
    page = visible_article(slug)
    return _presented(_visible_comment(page, number, caller), page, caller)


@router.get(
    "/{slug}/comments/{number}/replies",
    response=answers({200: CommentPage}),
    summary="The replies under a comment, at any depth, in number order",
)
def list_replies(
    request, slug: str, number: int = NumberPath, after: int = AfterQuery, limit: int = LimitQuery
):
    caller = require(request, READ)
    page = visible_article(slug)
    comment = _visible_comment(page, number, caller)
    size = page_size(limit, settings.BROADSHEET_API_PAGE_SIZE)
    rows = list(
        Comment.objects.for_article(page)
        .visible_to(caller.viewer)
        .filter(thread=comment.thread, path__startswith=comment.path + ".", number__gt=after)
        .select_related("author")
        .annotate(parent_number=F("parent__number"))
        .order_by("number")[: size + 1]
    )
    return _comments_page(rows, size, page, caller.viewer)


def _own_comment(page: Article, number: int, caller: Caller) -> Comment:
    comment = (
        Comment.objects.select_related("author", "article")
        .filter(article=page.original, number=number, author_id=caller.reader.pk)
        .first()
    )
    if comment is None:
        raise not_found()
    return comment


@router.patch(
    "/{slug}/comments/{number}",
    response=answers({200: CommentOut}),
    summary="Edit your comment (within the edit window)",
)
def update_comment(request, slug: str, payload: CommentEdit, number: int = NumberPath):
    caller = require(request, WRITE)
    page = visible_article(slug)
    comment = _own_comment(page, number, caller)
    body = _checked_body("/body", payload.body)
    within(request, caller, group="api.edits", setting="BROADSHEET_EDITS_PER_MINUTE", period="m")
    _may_take_part(caller.reader)
    try:
        edited = edit_comment(comment=comment, editor=caller.reader, body=body)
    except EditRefused as refusal:
        raise ApiProblem(
            403, str(refusal), [FieldError("", "not_editable", str(refusal))]
        ) from None
    except CommentRejected as refusal:
        raise _refused(refusal) from None
    return _presented(edited, page, caller)


@router.delete(
    "/{slug}/comments/{number}",
    response=answers({200: CommentOut}),
    summary="Delete your comment: a placeholder keeps its number",
)
def remove_comment(request, slug: str, number: int = NumberPath):
    caller = require(request, WRITE)
    page = visible_article(slug)
    comment = _own_comment(page, number, caller)
    deleted = delete_comment(comment=comment, deleter=caller.reader)
    return _presented(deleted, page, caller)


@router.post(
    "/{slug}/comments/{number}/vote",
    response=answers({200: VoteOut}),
    summary="Vote +1 or -1 on a comment, or 0 to withdraw your vote",
)
def vote(request, slug: str, payload: VoteIn, number: int = NumberPath):
    caller = require(request, WRITE)
    page = visible_article(slug)
    comment = _visible_comment(page, number, caller)

    def work() -> Answer:
        within(
            request, caller, group="api.votes", setting="BROADSHEET_VOTES_PER_MINUTE", period="m"
        )
        _may_take_part(caller.reader)
        try:
            result = vote_on_comment(comment=comment, voter=caller.reader, value=payload.value)
        except CommentRejected as refusal:
            raise invalid("/value", "not_votable", str(refusal)) from None
        body = {
            "number": comment.number,
            "score": result.score,
            "upvotes": result.upvotes,
            "downvotes": result.downvotes,
            "vote": result.value,
        }
        return Answer(200, body)

    answer = run_once(request, caller, payload.dict(), work)
    return Status(answer.status, answer.body)


@router.post(
    "/{slug}/comments/{number}/report",
    response=answers({201: ReportOut, 200: ReportOut}),
    summary="Report a comment to the moderators",
)
def report(request, slug: str, payload: ReportIn, number: int = NumberPath):
    caller = require(request, WRITE)
    page = visible_article(slug)
    comment = _visible_comment(page, number, caller)
    if comment.status != Comment.Status.VISIBLE or comment.is_deleted:
        raise not_found()  # what the report page answers: only published comments
    no_nul("/text", payload.text)

    def work() -> Answer:
        within(
            request, caller, group="api.reports", setting="BROADSHEET_REPORTS_PER_HOUR", period="h"
        )
        _may_take_part(caller.reader)
        try:
            report_comment(
                comment=comment, reporter=caller.reader, reason=payload.reason, text=payload.text
            )
        except ModerationRefused as refusal:
            raise invalid("", "refused", str(refusal)) from None
        return Answer(201, {"number": comment.number, "reported": True})

    answer = run_once(request, caller, payload.dict(), work)
    return Status(answer.status, answer.body)
