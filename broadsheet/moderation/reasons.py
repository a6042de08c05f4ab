"""Why a comment waits for a moderator: stored as a code and its values, put
into words only when shown, in the language of whoever reads them.

A held comment keeps `Comment.moderation_reason` (one of the codes below) and
`Comment.moderation_params` (the values the words need: the suspect word, the
number of links). Stored English sentences would show English to a Russian
moderator, and could not be counted or filtered by kind.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext, ngettext

PREMODERATED = "premoderated"
BREAKING_NEWS_NEW_READER = "breaking_news_new_reader"
NEW_READER = "new_reader"
SUSPECT_WORD = "suspect_word"
TOO_MANY_LINKS = "too_many_links"
REPEATED_TEXT = "repeated_text"
# Imported comments that the system they came from had not published.
IMPORTED_UNAPPROVED = "imported_unapproved"
IMPORTED_SPAM = "imported_spam"

HOLD_CODES = (
    PREMODERATED,
    BREAKING_NEWS_NEW_READER,
    NEW_READER,
    SUSPECT_WORD,
    TOO_MANY_LINKS,
    REPEATED_TEXT,
    IMPORTED_UNAPPROVED,
    IMPORTED_SPAM,
)


@dataclass(frozen=True)
class Hold:
    """A reason to hold a comment for a moderator: a code and the values its words need."""

    code: str
    params: dict = field(default_factory=dict)


def describe_hold(code: str, params: dict | None = None) -> str:
    """The reason in words, in the active language.

    Anything that is not a hold code (a moderator's rejection reason, which is
    the English label of one of moderation.forms.REJECT_REASONS) is translated
    as that label; text of no known kind is shown as it is.
    """
    params = params or {}
    if code == PREMODERATED:
        return gettext("pre-moderated discussion")
    if code == BREAKING_NEWS_NEW_READER:
        return gettext("breaking news: reader joined less than a day ago")
    if code == NEW_READER:
        count = int(params.get("count", 0))
        return ngettext(
            "new reader (first %(count)d comment)", "new reader (first %(count)d comments)", count
        ) % {"count": count}
    if code == SUSPECT_WORD:
        return gettext("suspect word “%(word)s”") % {"word": params.get("word", "")}
    if code == TOO_MANY_LINKS:
        count = int(params.get("count", 0))
        return ngettext("too many links (%(count)d)", "too many links (%(count)d)", count) % {
            "count": count
        }
    if code == REPEATED_TEXT:
        return gettext("same text posted again")
    if code == IMPORTED_UNAPPROVED:
        return gettext("imported: awaiting moderation where it came from")
    if code == IMPORTED_SPAM:
        return gettext("imported: marked as spam where it came from")
    return gettext(code) if code else ""
