"""Who is calling: a personal token (`Authorization: Bearer …`), the browser's
session (with CSRF for unsafe methods), or nobody (public reads only).

A token never grants more than its reader has: its scope caps what the reader
may do through it, and the reader's own state (banned, not a moderator) caps
the rest, checked by the same operations the pages call.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

from broadsheet.core.limits import within_limit
from broadsheet.integrations.api.problems import ApiProblem, FieldError, too_many, unauthorized
from broadsheet.moderation.access import is_moderator
from broadsheet.readers.access import find_api_token
from broadsheet.readers.models import ApiToken, ApiTokenScope, Reader
from broadsheet.readers.operations import record_api_token_use

READ, WRITE, MODERATE = ApiTokenScope.READ, ApiTokenScope.WRITE, ApiTokenScope.MODERATE
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Caller:
    reader: Reader | None  # None: anonymous
    token: ApiToken | None = None  # None: the browser's session, or anonymous

    @property
    def signed_in(self) -> bool:
        return self.reader is not None

    @property
    def viewer(self):
        """What the discussion's reads take as the one looking."""
        return self.reader if self.reader is not None else AnonymousUser()


def _within_request_limit(request, caller_id: str) -> None:
    if not within_limit(
        request,
        group="api.requests",
        value=caller_id,
        setting="BROADSHEET_API_REQUESTS_PER_MINUTE",
        period="m",
    ):
        raise too_many(60)


class BearerToken(AuthBase):
    """`Authorization: Bearer <token>`: a reader's personal token."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request) -> Caller | None:
        header = request.headers.get("Authorization")
        if header is None:
            return None
        scheme, _space, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise unauthorized(_("Send a token as “Authorization: Bearer TOKEN”."))
        token = find_api_token(secret.strip())
        if token is None:
            # Unknown, revoked, expired and a deactivated reader's tokens alike.
            raise unauthorized(_("This token is not valid."), error="invalid_token")
        _within_request_limit(request, f"reader:{token.reader_id}")
        record_api_token_use(token=token)
        return Caller(reader=token.reader, token=token)


class SessionOrAnonymous(AuthBase):
    """The browser's session (the site's own pages and the reference page), with
    Django's CSRF check on unsafe methods; or an anonymous caller."""

    openapi_type = "apiKey"
    openapi_in = "cookie"
    openapi_name = settings.SESSION_COOKIE_NAME
    csrf = True  # so the reference page sends the token with its requests

    def __call__(self, request) -> Caller:
        user = request.user
        if not user.is_authenticated:
            _within_request_limit(request, "address:" + request.META.get("REMOTE_ADDR", ""))
            return Caller(reader=None)
        _within_request_limit(request, f"reader:{user.pk}")
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise ApiProblem(
                403,
                _("The CSRF check failed: send the X-CSRFToken header, or use a token."),
                [FieldError("", "csrf_failed", _("The CSRF token is missing or wrong."))],
            )
        return Caller(reader=user)


AUTH = [BearerToken(), SessionOrAnonymous()]


def require(request, scope: str) -> Caller:
    """The caller, if they may act with `scope` (read, write, moderate); else 401
    (nobody signed in), or 403 (a token of too small a scope, or a reader who is
    not a moderator asking to moderate)."""
    caller: Caller = request.auth
    if scope == READ:
        return caller
    if caller.reader is None:
        raise unauthorized(_("Sign in, or send a personal token: Authorization: Bearer TOKEN."))
    if caller.token is not None and not caller.token.allows(scope):
        raise ApiProblem(
            403,
            _("This token's scope does not allow this: it needs “%(scope)s”.") % {"scope": scope},
            [FieldError("", "insufficient_scope", _("The token's scope is too small."))],
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
        )
    if scope == MODERATE and not is_moderator(caller.reader):
        raise ApiProblem(
            403,
            _("Only moderators may do this."),
            [FieldError("", "not_a_moderator", _("Only moderators may do this."))],
        )
    return caller
