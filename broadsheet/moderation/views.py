import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from broadsheet.articles.access import get_visible_article_or_404
from broadsheet.core.limits import limit
from broadsheet.discussion.models import Discussion
from broadsheet.moderation.access import (
    get_comment_to_decide_or_404,
    get_reportable_comment_or_404,
    require_moderator,
)
from broadsheet.moderation.forms import REJECT_REASONS, ReportForm
from broadsheet.moderation.operations import (
    ModerationRefused,
    approve_comment,
    reject_comment,
    reject_comment_and_restrict_author,
    report_comment,
)
from broadsheet.moderation.queries import list_queue


@login_required
@require_http_methods(["GET", "POST"])
@limit(key="user", setting="BROADSHEET_REPORTS_PER_HOUR", period="h")
def report_view(request, slug: str, number: int):
    article = get_visible_article_or_404(slug)
    comment = get_reportable_comment_or_404(article, number, request.user)
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
    require_moderator(request.user)
    breaking = Discussion.objects.filter(breaking_news_since__isnull=False).select_related(
        "article"
    )
    context = {"items": list_queue(), "reject_reasons": REJECT_REASONS, "breaking": breaking}
    return render(request, "moderation/queue.html", context)


def decide(request, comment_id: int):
    """Approve, reject, or ban the author of, one comment in the queue."""
    require_moderator(request.user)  # before anything else: to a reader this URL does not exist
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    comment = get_comment_to_decide_or_404(comment_id, request.user)
    action = request.POST.get("action")
    # Stored as chosen (the label's English words, its code), not translated:
    # the moderator's language must not change what the record says.
    reason = (request.POST.get("reason") or "").strip()
    try:
        if action == "approve":
            approve_comment(comment=comment, moderator=request.user, reason=reason)
            done = _("Approved comment %(number)d.")
        elif action == "reject":
            reject_comment(comment=comment, moderator=request.user, reason=reason)
            done = _("Rejected comment %(number)d.")
        elif action == "ban":
            reject_comment_and_restrict_author(
                comment=comment,
                moderator=request.user,
                reason=reason or REJECT_REASONS[0][0],
            )
            done = _("Rejected comment %(number)d and banned its author.")
        elif action == "suspend":
            reject_comment_and_restrict_author(
                comment=comment,
                moderator=request.user,
                reason=reason or REJECT_REASONS[0][0],
                suspend_until=timezone.now() + dt.timedelta(days=7),
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
