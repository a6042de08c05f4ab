import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from broadsheet.articles.access import get_visible_article_or_404
from broadsheet.core.limits import limit
from broadsheet.discussion.models import Comment, Discussion
from broadsheet.moderation.forms import REJECT_REASONS, ReportForm
from broadsheet.moderation.operations import (
    ModerationRefused,
    approve_comment,
    ban_reader,
    reject_comment,
    report_comment,
    suspend_reader,
)
from broadsheet.moderation.queries import list_queue


def require_moderator(request) -> None:
    """A reader who is not a moderator gets what a missing page gets: 404."""
    if not (request.user.is_authenticated and request.user.has_perm("discussion.moderate_comment")):
        raise Http404("No such page")


@login_required
@require_http_methods(["GET", "POST"])
@limit(key="user", setting="BROADSHEET_REPORTS_PER_HOUR", period="h")
def report_view(request, slug: str, number: int):
    article = get_visible_article_or_404(slug)
    comment = get_object_or_404(
        Comment.objects.select_related("author"),
        article=article,
        number=number,
        status=Comment.Status.VISIBLE,
        deleted_at__isnull=True,
    )
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report_comment(
                comment=comment,
                reporter=request.user,
                reason=form.cleaned_data["reason"],
                text=form.cleaned_data["text"],
            )
        except ModerationRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Thank you. A moderator will look at this comment."))
            return redirect(comment.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "moderation/report.html",
        {"article": article, "comment": comment, "form": form},
        status=status,
    )


def queue(request):
    require_moderator(request)
    breaking = Discussion.objects.filter(breaking_news_since__isnull=False).select_related(
        "article"
    )
    context = {"items": list_queue(), "reject_reasons": REJECT_REASONS, "breaking": breaking}
    return render(request, "moderation/queue.html", context)


def decide(request, comment_id: int):
    """Approve, reject, or ban the author of, one comment in the queue."""
    require_moderator(request)  # before anything else: to a reader this URL does not exist
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    comment = get_object_or_404(Comment.objects.select_related("article", "author"), pk=comment_id)
    action = request.POST.get("action")
    reason = (request.POST.get("reason") or "").strip()
    try:
        if action == "approve":
            approve_comment(comment=comment, moderator=request.user, reason=reason)
            done = _("Approved comment %(number)d.")
        elif action == "reject":
            reject_comment(comment=comment, moderator=request.user, reason=reason)
            done = _("Rejected comment %(number)d.")
        elif action in {"ban", "suspend"}:
            reason = reason or _("Breaks the discussion rules")
            # One decision: if the author is beyond this moderator's reach (staff),
            # the refusal undoes the rejection too, and the item stays in the queue.
            with transaction.atomic():
                reject_comment(comment=comment, moderator=request.user, reason=reason)
                if action == "ban":
                    ban_reader(reader=comment.author, moderator=request.user, reason=reason)
                    done = _("Rejected comment %(number)d and banned its author.")
                else:
                    until = timezone.now() + dt.timedelta(days=7)
                    suspend_reader(
                        reader=comment.author, moderator=request.user, until=until, reason=reason
                    )
                    done = _("Rejected comment %(number)d and suspended its author for a week.")
        else:
            raise ModerationRefused(_("Unknown decision."))
    except ModerationRefused as error:
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"error": str(error)}, status=400)
        messages.error(request, str(error))
        return redirect("moderation:queue")
    message = done % {"number": comment.number}
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"done": message, "id": comment.pk})
    messages.success(request, message)
    return redirect("moderation:queue")
