"""/api/v1/moderation: the queue and moderators' decisions. A token needs the
moderate scope and its reader the moderator role; the operations check the
role's ceiling again (a moderator cannot ban staff)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from broadsheet.discussion.models import Comment
from broadsheet.integrations.api.auth import MODERATE, require
from broadsheet.integrations.api.common import answers, no_nul, page_size
from broadsheet.integrations.api.idempotency import run_once
from broadsheet.integrations.api.operations import Answer
from broadsheet.integrations.api.presenting import comment_state, present_comment
from broadsheet.integrations.api.problems import ApiProblem, FieldError, invalid, not_found
from broadsheet.integrations.api.schemas import (
    MAX_NUMBER,
    Decision,
    DecisionIn,
    Queue,
    ReaderState,
    RestrictionIn,
)
from broadsheet.moderation.operations import (
    ModerationRefused,
    approve_comment,
    ban_reader,
    reject_comment,
    suspend_reader,
)
from broadsheet.moderation.queries import list_queue
from broadsheet.moderation.reasons import describe_hold
from broadsheet.readers.models import Reader

router = Router(tags=["moderation"])


def _refused(refusal: ModerationRefused, pointer: str = "") -> ApiProblem:
    return ApiProblem(403, str(refusal), [FieldError(pointer, "refused", str(refusal))])


@router.get("/queue", response=answers({200: Queue}), summary="Held and reported comments")
def queue(request, limit: int = Query(50, ge=1)):
    caller = require(request, MODERATE)
    items = list_queue(limit=page_size(limit, settings.BROADSHEET_API_PAGE_SIZE))
    for comment in items:
        comment.parent_number = comment.parent.number if comment.parent_id else None
    return {
        "items": [
            {
                "id": comment.pk,
                "article": comment.article.slug,
                "comment": present_comment(comment, comment.article, caller.reader),
                "reason": (
                    describe_hold(comment.moderation_reason, comment.moderation_params)
                    if comment.is_pending
                    else ""
                ),
                "reports": [
                    {"reason": r.reason, "text": r.text, "created_at": r.created_at}
                    for r in comment.queue_reports
                ],
                "author_comments": comment.author_comments or 0,
                "author_rejected": comment.author_rejected or 0,
            }
            for comment in items
        ]
    }


@router.post(
    "/comments/{comment_id}/decision",
    response=answers({200: Decision}),
    summary="Approve or reject a comment",
)
def decide(request, payload: DecisionIn, comment_id: int = Path(..., ge=1, le=MAX_NUMBER)):
    caller = require(request, MODERATE)
    comment = Comment.objects.select_related("article", "author").filter(pk=comment_id).first()
    if comment is None:
        raise not_found()
    reason = no_nul("/reason", payload.reason).strip()

    def work() -> Answer:
        try:
            if payload.action == "approve":
                decided = approve_comment(comment=comment, moderator=caller.reader, reason=reason)
            else:
                if not reason:
                    raise invalid("/reason", "required", _("Say why the comment is rejected."))
                decided = reject_comment(comment=comment, moderator=caller.reader, reason=reason)
        except ModerationRefused as refusal:
            raise _refused(refusal, "/action") from None
        return Answer(200, {"id": decided.pk, "state": comment_state(decided)})

    answer = run_once(request, caller, payload.dict(), work)
    return Status(answer.status, answer.body)


@router.post(
    "/readers/{handle}/restriction",
    response=answers({200: ReaderState}),
    summary="Ban a reader, or suspend them for some days",
)
def restrict(request, handle: str, payload: RestrictionIn):
    caller = require(request, MODERATE)
    reader = Reader.objects.filter(handle__iexact=handle[:150], is_active=True).first()
    if reader is None:
        raise not_found()
    reason = no_nul("/reason", payload.reason).strip()
    if not reason:
        raise invalid("/reason", "required", _("Say why."))

    def work() -> Answer:
        try:
            if payload.action == "ban":
                done = ban_reader(reader=reader, moderator=caller.reader, reason=reason)
            else:
                until = timezone.now() + timedelta(days=payload.days)
                done = suspend_reader(
                    reader=reader, moderator=caller.reader, until=until, reason=reason
                )
        except ModerationRefused as refusal:
            raise _refused(refusal, "/action") from None
        body = {
            "handle": done.handle,
            "banned": done.banned_at is not None,
            "suspended_until": done.suspended_until,
        }
        return Answer(200, body)

    answer = run_once(request, caller, payload.dict(), work)
    return Status(answer.status, answer.body)
