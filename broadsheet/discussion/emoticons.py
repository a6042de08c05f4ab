"""The emoticons a comment may use, drawn for Broadsheet as small SVG images.

Each has a shortcode (`:wink:`) and may have classic text forms (`;)`); the
alternative text says what the writer did, so a screen reader reads
"winked" where a sighted reader sees the face.
"""

from dataclasses import dataclass

from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Emoticon:
    code: str
    alt: str
    text_forms: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return static(f"discussion/emoticons/{self.code}.svg")


EMOTICONS: dict[str, Emoticon] = {
    e.code: e
    for e in [
        Emoticon("smile", _("smiled"), (":)", ":-)")),
        Emoticon("wink", _("winked"), (";)", ";-)")),
        Emoticon("laugh", _("laughed"), (":D", ":-D")),
        Emoticon("sad", _("saddened"), (":(", ":-(")),
        Emoticon("surprised", _("surprised"), (":O", ":-O")),
        Emoticon("thinking", _("thinking")),
        Emoticon("angry", _("angry")),
        Emoticon("thumbsup", _("thumbs up")),
    ]
}

TEXT_FORMS: dict[str, Emoticon] = {form: e for e in EMOTICONS.values() for form in e.text_forms}
