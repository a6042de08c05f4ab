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
from collections import OrderedDict
from functools import lru_cache
from typing import Any

from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils import timezone, translation
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


def render_kept(template_name: str, values: dict[str, Any]) -> SafeString:
    """`template_name` drawn with `values` alone, remembered by them."""
    key = (
        template_name,
        _template_version(template_name),
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        get_script_prefix(),
        tuple(sorted(values.items())),
    )
    html = _kept.get(key)
    if html is not None:
        _kept.move_to_end(key)
        return html
    html = mark_safe(get_template(template_name).render(values))  # noqa: S308 (escaped by the template)
    _kept[key] = html
    if len(_kept) > MAX_KEPT:
        _kept.popitem(last=False)
    return html


def forget_kept_parts() -> None:
    """Drop every remembered part (tests, and the bench's first render after a restart)."""
    _kept.clear()
