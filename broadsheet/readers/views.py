from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from broadsheet.core.limits import limit
from broadsheet.discussion.queries import list_comments_by_reader
from broadsheet.readers.forms import SignInForm, SignUpForm
from broadsheet.readers.models import Reader
from broadsheet.readers.operations import set_appear_offline, sign_up_reader


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_http_methods(["GET", "POST"])
@limit(key="ip", setting="BROADSHEET_SIGNUPS_PER_HOUR", period="h")
def sign_up(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reader = sign_up_reader(**form.cleaned_data)
        except IntegrityError:
            # Lost a race for the handle or email against another sign-up.
            form.add_error("handle", _("This handle or email was just taken. Please try again."))
        else:
            login(request, reader, backend="broadsheet.readers.backends.HandleOrEmailBackend")
            return redirect(_safe_next(request, "/"))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "readers/sign_up.html",
        {"form": form, "next": _safe_next(request, "")},
        status=status,
    )


@method_decorator(
    limit(key="ip", setting="BROADSHEET_SIGNIN_ATTEMPTS_PER_HOUR", period="h"), name="post"
)
class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "readers/sign_in.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class SignOutView(auth_views.LogoutView):
    template_name = "readers/notice.html"
    extra_context = {
        "notice_title": gettext_lazy("Signed out"),
        "notice_text": gettext_lazy("You have signed out. See you soon."),
    }


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "readers/password_reset.html"
    email_template_name = "readers/password_reset_email.txt"
    subject_template_name = "readers/password_reset_subject.txt"
    success_url = reverse_lazy("readers:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "readers/notice.html"
    extra_context = {
        "notice_title": gettext_lazy("Check your email"),
        "notice_text": gettext_lazy(
            "If an account uses that address, we have sent it a link to choose a new password."
        ),
    }


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "readers/password_reset_confirm.html"
    success_url = reverse_lazy("readers:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "readers/notice.html"
    extra_context = {
        "notice_title": gettext_lazy("Password changed"),
        "notice_text": gettext_lazy("Your password has been changed. You can sign in now."),
    }


def profile(request, handle: str):
    reader = get_object_or_404(Reader, handle__iexact=handle, is_active=True)
    comments = list_comments_by_reader(reader, limit=50)
    return render(request, "readers/profile.html", {"profile": reader, "comments": comments})


@login_required
@require_POST
def presence_setting(request, handle: str):
    """A reader's own choice to appear offline; anyone else's is as missing as a typo."""
    if request.user.handle.lower() != handle.lower():
        raise Http404(_("No such reader."))
    appear_offline = request.POST.get("appear_offline") == "on"
    set_appear_offline(reader=request.user, appear_offline=appear_offline)
    if appear_offline:
        messages.success(request, _("You now appear offline to other readers."))
    else:
        messages.success(request, _("Other readers can see when you are online."))
    return redirect(request.user.get_absolute_url())
