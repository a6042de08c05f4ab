"""Which discussion a page that embeds one shows: reads only.

Opening a new external page's discussion is `articles.operations.open_external_page`;
the frame's view decides whether it may (allowed origin, rate limit) and calls it.
"""

from django.conf import settings
from django.urls import Resolver404, resolve

from broadsheet.articles.access import get_visible_article_or_404
from broadsheet.articles.models import Article
from broadsheet.integrations.embed.addresses import normalize_origin, origin_of


def allowed_origins() -> frozenset[str]:
    """The origins whose pages may embed a discussion (BROADSHEET_EMBED_ORIGINS)."""
    return frozenset(
        origin for origin in map(normalize_origin, settings.BROADSHEET_EMBED_ORIGINS) if origin
    )


def own_article_slug(url: str, own_origin: str) -> str | None:
    """The slug when `url` is the address of one of this site's article pages."""
    if origin_of(url) != own_origin:
        return None
    try:
        match = resolve(url[len(own_origin) :])
    except Resolver404:
        return None
    if match.view_name != "articles:detail":
        return None
    return match.kwargs["slug"]


def find_own_article(slug: str) -> Article:
    """One of our own published articles (404 when there is none to see)."""
    return get_visible_article_or_404(slug)


def find_external_page(url: str) -> Article | None:
    """The published external page opened for this normalised address, if any."""
    return Article.objects.published().select_related("discussion").filter(external_url=url).first()
