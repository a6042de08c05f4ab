"""The doors of sign-in with other accounts (docs/social-sign-in.md, ADR 0017).

django-allauth speaks OpenID Connect and OAuth 2 for us; these doors confine it:

- the start of a sign-in is ours (POST only, rate-limited, a nonce bound to
  allauth's state), and calls allauth's provider to make the redirect;
- the provider's return goes to allauth's callback view under our rate limit;
- once allauth has checked the answer, SocialAccountAdapter.pre_social_login hands
  the identity to readers.operations.sign_in_with_social_identity and answers with
  our own redirect or refusal page: allauth's own sign-up, connect and error pages,
  and its account views (/accounts/login/ …, never routed), are never reached.
"""

import hmac
import logging
import secrets

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.apple.views import oauth2_callback as apple_callback
from allauth.socialaccount.providers.apple.views import oauth2_finish_login as apple_finish
from allauth.socialaccount.providers.github.views import oauth2_callback as github_callback
from allauth.socialaccount.providers.google.views import oauth2_callback as google_callback
from allauth.socialaccount.providers.openid_connect.views import callback as generic_callback
from allauth.socialaccount.providers.vk.views import oauth2_callback as vk_callback
from allauth.socialaccount.providers.yandex.views import oauth2_callback as yandex_callback
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit import ALL as ALL_METHODS

from broadsheet.core.limits import limit
from broadsheet.readers.operations import (
    LastWayIn,
    SocialIdentity,
    SocialSignInRefused,
    disconnect_social_account,
    sign_in_with_social_identity,
)

logger = logging.getLogger(__name__)

SOCIAL_SIGN_IN_LIMIT = limit(
    key="ip",
    setting="BROADSHEET_OIDC_SIGNINS_PER_MINUTE",
    period="m",
    group="readers.social_sign_in",
    method=ALL_METHODS,  # the provider's return is a GET (Apple's a POST)
)

_CALLBACKS = {
    "google": google_callback,
    "apple": apple_callback,
    "github": github_callback,
    "yandex": yandex_callback,
    "vk": vk_callback,
}
# The ID token's claims in allauth's extra_data, where the provider sends one.
_PRESET_ID_TOKEN_AT_TOP = {"google", "apple"}


def list_sign_in_buttons() -> list[dict]:
    """The configured providers, for the "Sign in with …" buttons."""
    return [
        {**button, "url": reverse("readers:social_sign_in", args=[button["id"]])}
        for button in settings.BROADSHEET_OIDC_BUTTONS
    ]


def _button_or_404(provider_id: str) -> dict:
    for button in settings.BROADSHEET_OIDC_BUTTONS:
        if button["id"] == provider_id:
            return button
    raise Http404(_("No such sign-in provider."))


def _refusal(request, message: str, *, status: int):
    return render(
        request,
        "readers/notice.html",
        {"notice_title": _("Could not sign you in"), "notice_text": message},
        status=status,
    )


@require_POST
@SOCIAL_SIGN_IN_LIMIT
def social_sign_in(request, provider_id: str):
    """Send the browser to the provider (a POST form: a link could be followed by
    anything that can make the browser GET). `process=connect` from the settings page
    links the account to the signed-in reader instead."""
    button = _button_or_404(provider_id)
    try:
        provider = get_social_adapter(request).get_provider(request, provider_id)
    except SocialApp.DoesNotExist:
        raise Http404(_("No such sign-in provider.")) from None
    connect = request.POST.get("process") == "connect" and request.user.is_authenticated
    next_url = request.POST.get("next", "")
    if len(next_url) > 2000 or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    # The nonce rides in allauth's state (kept in this browser's session, keyed by the
    # `state` parameter) and must come back inside the signed ID token: a token issued
    # for another sign-in, or replayed, names another nonce. (Plain OAuth 2 providers
    # send no ID token: state and PKCE bind their answer.)
    nonce = secrets.token_urlsafe(32)
    auth_params = dict(provider.get_auth_params())
    if button["id_token"]:
        auth_params["nonce"] = nonce
    return provider.redirect(
        request,
        process="connect" if connect else "login",
        next_url=next_url or None,
        data={"nonce": nonce},
        auth_params=auth_params,
    )


@csrf_exempt  # Apple answers with a cross-site POST (form_post); state guards it.
@SOCIAL_SIGN_IN_LIMIT
def social_callback(request, provider_id: str):
    """The provider's return, checked by allauth's callback view for that provider."""
    _button_or_404(provider_id)
    if provider_id in _CALLBACKS:
        return _CALLBACKS[provider_id](request)
    return generic_callback(request, provider_id=provider_id)


@SOCIAL_SIGN_IN_LIMIT
def apple_finish_callback(request):
    _button_or_404("apple")
    return apple_finish(request)


def _id_token_claims(provider_id: str, extra_data: dict) -> dict | None:
    if provider_id in _CALLBACKS:
        return extra_data if provider_id in _PRESET_ID_TOKEN_AT_TOP else None
    return extra_data.get("id_token") or {}


def _identity(sociallogin, button: dict) -> SocialIdentity:
    account = sociallogin.account
    provider = account.get_provider()
    common = provider.extract_common_fields(account.extra_data) or {}
    addresses = list(sociallogin.email_addresses)
    chosen = next((a for a in addresses if a.verified and a.primary), None)
    chosen = chosen or next((a for a in addresses if a.verified), None)
    chosen = chosen or next(iter(addresses), None)
    name = common.get("name") or " ".join(
        part for part in (common.get("first_name"), common.get("last_name")) if part
    )
    return SocialIdentity(
        provider=button["id"],
        provider_name=button["name"],
        uid=str(account.uid),
        handle_hint=str(common.get("username") or "")[:100],
        name=str(name or "")[:200],
        email=chosen.email if chosen else "",
        email_verified=bool(chosen and chosen.verified),
        extra_data=account.extra_data,
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Every completed sign-in ends here, with our answer (ImmediateHttpResponse)."""

    def pre_social_login(self, request, sociallogin) -> None:
        raise ImmediateHttpResponse(_finish_sign_in(request, sociallogin))

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        # A wrong or expired `state`, a refused consent, a bad token or ID token: the
        # reader learns that it failed and can start again; nothing was written.
        logger.info("social sign-in with %s failed: %s %r", provider, error, exception)
        name = getattr(provider, "name", "") or _("the provider")
        raise ImmediateHttpResponse(
            _refusal(
                request,
                _(
                    "Signing in with %(provider)s did not work: the request expired, was"
                    " cancelled or did not start in this browser. Please try again from"
                    " the sign-in page."
                )
                % {"provider": name},
                status=400,
            )
        )

    def list_apps(self, request, provider=None, client_id=None):
        # Only the apps settings.py built from the environment: a SocialApp row made
        # in the admin must not add or shadow a provider.
        return [app for app in super().list_apps(request, provider, client_id) if app.pk is None]

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        return False


class AccountAdapter(DefaultAccountAdapter):
    """allauth's account side is installed only because socialaccount needs it: no
    sign-up through it, and any URL it would send a browser to is one of ours."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_login_redirect_url(self, request) -> str:
        return reverse(settings.LOGIN_REDIRECT_URL)


def _finish_sign_in(request, sociallogin):
    provider_id = sociallogin.account.provider
    button = _button_or_404(provider_id)
    state = sociallogin.state or {}
    expected_nonce = (state.get("data") or {}).get("nonce") or ""
    claims = _id_token_claims(provider_id, sociallogin.account.extra_data)
    if claims is not None and not (
        expected_nonce
        and hmac.compare_digest(str(claims.get("nonce", "")).encode(), expected_nonce.encode())
    ):
        logger.warning("social sign-in with %s: ID token nonce mismatch", provider_id)
        return _refusal(
            request,
            _(
                "Signing in with %(provider)s did not work: the answer was not issued for"
                " this sign-in. Please try again from the sign-in page."
            )
            % {"provider": button["name"]},
            status=400,
        )
    connect_to = request.user if state.get("process") == "connect" else None
    if connect_to is not None and not connect_to.is_authenticated:
        connect_to = None
    try:
        outcome = sign_in_with_social_identity(
            identity=_identity(sociallogin, button), connect_to=connect_to
        )
    except SocialSignInRefused as refusal:
        status = 403 if refusal.code in ("closed", "staff") else 409
        return _refusal(request, refusal.message, status=status)
    except IntegrityError:
        # Two sign-ins of one account raced, or the handle went a moment ago.
        return _refusal(
            request, _("Something changed while signing you in. Please try again."), status=409
        )
    if connect_to is not None:
        messages.success(
            request, _("Your %(provider)s account is linked.") % {"provider": button["name"]}
        )
        return redirect("readers:settings")
    login(request, outcome.reader, backend="broadsheet.readers.backends.HandleOrEmailBackend")
    return redirect(state.get("next") or settings.LOGIN_REDIRECT_URL)


@login_required
@require_POST
def disconnect_social(request, account_id: int):
    """Unlink one of the signed-in reader's accounts at a provider."""
    try:
        disconnect_social_account(reader=request.user, account_id=account_id)
    except LookupError:
        raise Http404(_("No such linked account.")) from None
    except LastWayIn:
        messages.error(
            request,
            _("This is the only way you can sign in to your account: link another account first."),
        )
        return redirect("readers:settings")
    messages.success(request, _("The account is no longer linked."))
    return redirect("readers:settings")
