"""Errors as `application/problem+json` (RFC 9457), the only error shape the API answers.

Every refusal is an ApiProblem: a status, a title, a detail for people, and a
list of `errors` that name the part of the request at fault with a JSON
pointer (RFC 6901) and a code for programs. Nothing in a problem repeats the
caller's input: a detail is our own words, never the value that was sent.
"""

from dataclasses import dataclass, field

from django.http import HttpResponse
from django.utils.translation import gettext as _

from broadsheet.integrations.api.rendering import dump_json

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "/api/v1/problems/"

# The titles (and so the `type` slugs) the API uses, by status.
TITLES = {
    400: ("bad-request", "The request could not be read."),
    401: ("unauthorized", "Authentication is needed."),
    403: ("forbidden", "This is not allowed."),
    404: ("not-found", "Not found."),
    405: ("method-not-allowed", "This method is not allowed here."),
    409: ("conflict", "The request conflicts with another one."),
    413: ("too-large", "The request is too large."),
    415: ("unsupported-media-type", "The request body must be JSON."),
    422: ("invalid", "The request is not valid."),
    429: ("too-many-requests", "Too many requests."),
    500: ("server-error", "Something went wrong on our side."),
}


def json_pointer(*parts: str | int) -> str:
    """The RFC 6901 pointer to a member of the request's JSON ("" is the whole)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


@dataclass(frozen=True)
class FieldError:
    pointer: str  # JSON pointer into the request body, or "" for the whole
    code: str  # for programs: too_long, required, wrong_type, unknown_field, ...
    detail: str  # for people, in the reader's language

    def as_dict(self) -> dict:
        return {"pointer": self.pointer, "code": self.code, "detail": self.detail}


@dataclass
class ApiProblem(Exception):
    status: int
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}"


def invalid(pointer: str, code: str, detail: str, *, status: int = 422) -> ApiProblem:
    """A problem with one named part of the request."""
    return ApiProblem(status, detail, [FieldError(pointer, code, detail)])


def not_found() -> ApiProblem:
    # One answer for a missing thing and a forbidden one: a guess learns nothing.
    return ApiProblem(404, _("There is nothing here, or it is not yours to see."))


def unauthorized(detail: str, *, error: str = "") -> ApiProblem:
    challenge = 'Bearer realm="api"'
    if error:
        challenge += f', error="{error}"'
    return ApiProblem(401, detail, headers={"WWW-Authenticate": challenge})


def too_many(retry_after: int) -> ApiProblem:
    return ApiProblem(
        429,
        _("Too many requests. Please wait a while and try again."),
        [
            FieldError(
                "",
                "rate_limited",
                _("Try again in %(seconds)d seconds.") % {"seconds": retry_after},
            )
        ],
        headers={"Retry-After": str(retry_after)},
    )


def problem_response(problem: ApiProblem) -> HttpResponse:
    slug, title = TITLES.get(problem.status, TITLES[400 if problem.status < 500 else 500])
    body = {
        "type": TYPE_BASE + slug,
        "title": _(title),
        "status": problem.status,
        "detail": problem.detail,
        "errors": [error.as_dict() for error in problem.errors],
    }
    response = HttpResponse(
        dump_json(body), status=problem.status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in problem.headers.items():
        response[name] = value
    return response
