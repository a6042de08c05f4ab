"""Reading a request's JSON body strictly, before any schema sees it.

Python's json module is lenient where a stranger's input must not be: it takes
NaN and Infinity, turns 1e999 into infinity, keeps lone surrogates (which no
database will store), and recurses as deep as the input nests. Each of those
is refused here with a 4xx that names what was wrong, never what was sent.
"""

import json
import math
from typing import Any

from django.utils.translation import gettext as _
from ninja.parser import Parser

from broadsheet.integrations.api.problems import ApiProblem, FieldError, invalid

MAX_DEPTH = 16
JSON_TYPES = ("application/json",)


def _refuse_constant(name: str) -> Any:
    raise invalid("", "not_a_number", _("NaN and Infinity are not JSON numbers."), status=400)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise invalid("", "out_of_range", _("A number is out of range."), status=400)
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 18:
        raise invalid("", "out_of_range", _("A number is out of range."), status=400)
    return int(text)


def _check(value: Any, depth: int = 0) -> None:
    """Refuse nesting deeper than MAX_DEPTH and strings no database stores."""
    if depth > MAX_DEPTH:
        raise invalid("", "too_deep", _("The JSON nests too deeply."), status=400)
    if isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth + 1)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise invalid(
                "", "invalid_unicode", _("The JSON holds an unpaired surrogate."), status=400
            ) from None


def _nesting_depth(raw: bytes) -> int:
    """How deep brackets nest, strings skipped: checked before parsing, so a
    megabyte of "[" costs a scan, not the parser's recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def parse_json_body(request) -> Any:
    """The request's body as JSON, or an ApiProblem saying what is wrong with it."""
    content_type = request.content_type or ""
    if content_type not in JSON_TYPES and not (
        content_type.startswith("application/") and content_type.endswith("+json")
    ):
        raise ApiProblem(
            415,
            _("Send the body as JSON, with Content-Type: application/json."),
            [FieldError("", "unsupported_media_type", _("The body must be JSON."))],
        )
    raw = request.body
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("", "invalid_utf8", _("The body is not valid UTF-8."), status=400) from None
    if _nesting_depth(raw) > MAX_DEPTH:
        raise invalid("", "too_deep", _("The JSON nests too deeply."), status=400)
    try:
        data = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except (ValueError, RecursionError) as error:
        if isinstance(error.__context__, ApiProblem):
            raise error.__context__ from None
        raise invalid(
            "", "malformed_json", _("The body is not well-formed JSON."), status=400
        ) from None
    _check(data)
    return data


class StrictParser(Parser):
    """ninja's body parser, replaced: see parse_json_body."""

    def parse_body(self, request) -> Any:
        return parse_json_body(request)
