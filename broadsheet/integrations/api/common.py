"""What every router shares: finding the article, the limits, the documented answers."""

from django.http import Http404
from django.utils.translation import gettext as _

from broadsheet.articles.access import get_visible_article_or_404
from broadsheet.articles.models import Article
from broadsheet.core.limits import WINDOW_SECONDS, within_limit
from broadsheet.integrations.api.problems import invalid, not_found, too_many
from broadsheet.integrations.api.schemas import Problem

ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 415, 422, 429)


def answers(ok: dict) -> dict:
    """An operation's documented responses: its own, and the problems any may give."""
    return {**ok, **dict.fromkeys(ERROR_STATUSES, Problem)}


def visible_article(slug: str) -> Article:
    """The published article (or edition, or external page) under `slug`, or 404."""
    try:
        return get_visible_article_or_404(slug)
    except Http404:
        raise not_found() from None


def within(request, caller, *, group: str, setting: str, period: str) -> None:
    """Count one use of a limited action by this caller; 429 past the setting."""
    if not within_limit(
        request, group=group, value=str(caller.reader.pk), setting=setting, period=period
    ):
        raise too_many(WINDOW_SECONDS[period])


def no_nul(pointer: str, value: str) -> str:
    """Text the database can store: the forms refuse NUL characters too."""
    if "\x00" in value:
        raise invalid(pointer, "null_character", _("Null characters are not allowed."))
    return value


def page_size(limit: int, maximum: int) -> int:
    return max(1, min(limit, maximum))
