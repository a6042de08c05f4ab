"""The emoticons a comment may use, drawn for Broadsheet as small SVG images.

Each has a shortcode (`:wink:`) and may have classic text forms (`;)`); the
alternative text says what the writer did, so a screen reader reads
"winked" where a sighted reader sees the face.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Emoticon:
    code: str
    alt: str
    text_forms: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        # The plain name, not the hashed one that {% static %} gives: this URL is
        # stored in comments' rendered HTML, which must outlive every release
        # that redraws the image (and a data folder moved to a new machine).
        return f"{settings.STATIC_URL}discussion/emoticons/{self.code}.svg"


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
