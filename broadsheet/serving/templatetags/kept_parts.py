"""`{% kept_part "template.html" name=value ... holes="a,b" %}`: a part of a page
drawn with exactly the values named here, remembered by them
(serving/kept_html.py, ADR 0025). The names in `holes` are filled in on every
render instead of being part of the key."""

from django import template
from django.utils.safestring import SafeString

from broadsheet.serving.kept_html import render_kept

register = template.Library()


@register.simple_tag
def kept_part(template_name: str, holes: str = "", **values) -> SafeString:
    hole_names = [name for name in holes.split(",") if name]
    return render_kept(
        template_name,
        {name: value for name, value in values.items() if name not in hole_names},
        holes={name: values[name] for name in hole_names},
    )
