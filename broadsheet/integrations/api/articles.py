"""/api/v1/articles: the published articles, newest first, and one with its editions."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Query, Router

from broadsheet.articles.models import Article
from broadsheet.articles.queries import get_edition_family
from broadsheet.integrations.api.auth import READ, require
from broadsheet.integrations.api.common import answers, page_size, visible_article
from broadsheet.integrations.api.presenting import present_article
from broadsheet.integrations.api.problems import invalid
from broadsheet.integrations.api.schemas import ArticleDetail, ArticlePage

router = Router(tags=["articles"])


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def _cursor(article: Article) -> str:
    # Microseconds since the epoch, exactly, then the id: nothing a URL must escape.
    return f"{(article.published_at - EPOCH) // MICROSECOND}_{article.pk}"


def _parse_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        micros, _sep, pk = cursor.partition("_")
        if len(micros) > 18 or len(pk) > 18:
            raise ValueError(cursor)
        return EPOCH + int(micros) * MICROSECOND, int(pk)
    except (ValueError, OverflowError):
        raise invalid("/query/cursor", "bad_cursor", _("This cursor is not one we gave.")) from None


@router.get("", response=answers({200: ArticlePage}), summary="Published articles, newest first")
def list_articles(request, cursor: str = Query("", max_length=80), limit: int = Query(20, ge=1)):
    require(request, READ)
    size = page_size(limit, settings.BROADSHEET_API_PAGE_SIZE)
    articles = (
        Article.objects.originals().select_related("discussion").order_by("-published_at", "-id")
    )
    if cursor:
        moment, pk = _parse_cursor(cursor)
        articles = articles.filter(Q(published_at__lt=moment) | Q(published_at=moment, id__lte=pk))
    rows = list(articles[: size + 1])
    next_cursor = None
    if len(rows) > size:
        last = rows[size]
        next_cursor = _cursor(last)
    return {"items": [present_article(a) for a in rows[:size]], "next_cursor": next_cursor}


@router.get(
    "/{slug}", response=answers({200: ArticleDetail}), summary="An article and its editions"
)
def get_article(request, slug: str):
    require(request, READ)
    article = visible_article(slug)
    family = get_edition_family(article)
    editions = [
        {
            "slug": member.slug,
            "language": member.language,
            "title": member.title,
            "url": member.get_absolute_url(),
        }
        for member in family.published
    ]
    return {
        **present_article(article),
        "editions": editions,
        "languages": [edition["language"] for edition in editions],
    }
