"""Reads of search: who may find what, the filters, and one page of results.

`search_entries` is the one place that decides what a search may show, so the
search page (and a later API) cannot show what the discussion page hides:
- everyone: published articles whose time has come, and the visible comments
  under them (not held, rejected or deleted; deleted ones are not in the index);
- a signed-in reader: their own held comments too, as the page shows them;
- a moderator: held and rejected comments too.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.safestring import SafeString

from broadsheet.articles.models import Article
from broadsheet.discussion.links import comment_url
from broadsheet.discussion.models import Comment
from broadsheet.moderation.access import is_moderator
from broadsheet.readers.models import Reader
from broadsheet.search import text
from broadsheet.search.backends import current_backend
from broadsheet.search.models import SearchEntry

# More words than this in one query are ignored: each is one more index lookup,
# and no one's search needs so many (the query's length is bounded too).
MAX_QUERY_WORDS = 12


@dataclass(frozen=True)
class SearchFilters:
    article_slug: str = ""
    author_handle: str = ""
    since: date | None = None
    until: date | None = None
    language: str = ""


@dataclass(frozen=True)
class SearchResult:
    kind: str
    url: str
    article_title: str
    article_url: str
    number: int
    author: Reader | None
    created_at: datetime
    status: str
    title: SafeString | str
    snippet: SafeString

    @property
    def is_comment(self) -> bool:
        return self.kind == SearchEntry.Kind.COMMENT

    @property
    def is_held(self) -> bool:
        return self.status == Comment.Status.PENDING

    @property
    def is_rejected(self) -> bool:
        return self.status == Comment.Status.REJECTED


@dataclass(frozen=True)
class SearchPage:
    results: list[SearchResult] = field(default_factory=list)
    page: int = 1
    has_next: bool = False
    first_position: int = 1  # the place of the page's first result in the whole list


def query_words(query: str) -> list[str]:
    """The words of a query the search looks for (at most MAX_QUERY_WORDS, each once)."""
    return list(dict.fromkeys(text.words(query)))[:MAX_QUERY_WORDS]


def search_entries(viewer, *, now: datetime | None = None) -> QuerySet:
    """The entries `viewer` (a reader or AnonymousUser) may find."""
    now = now or timezone.now()
    published = Q(article__status=Article.Status.PUBLISHED, article__published_at__lte=now)
    comments = Q(kind=SearchEntry.Kind.COMMENT)
    if not is_moderator(viewer):
        own_held = (
            Q(status=Comment.Status.PENDING, author=viewer)
            if viewer.is_authenticated
            else Q(pk__in=[])
        )
        comments &= Q(status=Comment.Status.VISIBLE) | own_held
    return SearchEntry.objects.filter(published & (Q(kind=SearchEntry.Kind.ARTICLE) | comments))


def _filtered(entries: QuerySet, filters: SearchFilters) -> QuerySet:
    if filters.article_slug:
        entries = entries.filter(article__slug=filters.article_slug)
    if filters.author_handle:
        # Articles have bylines, not accounts: an author filter finds comments only.
        entries = entries.filter(author__handle__iexact=filters.author_handle)
    if filters.language:
        entries = entries.filter(language=filters.language)
    zone = timezone.get_current_timezone()
    if filters.since:
        entries = entries.filter(created_at__gte=datetime.combine(filters.since, time(), zone))
    if filters.until:
        next_day = filters.until + timedelta(days=1)
        entries = entries.filter(created_at__lt=datetime.combine(next_day, time(), zone))
    return entries


def search(*, viewer, query: str, filters: SearchFilters, page: int = 1) -> SearchPage:
    """One page of what `viewer` may find for `query`, newest indexed first.

    Three queries whatever the page holds: the page of entries with their articles
    and authors (one more than a page, to know whether there is a next one), and
    for a signed-in reader the permission check Django caches.
    """
    words = query_words(query)
    if not words:
        return SearchPage(page=page)
    per_page = settings.BROADSHEET_SEARCH_RESULTS_PER_PAGE
    page = max(1, min(page, settings.BROADSHEET_SEARCH_MAX_PAGES))
    entries = current_backend().match(_filtered(search_entries(viewer), filters), words)
    start = (page - 1) * per_page
    rows = list(
        entries.select_related("article", "author").only(
            "kind",
            "number",
            "status",
            "created_at",
            "title",
            "text",
            "article__slug",
            "article__title",
            "author__handle",
            "author__display_name",
        )[start : start + per_page + 1]
    )
    query_stems = frozenset(text.stem(word) for word in words)
    results = [_result(entry, query_stems) for entry in rows[:per_page]]
    has_next = len(rows) > per_page and page < settings.BROADSHEET_SEARCH_MAX_PAGES
    return SearchPage(results=results, page=page, has_next=has_next, first_position=start + 1)


def _result(entry: SearchEntry, query_stems: frozenset[str]) -> SearchResult:
    article = entry.article
    article_url = article.get_absolute_url()
    is_comment = entry.kind == SearchEntry.Kind.COMMENT
    return SearchResult(
        kind=entry.kind,
        url=comment_url(article, entry.number) if is_comment else article_url,
        article_title=article.title,
        article_url=article_url,
        number=entry.number,
        author=entry.author if is_comment else None,
        created_at=entry.created_at,
        status=entry.status,
        title="" if is_comment else text.highlight(entry.title, query_stems, max_words=60),
        snippet=text.highlight(entry.text, query_stems),
    )
