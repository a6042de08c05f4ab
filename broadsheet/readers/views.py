import json
from datetime import timedelta
from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.db import IntegrityError
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from broadsheet.core.limits import WINDOW_SECONDS, limit, too_many_requests, within_limit
from broadsheet.discussion.queries import list_comments_by_reader
from broadsheet.moderation.access import is_moderator
from broadsheet.readers import second_factor
from broadsheet.readers.access import (
    data_export_token,
    get_data_export_or_404,
    get_reply_feed_token,
)
from broadsheet.readers.devices import hash_session_key
from broadsheet.readers.emails import mask_address
from broadsheet.readers.forms import (
    AccountDeletionForm,
    ApiTokenForm,
    EmailChangeForm,
    PasskeyNameForm,
    PasswordResetForm,
    SecondStepForm,
    SignInForm,
    SignUpForm,
    TotpConfirmForm,
)
from broadsheet.readers.models import ApiToken, DataExport, Passkey, Reader, TotpDevice
from broadsheet.readers.operations import (
    AddressTaken,
    ExportRefused,
    add_passkey,
    cancel_email_change,
    confirm_email_address,
    create_api_token,
    create_reply_feed_key,
    enable_totp,
    end_other_sessions_after_password_change,
    end_sessions,
    exports_folder,
    issue_api_token_for_sso,
    reader_has_another_way_in,
    record_passkey_use,
    remove_passkey,
    remove_totp,
    rename_passkey,
    replace_recovery_codes,
    request_account_deletion,
    request_data_export,
    request_email_change,
    revoke_api_token,
    revoke_reply_feed_key,
    send_sign_up_attempt_notice,
    send_verification_again,
    set_appear_offline,
    sign_in_with_sso,
    sign_up_reader,
    use_recovery_code,
    use_totp_step,
)
from broadsheet.readers.queries import (
    get_current_data_export,
    list_linked_accounts_for,
    list_sessions_for,
    list_sign_ins_for,
)
from broadsheet.readers.social import list_sign_in_buttons
from broadsheet.readers.sso import (
    MalformedSsoToken,
    SsoKeysUnavailable,
    SsoRefusal,
    sso_enabled,
)
from broadsheet.readers.tasks import make_data_export
from broadsheet.readers.verification import (
    ExpiredLink,
    InvalidLink,
    UsedLink,
    address_to_verify,
    read_verification_token,
)
from broadsheet.serving.personal_layer import clear_marker

# The site's sign-in form and the admin's count against one limit per address.
SIGN_IN_LIMIT = limit(
    key="ip", setting="BROADSHEET_SIGNIN_ATTEMPTS_PER_HOUR", period="h", group="readers.sign_in"
)


def _account_mail_within_limit(request, email: str) -> bool:
    """Whether one more mail about signing in may go to this address this hour.

    Counted per address typed, known or not, and never shown: over the limit the
    visitor sees what they would have seen, and the owner's inbox stays quiet.
    """
    return within_limit(
        request,
        group="readers.account_mail",
        value=email.strip().lower(),
        setting="BROADSHEET_ACCOUNT_EMAILS_PER_HOUR",
        period="h",
    )


def _site_url(request) -> str:
    """The site's own address as this request reached it, for links in mails."""
    return request.build_absolute_uri("/").rstrip("/")


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
        email = form.cleaned_data["email"]
        if Reader.objects.filter(email__iexact=email).exists():
            return _email_already_used(request, email)
        try:
            reader = sign_up_reader(**form.cleaned_data, site_url=_site_url(request))
        except IntegrityError:
            # Lost a race against another sign-up: for the email (say nothing about
            # it, as above) or for the handle (public, so say so).
            if Reader.objects.filter(email__iexact=email).exists():
                return _email_already_used(request, email)
            form.add_error("handle", _("This handle was just taken. Please choose another."))
        else:
            login(request, reader, backend="broadsheet.readers.backends.HandleOrEmailBackend")
            return redirect(_safe_next(request, "/"))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "readers/sign_up.html",
        {
            "form": form,
            "next": _safe_next(request, ""),
            "social_buttons": list_sign_in_buttons(),
        },
        status=status,
    )


def _email_already_used(request, email: str):
    """Sign-up with an address that has an account: no account, no error on the form.

    "An account with this email already exists" would tell anyone whether an
    address has an account here. Instead the owner is told by mail that someone
    tried (with a way to sign in or reset the password), and the visitor sees a
    page that says to check their email. A new address is mailed a verification
    link but still signed in at once (unverified readers may read, and comment
    unless BROADSHEET_UNVERIFIED_MAY_COMMENT is off), so a visitor who notices
    that they were not signed in can still tell: this costs them an address they
    control no more than before, but no longer shows the answer on the form, and
    each try alerts the owner. Sign-ups per address
    (BROADSHEET_SIGNUPS_PER_HOUR) bound how many addresses can be tried.
    """
    owner = Reader.objects.filter(email__iexact=email).first()
    if owner is not None and _account_mail_within_limit(request, email):
        send_sign_up_attempt_notice(reader=owner, site_url=_site_url(request))
    return render(
        request,
        "readers/notice.html",
        {
            "notice_title": _("Check your email"),
            "notice_text": _(
                "We have sent a message to the address you gave. It says what to do next."
            ),
        },
    )


@method_decorator(SIGN_IN_LIMIT, name="post")
class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "readers/sign_in.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        reader = form.get_user()
        if second_factor.has_second_factor(reader):
            # The password was right; the reader is signed in after the second step.
            second_factor.remember_pending_sign_in(
                self.request,
                reader=reader,
                backend=reader.backend,
                next_url=self.get_success_url(),
            )
            return redirect("readers:second_step")
        response = super().form_valid(form)
        if second_factor.second_step_missing(self.request):
            messages.warning(
                self.request,
                _(
                    "Staff accounts need a second factor: add a passkey or an authenticator "
                    "app before you moderate or open the admin."
                ),
            )
            query = urlencode({"next": self.get_success_url()})
            return redirect(f"{reverse('readers:two_factor')}?{query}")
        return response

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "social_buttons": list_sign_in_buttons()}

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

    def post(self, request, *args, **kwargs):
        came_from_newsroom = bool(request.session.get(SSO_SESSION_KEY))
        response = super().post(request, *args, **kwargs)
        # Signed out, the reader is one of the signed-out ones: the shared page,
        # with no layer to ask for.
        clear_marker(response)
        # A reader the newsroom signed in is sent on to sign out there too; otherwise
        # the newsroom's next link would sign them straight back in.
        if came_from_newsroom and settings.BROADSHEET_SSO_LOGOUT_URL:
            redirect_out = HttpResponseRedirect(settings.BROADSHEET_SSO_LOGOUT_URL)
            clear_marker(redirect_out)
            return redirect_out
        return response


@method_decorator(
    limit(key="ip", setting="BROADSHEET_PASSWORD_RESETS_PER_HOUR", period="h"), name="post"
)
class PasswordResetView(auth_views.PasswordResetView):
    """Each request costs a mail: limited per address (openly, 429) and per account
    (quietly, so the limit does not show whether the account exists)."""

    template_name = "readers/password_reset.html"
    form_class = PasswordResetForm
    email_template_name = "readers/password_reset_email.txt"
    subject_template_name = "readers/password_reset_subject.txt"
    success_url = reverse_lazy("readers:password_reset_done")

    def form_valid(self, form):
        if not _account_mail_within_limit(self.request, form.cleaned_data["email"]):
            return redirect(self.get_success_url())
        return super().form_valid(form)


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

    def form_valid(self, form):
        response = super().form_valid(form)
        # Someone who could read the reader's mail, or the reader who lost their
        # password to someone: every session ends, whichever browser reset it.
        end_other_sessions_after_password_change(request=None, reader=form.user)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """A signed-in reader's new password: this session stays, every other ends."""

    template_name = "readers/form_page.html"
    success_url = reverse_lazy("readers:sessions")
    extra_context = {
        "page_title": gettext_lazy("Change password"),
        "submit_label": gettext_lazy("Change password"),
    }

    def form_valid(self, form):
        response = super().form_valid(form)  # keeps this session (a new key)
        end_other_sessions_after_password_change(request=self.request, reader=form.user)
        messages.success(
            self.request, _("Your password is changed. Your other sessions have been ended.")
        )
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "readers/notice.html"
    extra_context = {
        "notice_title": gettext_lazy("Password changed"),
        "notice_text": gettext_lazy("Your password has been changed. You can sign in now."),
    }


# Django's admin signs in through its own view, not SignInView: this puts it under
# the same limit (django-axes, which counts failures in authenticate(), already
# covers both); broadsheet/urls.py routes /admin/login/ here.
admin_sign_in = SIGN_IN_LIMIT(admin.site.login)


def profile(request, handle: str):
    reader = get_object_or_404(Reader, handle__iexact=handle, is_active=True)
    comments = list_comments_by_reader(reader, limit=50)
    context = {"profile": reader, "comments": comments, "reply_feed_url": None}
    if request.user.is_authenticated and request.user.pk == reader.pk:
        # Only its owner ever sees the address (the page is private to them:
        # a signed-in reader's responses say Cache-Control: private).
        token = get_reply_feed_token(reader)
        if token is not None:
            context["reply_feed_url"] = request.build_absolute_uri(
                reverse("discussion:replies_feed", kwargs={"token": token})
            )
    return render(request, "readers/profile.html", context)


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


@login_required
@require_POST
def reply_feed_setting(request, handle: str):
    """Create, replace or turn off a reader's own private replies feed address."""
    if request.user.handle.lower() != handle.lower():
        raise Http404(_("No such reader."))
    action = request.POST.get("action")
    if action == "create":
        create_reply_feed_key(reader=request.user)
        messages.success(
            request,
            _("Your private replies feed has a new address. Any earlier address no longer works."),
        )
    elif action == "revoke":
        revoke_reply_feed_key(reader=request.user)
        messages.success(request, _("Your private replies feed is turned off."))
    else:
        return HttpResponseBadRequest(_("Choose whether to create or turn off the address."))
    return redirect(request.user.get_absolute_url() + "#replies-feed")


# Each mail a signed-in reader asks for (a link to a new address, a link sent
# again) counts against BROADSHEET_ACCOUNT_EMAILS_PER_HOUR twice: for the reader,
# and for the address it goes to, which sign-ups and password resets count too.
# Past either, 429: the reader asks about their own account, so saying so tells
# nobody anything, and the address is counted whether or not it has an account.
def _verification_mail_within_limit(request, address: str) -> bool:
    for_reader = within_limit(
        request,
        group="readers.verification_mail",
        value=str(request.user.pk),
        setting="BROADSHEET_ACCOUNT_EMAILS_PER_HOUR",
        period="h",
    )
    return for_reader and _account_mail_within_limit(request, address)


# Guesses at the current password on the change-of-address form count like sign-in
# attempts, per reader (the form is behind sign-in).
EMAIL_CHANGE_LIMIT = limit(
    key="user", setting="BROADSHEET_SIGNIN_ATTEMPTS_PER_HOUR", period="h", group="readers.email"
)


@login_required
@require_http_methods(["GET", "POST"])
@EMAIL_CHANGE_LIMIT
def account_settings(request):
    """The reader's own account: their address, whether it is verified, changing it."""
    reader = request.user
    form = EmailChangeForm(request.POST or None, reader=reader)
    if request.method == "POST" and form.is_valid():
        new_email = form.cleaned_data["new_email"]
        if not _verification_mail_within_limit(request, new_email):
            return too_many_requests(request, retry_after=3600)
        request_email_change(reader=reader, new_email=new_email, site_url=_site_url(request))
        messages.success(
            request,
            _(
                "We have sent a link to %(address)s. Your account keeps using its current "
                "address until you open it."
            )
            % {"address": new_email},
        )
        return redirect("readers:settings")
    linked = list_linked_accounts_for(reader)
    context = {
        "form": form,
        "reader": reader,
        "address_to_verify": address_to_verify(reader),
        "linked_accounts": linked,
        # The only way in of a reader without a password cannot be disconnected.
        "may_disconnect": len(linked) > 1 or reader_has_another_way_in(reader),
        "connect_buttons": [
            button
            for button in list_sign_in_buttons()
            if button["id"] not in {account.provider for account in linked}
        ],
    }
    return render(
        request,
        "readers/settings.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def resend_verification(request):
    reader = request.user
    address = address_to_verify(reader)
    if not address:
        messages.info(request, _("Your email address is verified already."))
        return redirect("readers:settings")
    if not _verification_mail_within_limit(request, address):
        return too_many_requests(request, retry_after=3600)
    send_verification_again(reader=reader, site_url=_site_url(request))
    messages.success(
        request, _("We have sent the link again to %(address)s.") % {"address": address}
    )
    return redirect("readers:settings")


@login_required
@require_POST
def cancel_email_change_view(request):
    cancel_email_change(reader=request.user)
    messages.success(request, _("The change of address is cancelled; nothing has changed."))
    return redirect("readers:settings")


def _link_failed(request, error: InvalidLink | AddressTaken):
    """A link that verifies nothing: a page that says why and what to do, never a 500."""
    if isinstance(error, ExpiredLink):
        title, status = _("This link has expired"), 410
        hours = settings.BROADSHEET_EMAIL_VERIFICATION_HOURS
        text = ngettext(
            "Links to verify an address work for %(hours)d hour. "
            "Send a new one from your account settings.",
            "Links to verify an address work for %(hours)d hours. "
            "Send a new one from your account settings.",
            hours,
        ) % {"hours": hours}
    elif isinstance(error, UsedLink):
        title, status = _("This address is verified already"), 410
        text = _("This link has been used. There is nothing more to do.")
    elif isinstance(error, AddressTaken):
        title, status = _("This address belongs to another account"), 409
        text = _(
            "Another account uses this address now, so yours keeps its current one. "
            "You can choose another address in your account settings."
        )
    else:
        title, status = _("This link does not work"), 400
        text = _(
            "The link is incomplete or no longer valid: perhaps the address was changed "
            "since it was sent. Open the newest link we sent, or ask for a new one in your "
            "account settings."
        )
    context = {
        "notice_title": title,
        "notice_text": text,
        "notice_action_url": reverse("readers:settings"),
        "notice_action_label": _("Account settings"),
    }
    return render(request, "readers/notice.html", context, status=status)


# Mail scanners and link previews open links by themselves: GET only shows a button,
# and only its POST verifies, so an address is verified by a person who chose to.
@require_http_methods(["GET", "POST"])
def verify_email(request, token: str):
    try:
        claim = read_verification_token(token)
        if request.method == "POST":
            reader = confirm_email_address(token=token)
    except (InvalidLink, AddressTaken) as error:
        return _link_failed(request, error)
    if request.method == "GET":
        context = {"token": token, "address": mask_address(claim.address)}
        return render(request, "readers/verify_email.html", context)
    return render(
        request,
        "readers/notice.html",
        {
            "notice_title": _("Email address verified"),
            "notice_text": _("Thank you: %(address)s is verified and in use for your account.")
            % {"address": mask_address(reader.email)},
            "notice_action_url": reverse("readers:settings"),
            "notice_action_label": _("Account settings"),
        },
    )


# --- sessions, "Download my data", "Delete my account" (docs/your-data.md) ------------


def _this_session_hash(request) -> str:
    key = request.session.session_key
    return hash_session_key(key) if key else ""


@login_required
@require_http_methods(["GET"])
def sessions(request):
    """The reader's signed-in browsers and their recent sign-ins."""
    context = {
        "sessions": list_sessions_for(request.user),
        "this_session": _this_session_hash(request),
        "sign_ins": list_sign_ins_for(request.user),
        "history_days": settings.BROADSHEET_SIGN_IN_HISTORY_DAYS,
    }
    return render(request, "readers/sessions.html", context)


@login_required
@require_POST
def end_session(request):
    """End one other session (`session`: its hash, from the list) or all others."""
    this = _this_session_hash(request)
    if request.POST.get("all") == "others":
        ended = end_sessions(reader=request.user, keep=this)
    else:
        chosen = request.POST.get("session", "")[:64]
        if not chosen or chosen == this:
            return HttpResponseBadRequest(_("Choose another session to end."))
        ended = end_sessions(reader=request.user, key_hashes=[chosen])
    messages.success(
        request,
        ngettext("%(count)d session ended.", "%(count)d sessions ended.", ended) % {"count": ended},
    )
    return redirect("readers:sessions")


@login_required
@require_http_methods(["GET"])
def your_data(request):
    """Download my data and delete my account."""
    export = get_current_data_export(request.user)
    export_url = None
    if export is not None and export.status == DataExport.Status.READY:
        export_url = reverse("readers:download_data", kwargs={"token": data_export_token(export)})
    context = {
        "export": export,
        "export_url": export_url,
        "deletion_form": AccountDeletionForm(reader=request.user),
        "deletion_days": settings.BROADSHEET_ACCOUNT_DELETION_DAYS,
        "export_hours": settings.BROADSHEET_DATA_EXPORT_HOURS,
    }
    return render(request, "readers/your_data.html", context)


@login_required
@require_POST
def request_data_download(request):
    try:
        export = request_data_export(reader=request.user)
    except ExportRefused:
        messages.error(
            request,
            _("You have a download already, or asked for several today. Please try later."),
        )
        return too_many_requests(request, retry_after=3600)
    make_data_export.enqueue(export.pk)
    messages.success(
        request, _("Your data is being prepared. Reload this page in a minute to download it.")
    )
    return redirect("readers:your_data")


@login_required
@require_http_methods(["GET"])
def download_data(request, token: str):
    export = get_data_export_or_404(token=token, reader=request.user)
    path = exports_folder() / export.file_name
    if not path.is_file():
        raise Http404
    # Read whole (one reader's data, made by us), not streamed: a file iterator is
    # synchronous, and an ASGI server would consume it on its event loop.
    response = HttpResponse(path.read_bytes(), content_type="application/json")
    filename = f"broadsheet-{request.user.handle}-{export.ready_at:%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# The password counts like a sign-in attempt (per reader): guessing it here is
# guessing the sign-in password.
DELETION_LIMIT = limit(
    key="user", setting="BROADSHEET_SIGNIN_ATTEMPTS_PER_HOUR", period="h", group="readers.delete"
)
RECENT_SIGN_IN = timedelta(minutes=10)


@login_required
@require_POST
@DELETION_LIMIT
def delete_account(request):
    reader = request.user
    form = AccountDeletionForm(request.POST, reader=reader)
    if not form.is_valid():
        context = {
            "export": None,
            "deletion_form": form,
            "deletion_days": settings.BROADSHEET_ACCOUNT_DELETION_DAYS,
            "export_hours": settings.BROADSHEET_DATA_EXPORT_HOURS,
        }
        return render(request, "readers/your_data.html", context, status=400)
    if not reader.has_usable_password() and not _signed_in_recently(request):
        messages.error(request, _("Please sign in again, then delete your account."))
        logout(request)
        return redirect(f"{reverse('readers:sign_in')}?next={reverse('readers:your_data')}")
    due = request_account_deletion(reader=reader)
    logout(request)
    return render(
        request,
        "readers/notice.html",
        {
            "notice_title": _("Your account will be deleted"),
            "notice_text": _(
                "You are signed out everywhere. Your account will be erased on %(date)s. "
                "Changed your mind? Sign in before then and nothing will be deleted."
            )
            % {"date": date_format(due, "DATETIME_FORMAT")},
        },
    )


def _signed_in_recently(request) -> bool:
    row = next(
        (s for s in list_sessions_for(request.user) if s.key_hash == _this_session_hash(request)),
        None,
    )
    return row is not None and timezone.now() - row.created_at < RECENT_SIGN_IN


# Set in the session of a reader the newsroom signed in (see SignOutView).
SSO_SESSION_KEY = "broadsheet.signed_in_by_newsroom"
SSO_LIMIT_GROUP = "readers.sso"


def _sso_status(refusal: SsoRefusal) -> int:
    if isinstance(refusal, MalformedSsoToken):
        return 400
    if isinstance(refusal, SsoKeysUnavailable):
        return 503
    return 403


# Not a page to cache or to keep in history: its address carries the token.
@never_cache
@require_GET
@limit(
    key="ip",
    setting="BROADSHEET_SSO_SIGNINS_PER_MINUTE",
    period="m",
    group=SSO_LIMIT_GROUP,
    method="GET",
)
def sso_sign_in(request):
    """GET /accounts/sso/?token=JWT&next=URL: sign in the reader the newsroom vouches for."""
    if not sso_enabled():
        raise Http404
    try:
        reader = sign_in_with_sso(token=request.GET.get("token", ""), site_url=_site_url(request))
    except SsoRefusal as refusal:
        context = {
            "notice_title": _("Single sign-on did not work"),
            "notice_text": refusal.message,
        }
        return render(request, "readers/notice.html", context, status=_sso_status(refusal))
    login(request, reader, backend="broadsheet.readers.backends.HandleOrEmailBackend")
    request.session[SSO_SESSION_KEY] = True
    return redirect(_safe_next(request, "/"))


def _problem(status: int, title: str, detail: str = "", **headers: str) -> JsonResponse:
    """An error as application/problem+json (RFC 9457)."""
    body = {"type": "about:blank", "title": str(title), "status": status}
    if detail:
        body["detail"] = str(detail)
    response = JsonResponse(body, status=status, content_type="application/problem+json")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


# No cookie is read or set here (the embedded discussion calls it from a frame that
# may get none), so there is no session for a forged request to ride on: no CSRF.
@csrf_exempt
@never_cache
@require_POST
def sso_token(request):
    """POST /accounts/sso/token {"token": JWT}: a short-lived write-scope API token for
    the reader the newsroom vouches for, checked exactly as sso_sign_in checks it."""
    if not sso_enabled():
        return _problem(404, _("Single sign-on is not configured on this site."))
    rate = settings.BROADSHEET_SSO_SIGNINS_PER_MINUTE
    if rate and is_ratelimited(
        request, group=SSO_LIMIT_GROUP + ".token", key="ip", rate=f"{rate}/m", increment=True
    ):
        return _problem(
            429,
            _("Too many attempts. Please wait a while and try again."),
            Retry_After=str(WINDOW_SECONDS["m"]),
        )
    try:
        body = json.loads(request.body)
    except (UnicodeDecodeError, ValueError):
        body = None
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str):
        return _problem(400, _("Send a JSON object with the sign-in token as “token”."))
    lifetime = timedelta(seconds=settings.BROADSHEET_SSO_API_TOKEN_SECONDS)
    try:
        issued = issue_api_token_for_sso(token=token, lifetime=lifetime)
    except SsoRefusal as refusal:
        status = _sso_status(refusal)
        return _problem(status, _("Single sign-on did not work"), refusal.message)
    reader = issued.token.reader
    return JsonResponse(
        {
            "token": issued.secret,
            "scope": issued.token.scope,
            "expires_at": issued.token.expires_at.isoformat(),
            "reader": {"handle": reader.handle, "display_name": reader.display_name},
        }
    )


@login_required
@require_http_methods(["GET", "POST"])
@limit(key="user", setting="BROADSHEET_API_TOKENS_PER_HOUR", period="h")
def api_tokens(request):
    """The reader's personal API tokens: the list, and a form for a new one whose
    secret is shown on this answer only (never stored, never shown again)."""
    reader = request.user
    form = ApiTokenForm(request.POST or None, may_moderate=is_moderator(reader))
    new_secret = None
    if request.method == "POST" and form.is_valid():
        issued = create_api_token(
            reader=reader, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"]
        )
        new_secret = issued.secret
        form = ApiTokenForm(may_moderate=is_moderator(reader))
    tokens = ApiToken.objects.filter(reader=reader).order_by("-created_at")[:100]
    response = render(
        request,
        "readers/api_tokens.html",
        {"form": form, "tokens": tokens, "new_secret": new_secret},
        status=400 if request.method == "POST" and new_secret is None else 200,
    )
    # The one page that shows a secret: no cache anywhere may keep it.
    response["Cache-Control"] = "no-store"
    return response


# --- Second factors (docs/mfa.md) ------------------------------------------------
#
# Signing in with a second factor is two steps: SignInView checks the password and,
# for a reader with a factor, remembers the reader in the session without signing
# them in; second_step then takes a passkey, a one-time code or a recovery code and
# signs them in. A signed-in session that has not passed the step (a staff member
# who came in through the admin's own sign-in) takes it here too.

SECOND_STEP_LIMIT = limit(
    key="ip", setting="BROADSHEET_SIGNIN_ATTEMPTS_PER_HOUR", period="h", group="readers.sign_in"
)
# Codes typed while setting a factor up, per reader (the page is behind sign-in).
FACTOR_SETUP_LIMIT = limit(
    key="user",
    setting="BROADSHEET_SIGNIN_ATTEMPTS_PER_HOUR",
    period="h",
    group="readers.factor_setup",
)


def _second_step_subject(request) -> tuple[Reader, second_factor.PendingSignIn | None] | None:
    """Whose second factor this request may prove: a pending sign-in's reader, or
    the signed-in reader whose session has not passed the step; else None."""
    pending = second_factor.get_pending_sign_in(request)
    if pending is not None:
        return pending.reader, pending
    user = request.user
    if (
        user.is_authenticated
        and not second_factor.session_passed_second_step(request)
        and second_factor.has_second_factor(user)
    ):
        return user, None
    return None


def _axes_credentials(reader: Reader) -> dict[str, str]:
    return {"username": reader.handle}


def _second_step_failed(request, reader: Reader) -> None:
    """A wrong code or passkey counts as a failed sign-in for django-axes, so the
    same lockout (BROADSHEET_SIGNIN_FAILURES per account and address) holds."""
    user_login_failed.send(sender=__name__, credentials=_axes_credentials(reader), request=request)


def _locked_out(request, reader: Reader):
    credentials = _axes_credentials(reader)
    if AxesProxyHandler.is_locked(request, credentials):
        return get_lockout_response(request, None, credentials)
    return None


def _second_step_passed(request, reader: Reader, pending, next_url: str):
    if pending is not None:
        second_factor.forget_pending_sign_in(request)
        login(request, reader, backend=pending.backend)
        next_url = pending.next_url or next_url
    else:
        request.session.cycle_key()
    second_factor.mark_second_step_passed(request)
    return redirect(_safe_next_url(request, next_url))


def _safe_next_url(request, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _render_second_step(request, reader: Reader, form, status: int = 200):
    passkey_options = None
    if reader.passkeys.exists():
        passkey_options = json.loads(second_factor.passkey_authentication_options(request, reader))
    context = {
        "form": form,
        "next": _safe_next(request, ""),
        "passkey_options": passkey_options,
        "has_totp": TotpDevice.objects.filter(reader=reader).exists(),
    }
    response = render(request, "readers/second_step.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@SECOND_STEP_LIMIT
def second_step(request):
    subject = _second_step_subject(request)
    if subject is None:
        if request.user.is_authenticated:
            return redirect(_safe_next(request, resolve_url(settings.LOGIN_REDIRECT_URL)))
        return redirect("readers:sign_in")
    reader, pending = subject
    form = SecondStepForm(request.POST or None)
    if request.method == "GET":
        return _render_second_step(request, reader, form)
    locked = _locked_out(request, reader)
    if locked is not None:
        return locked
    if form.is_valid():
        code = form.cleaned_data["code"]
        if second_factor.looks_like_totp_code(code):
            error = _take_totp_code(reader, code)
        elif use_recovery_code(reader=reader, code_hash=second_factor.hash_recovery_code(code)):
            left = reader.recovery_codes.filter(used_at=None).count()
            messages.warning(
                request,
                ngettext(
                    "You signed in with a recovery code. %(count)d code is left.",
                    "You signed in with a recovery code. %(count)d codes are left.",
                    left,
                )
                % {"count": left},
            )
            error = None
        else:
            error = _("That recovery code is not right, or it was used already.")
        if error is None:
            return _second_step_passed(request, reader, pending, _safe_next(request, ""))
        form.add_error("code", error)
    _second_step_failed(request, reader)
    return _render_second_step(request, reader, form, status=400)


def _take_totp_code(reader: Reader, code: str) -> str | None:
    """None when the code is right and not used before, else what is wrong with it."""
    device = TotpDevice.objects.filter(reader=reader).first()
    if device is None:
        return _("This account has no authenticator app. Use a passkey or a recovery code.")
    step = second_factor.matching_totp_step(device.secret, code)
    if step is None:
        return _(
            "That code is not right. Check that your device's clock is correct and type "
            "the code your app shows now."
        )
    if not use_totp_step(reader=reader, step=step):
        return _("That code was used already. Wait for your app to show a new one.")
    return None


@require_POST
@SECOND_STEP_LIMIT
def second_step_passkey(request):
    subject = _second_step_subject(request)
    if subject is None:
        return redirect("readers:sign_in")
    reader, pending = subject
    locked = _locked_out(request, reader)
    if locked is not None:
        return locked
    try:
        passkey, sign_count = second_factor.verify_passkey_authentication(
            request, reader, request.POST.get("credential", "")
        )
    except second_factor.PasskeyRefused:
        _second_step_failed(request, reader)
        form = SecondStepForm()
        form.add_error(None, _("That passkey did not sign you in. Try again or use a code."))
        return _render_second_step(request, reader, form, status=400)
    record_passkey_use(passkey=passkey, sign_count=sign_count)
    return _second_step_passed(request, reader, pending, _safe_next(request, ""))


def _needs_second_step_first(request):
    """Managing factors when the reader has some asks for one of them in this
    session first: else a stolen password alone could add the thief's own."""
    if second_factor.has_second_factor(request.user) and not (
        second_factor.session_passed_second_step(request)
    ):
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('readers:second_step')}?{query}")
    return None


def _show_recovery_codes(request, codes: list[str], *, first_factor: bool):
    context = {"codes": codes, "first_factor": first_factor, "next": _safe_next(request, "")}
    response = render(request, "readers/recovery_codes.html", context)
    # Shown once: never kept by a browser's or a proxy's cache.
    response["Cache-Control"] = "no-store"
    return response


def _after_factor_added(request, *, first_factor: bool, done_message: str):
    """A factor was just proved in this session: it counts as the second step. The
    first factor comes with recovery codes, shown once."""
    request.session.cycle_key()
    second_factor.mark_second_step_passed(request)
    if first_factor:
        codes = second_factor.new_recovery_codes()
        replace_recovery_codes(
            reader=request.user,
            code_hashes=[second_factor.hash_recovery_code(code) for code in codes],
        )
        messages.success(request, done_message)
        return _show_recovery_codes(request, codes, first_factor=True)
    messages.success(request, done_message)
    return redirect(_two_factor_url(request))


def _two_factor_url(request) -> str:
    url = reverse("readers:two_factor")
    next_url = _safe_next(request, "")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


@login_required
@require_http_methods(["GET"])
def two_factor(request):
    """The reader's second factors: passkeys, an authenticator app, recovery codes."""
    refusal = _needs_second_step_first(request)
    if refusal is not None:
        return refusal
    return _render_two_factor(request, PasskeyNameForm())


def _render_two_factor(request, passkey_form, status: int = 200):
    reader = request.user
    passkeys = list(reader.passkeys.all())
    context = {
        "passkeys": passkeys,
        "totp_device": TotpDevice.objects.filter(reader=reader).first(),
        "recovery_codes_left": reader.recovery_codes.filter(used_at=None).count(),
        "passkey_form": passkey_form,
        "passkey_options": json.loads(
            second_factor.passkey_registration_options(request, reader, passkeys)
        ),
        "next": _safe_next(request, ""),
        "staff_must": second_factor.staff_must_pass_second_step()
        and second_factor.is_staff_member(reader),
    }
    response = render(request, "readers/two_factor.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke_api_token_view(request, token_id: int):
    """Revoke one of the reader's own tokens; anyone else's is as missing as a typo."""
    token = get_object_or_404(ApiToken, pk=token_id, reader=request.user)
    revoke_api_token(token=token)
    messages.success(
        request, _("The token %(prefix)s… no longer works.") % {"prefix": token.prefix}
    )
    return redirect("readers:api_tokens")


@FACTOR_SETUP_LIMIT
def add_passkey_view(request):
    refusal = _needs_second_step_first(request)
    if refusal is not None:
        return refusal
    form = PasskeyNameForm(request.POST)
    if not form.is_valid():
        return _render_two_factor(request, form, status=400)
    try:
        new = second_factor.verify_passkey_registration(request, request.POST.get("credential", ""))
    except second_factor.PasskeyRefused:
        form.add_error(None, _("The passkey could not be added. Please try again."))
        return _render_two_factor(request, form, status=400)
    first_factor = not second_factor.has_second_factor(request.user)
    try:
        add_passkey(
            reader=request.user,
            name=form.cleaned_data["name"],
            credential_id=new.credential_id,
            public_key=new.public_key,
            sign_count=new.sign_count,
        )
    except IntegrityError:
        form.add_error(None, _("This passkey is registered already."))
        return _render_two_factor(request, form, status=400)
    return _after_factor_added(
        request, first_factor=first_factor, done_message=_("Your passkey was added.")
    )


def _own_passkey_or_404(request, passkey_id: int) -> Passkey:
    # Another reader's passkey is as missing as one that never existed.
    return get_object_or_404(Passkey, pk=passkey_id, reader=request.user)


@login_required
@require_POST
def rename_passkey_view(request, passkey_id: int):
    refusal = _needs_second_step_first(request)
    if refusal is not None:
        return refusal
    passkey = _own_passkey_or_404(request, passkey_id)
    form = PasskeyNameForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Please give the passkey a name of up to 64 characters."))
    rename_passkey(passkey=passkey, name=form.cleaned_data["name"])
    messages.success(request, _("The passkey was renamed."))
    return redirect("readers:two_factor")


@login_required
@require_POST
def remove_passkey_view(request, passkey_id: int):
    refusal = _needs_second_step_first(request)
    if refusal is not None:
        return refusal
    remove_passkey(passkey=_own_passkey_or_404(request, passkey_id))
    messages.success(request, _("The passkey was removed."))
    return redirect("readers:two_factor")


@login_required
@require_http_methods(["GET", "POST"])
@FACTOR_SETUP_LIMIT
def totp_setup(request):
    """Set up an authenticator app: a QR code and the secret as text, then a code."""
    refusal = _needs_second_step_first(request)
    if refusal is not None:
        return refusal
    reader = request.user
    secret = request.session.get(second_factor.TOTP_SETUP_KEY)
    if not secret:
        secret = second_factor.new_totp_secret()
        request.session[second_factor.TOTP_SETUP_KEY] = secret
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        step = second_factor.matching_totp_step(secret, form.cleaned_data["code"])
        if step is not None:
            first_factor = not second_factor.has_second_factor(reader)
            enable_totp(reader=reader, secret=secret, confirmed_step=step)
            request.session.pop(second_factor.TOTP_SETUP_KEY, None)
            return _after_factor_added(
                request,
                first_factor=first_factor,
                done_message=_("Your authenticator app is set up."),
            )
        form.add_error(
            "code",
            _(
                "That code is not right. Check that your device's clock is correct and type "
                "the code your app shows now."
            ),
        )
    uri = second_factor.totp_provisioning_uri(secret, account=reader.handle)
    context = {
        "form": form,
        # Our own SVG, made by segno from the otpauth: address: nothing a reader typed.
        "qr_svg": mark_safe(second_factor.totp_qr_svg(uri)),  # noqa: S308
        "secret": secret,
        "next": _safe_next(request, ""),
    }
    response = render(
        request,
        "readers/totp_setup.html",
        context,
        status=400 if request.method == "POST" else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def remove_totp_view(request):
    refusal = _needs_second_step_first(request)
    if refusal is not None:
        return refusal
    remove_totp(reader=request.user)
    messages.success(request, _("Your authenticator app is turned off."))
    return redirect("readers:two_factor")


@login_required
@require_POST
def regenerate_recovery_codes(request):
    """New recovery codes, shown once; every earlier code stops working."""
    refusal = _needs_second_step_first(request)
    if refusal is not None:
        return refusal
    if not second_factor.has_second_factor(request.user):
        messages.info(request, _("Add a passkey or an authenticator app first."))
        return redirect("readers:two_factor")
    codes = second_factor.new_recovery_codes()
    replace_recovery_codes(
        reader=request.user, code_hashes=[second_factor.hash_recovery_code(c) for c in codes]
    )
    return _show_recovery_codes(request, codes, first_factor=False)
