from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from broadsheet.articles.access import get_visible_article_or_404
from broadsheet.core.limits import limit
from broadsheet.live.streams import open_stream
from broadsheet.notifications import operations
from broadsheet.notifications.emails import reader_id_from_unsubscribe_token
from broadsheet.notifications.forms import NotificationSettingsForm, SeenOnPageForm
from broadsheet.notifications.queries import (
    count_unread_for,
    list_notifications_for,
    settings_of,
)
from broadsheet.readers.models import Reader


@login_required
def notification_list(request):
    page = Paginator(list_notifications_for(request.user), 50).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    new = {n.pk for n in shown if n.read_at is None}
    if new:
        # Seen: this page is where they are read.
        operations.mark_notifications_read(reader=request.user, ids=new)
    response = render(
        request,
        "notifications/list.html",
        {"page": page, "notifications": shown, "new": new},
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
def mark_all_read(request):
    operations.mark_notifications_read(reader=request.user)
    return redirect("notifications:list")


@require_POST
@login_required
@limit(key="user", setting="BROADSHEET_SEEN_REPORTS_PER_MINUTE", period="m")
def seen_on_page(request):
    """An open page showed comments live (notifications.js): those notifications
    are read, and no e-mail will tell of them."""
    form = SeenOnPageForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(
            "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()),
            content_type="text/plain; charset=utf-8",
        )
    operations.mark_seen_on_page(
        reader=request.user,
        article_id=form.cleaned_data["article"],
        numbers=form.cleaned_data["numbers"],
    )
    return JsonResponse({"unread": count_unread_for(request.user)})


@login_required
def notification_settings(request):
    current = settings_of(request.user)
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            operations.change_notification_settings(reader=request.user, **form.cleaned_data)
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notifications:settings")
    else:
        form = NotificationSettingsForm(
            initial={
                "site_kinds": current.site_kinds,
                "email_kinds": current.email_kinds,
                "cadence": current.cadence,
                "language": current.language if current.pk else get_language()[:2],
            }
        )
    return render(request, "notifications/settings.html", {"form": form})


@require_POST
@login_required
def follow(request, slug: str):
    article = get_visible_article_or_404(slug)
    if request.POST.get("follow") == "0":
        operations.unfollow_discussion(reader=request.user, article=article.original)
        messages.success(request, _("You no longer follow this discussion."))
    else:
        operations.follow_discussion(reader=request.user, article=article.original)
        messages.success(
            request,
            _("You follow this discussion: new comments will be in your notifications."),
        )
    return redirect(article.get_absolute_url() + "#discussion")


@csrf_exempt  # the signed address is the credential: mail clients post it (RFC 8058)
def unsubscribe(request, token: str):
    reader_id = reader_id_from_unsubscribe_token(token)
    reader = Reader.objects.filter(pk=reader_id).first() if reader_id else None
    if reader is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        operations.unsubscribe_from_email(reader=reader)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return JsonResponse({"unsubscribed": True})
        return render(request, "notifications/unsubscribe.html", {"done": True})
    return render(request, "notifications/unsubscribe.html", {"token": token})


async def notification_stream(request):
    """The signed-in reader's own live events, for pages that follow no discussion
    (an article page gets them in its discussion's stream)."""
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponseForbidden(_("Sign in to follow your notifications."))
    return await open_stream(request, article_id=None, reader_id=user.pk)
