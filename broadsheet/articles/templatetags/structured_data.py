import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Django's json_script escapes exactly these, but only writes
# type="application/json"; JSON-LD needs type="application/ld+json". With them
# escaped, no text inside (a comment saying "</script>") can close the element,
# and the JSON still parses to the same strings.
_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def json_ld(data) -> SafeString:
    """`<script type="application/ld+json">` holding `data`. A data block, not a
    script: browsers do not run it, so the CSP's script-src does not apply."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308
