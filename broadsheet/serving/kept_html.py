"""Parts of a page drawn once per set of values and remembered (ADR 0025).

An article page drawn from nothing redrew, on every comment, what no comment
changes: the story itself (headline, byline, date, edition switcher, body) and
the head's metadata (description, canonical and hreflang links, Open Graph and
Twitter tags, feed links). `render_kept` draws such a part from a template and
a dict of plain values, and remembers the HTML by those values, together with
everything else the drawing depends on (the template's source, the active
language, the time zone, the script prefix).

Why this cannot go stale or leak: the template is drawn with exactly `values`,
in a plain Context, so no context processor runs, there is no request and no
user: whatever the part shows is in its key. Change a value (an edit, another
edition published, another language, a different host) and it is another
part. Values must be hashable plain data (strings, numbers, datetimes, tuples
of them), which also keeps model instances, and their lazy relations, out.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

# Parts per process, least recently used first out. A part is a page's head or its
# story (a few to a few hundred KiB with a long body), one per article, language,
# host and edition state asked for lately.
MAX_KEPT = 256

_kept: OrderedDict[tuple, SafeString] = OrderedDict()


@lru_cache(maxsize=64)
def _template_version(name: str) -> str:
    # A release that changes the template's source draws its parts anew.
    source = get_template(name).template.source
    return hashlib.blake2b(source.encode(), digest_size=8).hexdigest()


@lru_cache(maxsize=64)
def _hole(name: str) -> str:
    # Derived from the secret key, so no text an editor or reader stores holds one.
    digest = hmac.new(settings.SECRET_KEY.encode(), f"kept:{name}".encode(), "sha256")
    return f"\x00{name}:{digest.hexdigest()[:24]}\x00"


def render_kept(
    template_name: str, values: dict[str, Any], *, holes: dict[str, Any] | None = None
) -> SafeString:
    """`template_name` drawn with `values` alone, remembered by them. `holes` are
    values that change too often to key by (the newest live event's id): the part
    is drawn with a mark in their place, and each mark is filled in, escaped, on
    every call. A hole may only stand where its mark survives unchanged: a text
    or attribute value, never a filter's or a tag's input."""
    holes = holes or {}
    marks = {name: _hole(name) for name in holes}
    key = (
        template_name,
        _template_version(template_name),
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        get_script_prefix(),
        tuple(sorted(values.items())),
        tuple(sorted(marks)),
    )
    html = _kept.get(key)
    if html is None:
        html = get_template(template_name).render({**values, **marks})
        for name, mark in marks.items():
            if html.count(mark) == 0:
                raise ValueError(f"{template_name} does not show its hole {name} as it is")
        _kept[key] = html
        if len(_kept) > MAX_KEPT:
            _kept.popitem(last=False)
    else:
        _kept.move_to_end(key)
    for name, mark in marks.items():
        html = html.replace(mark, conditional_escape(holes[name]))
    return mark_safe(html)  # noqa: S308 (escaped by the template, the holes here)


def forget_kept_parts() -> None:
    """Drop every remembered part (tests, and the bench's first render after a restart)."""
    _kept.clear()
