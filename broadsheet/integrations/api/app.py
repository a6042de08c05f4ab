"""The API object: its routers, how it reads bodies, and how every error is answered.

Mounted at /api/v1/ by broadsheet/urls.py (`urlpatterns` below). Every answer,
success or problem, says `Vary: Authorization, Cookie`; one to a signed-in
caller also `Cache-Control: private, no-store`. No answer is marked shared, so
the front cache never keeps one, and it passes any request with an
Authorization header or a session straight to Django anyway.
"""

import logging
from functools import wraps

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.urls import re_path
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from broadsheet.integrations.api import articles, comments, counts, me, moderation
from broadsheet.integrations.api.auth import AUTH
from broadsheet.integrations.api.counts import allow_embedding_origin
from broadsheet.integrations.api.parsing import StrictParser
from broadsheet.integrations.api.problems import (
    PROBLEM_CONTENT_TYPE,
    ApiProblem,
    FieldError,
    json_pointer,
    not_found,
    problem_response,
    unauthorized,
)
from broadsheet.integrations.api.rendering import JSONRenderer

logger = logging.getLogger("broadsheet.api")

# pydantic's error types, as the codes our problems name.
_CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "string_too_long": "too_long",
    "string_too_short": "too_short",
    "too_long": "too_long",
    "too_short": "too_short",
    "greater_than_equal": "out_of_range",
    "greater_than": "out_of_range",
    "less_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "literal_error": "not_allowed",
    "enum": "not_allowed",
}


class BroadsheetAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """ninja's document, with every 4xx answered as application/problem+json."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if str(status).startswith(("4", "5")) and "application/json" in content:
                        content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
                        response["description"] = _("A problem (RFC 9457)")
        return schema


api = BroadsheetAPI(
    title="Broadsheet API",
    version="1",
    description=(
        "Articles, their discussions, your account and the moderation queue. "
        "Errors are application/problem+json (RFC 9457). See docs/api.md."
    ),
    urls_namespace="api",
    auth=AUTH,
    parser=StrictParser(),
    renderer=JSONRenderer(),
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/articles", articles.router)
api.add_router("/articles", comments.router)
api.add_router("/me", me.router)
api.add_router("/counts", counts.router)
api.add_router("/moderation", moderation.router)


def _pointer(location: tuple) -> str:
    # ninja's locations start with where the value came from ("body", then the
    # parameter's name; "query"/"path" then the name): the pointer is into the body,
    # and into /query/... or /path/... for parameters.
    parts = list(location)
    if parts and parts[0] == "body":
        parts = parts[2:]
    return json_pointer(*parts)


def _field_error(error: dict) -> FieldError:
    kind = error.get("type", "")
    code = _CODES.get(
        kind, "wrong_type" if kind.endswith("_type") or "parsing" in kind else "invalid"
    )
    messages = {
        "required": _("This field is required."),
        "unknown_field": _("This field is not known here."),
        "too_long": _("This value is too long."),
        "too_short": _("This value is too short."),
        "out_of_range": _("This number is out of range."),
        "not_allowed": _("This value is not one of those allowed."),
        "wrong_type": _("This value has the wrong type."),
    }
    return FieldError(
        _pointer(error.get("loc", ())), code, messages.get(code, _("This value is not valid."))
    )


@api.exception_handler(ApiProblem)
def _problem(request, exc: ApiProblem):
    return problem_response(exc)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    errors = [_field_error(error) for error in exc.errors]
    return problem_response(ApiProblem(422, _("The request is not valid."), errors))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return problem_response(unauthorized(_("Authentication is needed.")))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, ApiProblem):  # raised by the body parser
        return problem_response(exc.__cause__)
    if isinstance(exc.__cause__, RequestDataTooBig):
        return _too_big(request, exc.__cause__)
    status = exc.status_code if 400 <= exc.status_code < 600 else 400
    return problem_response(ApiProblem(status, _("The request could not be answered.")))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem_response(not_found())


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return problem_response(
        ApiProblem(
            413,
            _("The request is too large."),
            [FieldError("", "too_large", _("The request is too large."))],
        )
    )


@api.exception_handler(Exception)
def _server_error(request, exc):
    # Logged with its traceback for the operator; the caller learns nothing of it.
    logger.exception("api: %s %s failed", request.method, request.path)
    return problem_response(ApiProblem(500, _("Something went wrong on our side.")))


def _finished(request, response):
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name == "counts":
        allow_embedding_origin(request, response)
    patch_vary_headers(response, ["Authorization", "Cookie"])
    if request.headers.get("Authorization") or (
        getattr(request, "user", None) and request.user.is_authenticated
    ):
        patch_cache_control(response, private=True, no_store=True)
    return response


def _api_view(view):
    """Around each of ninja's views: its plain-text errors as problems, and the
    caching headers."""

    @wraps(view)
    def answered(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:  # ninja's root page raises it
            return _finished(request, problem_response(not_found()))
        if response.status_code >= 400 and response.get("Content-Type", "").startswith("text/"):
            # ninja's own plain answers (a method not allowed, its root page's 404).
            if response.status_code == 405:
                allowed = response.get("Allow", "")
                response = problem_response(ApiProblem(405, _("This method is not allowed here.")))
                response["Allow"] = allowed
            else:
                response = problem_response(
                    not_found()
                    if response.status_code == 404
                    else ApiProblem(response.status_code, "")
                )
        return _finished(request, response)

    return answered


def _nothing_here(request, rest: str = ""):
    return _finished(request, problem_response(not_found()))


def _urlpatterns() -> list:
    patterns, _app_name, _namespace = api.urls
    for pattern in patterns:
        pattern.callback = _api_view(pattern.callback)
    return [*patterns, re_path(r"^(?P<rest>.*)$", _nothing_here)]


urlpatterns = _urlpatterns()
