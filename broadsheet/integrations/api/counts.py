"""/api/v1/counts: comment counts of many pages in one request, for article lists
and the embed's count mode on other sites (CORS, for BROADSHEET_EMBED_ORIGINS only)."""

from django.conf import settings
from django.core.validators import slug_re
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from ninja import Query, Router

from broadsheet.articles.models import Article
from broadsheet.discussion.queries import list_comment_counts
from broadsheet.integrations.api.auth import READ, require
from broadsheet.integrations.api.common import answers, no_nul
from broadsheet.integrations.api.problems import invalid
from broadsheet.integrations.api.schemas import Counts

router = Router(tags=["counts"])

MAX_URL_LENGTH = 2000  # what external_url holds


def allow_embedding_origin(request, response) -> None:
    """Let a page of an embedding origin read this answer from its own script; any
    other origin's script gets the answer without the header, so cannot read it."""
    origin = request.headers.get("Origin", "")
    if origin and origin.rstrip("/") in settings.BROADSHEET_EMBED_ORIGINS:
        response["Access-Control-Allow-Origin"] = origin
    patch_vary_headers(response, ["Origin"])


def _url_counts(urls: list[str]) -> dict[str, int]:
    if not urls:
        return {}
    rows = (
        Article.objects.published()
        .filter(external_url__in=urls)
        .values_list("external_url", "discussion__comment_count")
    )
    return {url: count or 0 for url, count in rows}


@router.get(
    "",
    response=answers({200: Counts}),
    summary="Comment counts of many pages at once",
    url_name="counts",
)
def comment_counts(
    request,
    slug: list[str] = Query(default_factory=list),
    url: list[str] = Query(default_factory=list),
):
    require(request, READ)
    slugs = list(dict.fromkeys(slug))
    urls = list(dict.fromkeys(url))
    maximum = settings.BROADSHEET_API_COUNTS_MAX
    if len(slugs) + len(urls) > maximum:
        raise invalid(
            "/query",
            "too_many",
            _("Ask for at most %(count)d pages at once.") % {"count": maximum},
        )
    for index, value in enumerate(slugs):
        if not slug_re.fullmatch(value) or len(value) > 120:
            raise invalid(
                f"/query/slug/{index}",
                "bad_slug",
                _("An article name may hold only letters, digits, - and _."),
            )
    for index, value in enumerate(urls):
        no_nul(f"/query/url/{index}", value)
        if len(value) > MAX_URL_LENGTH or not value.startswith(("http://", "https://")):
            raise invalid(f"/query/url/{index}", "bad_url", _("A page address is an http(s) URL."))
    counts = {found_slug: count for _pk, found_slug, count in list_comment_counts(slugs)}
    return {"slugs": counts, "urls": _url_counts(urls)}
