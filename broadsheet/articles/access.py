from datetime import datetime

from django.http import Http404
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.discussion.models import Discussion
from broadsheet.prepared import prepared_rows

_ARTICLE_COLUMNS = tuple(field.attname for field in Article._meta.concrete_fields)
_DISCUSSION_COLUMNS = tuple(field.attname for field in Discussion._meta.concrete_fields)
# An article, its original (an edition's), and the discussion of each: what
# select_related("discussion", "translation_of", "translation_of__discussion") reads.
_PAGE_COLUMNS = (
    *_ARTICLE_COLUMNS,
    *(f"translation_of__{name}" for name in _ARTICLE_COLUMNS),
    *(f"discussion__{name}" for name in _DISCUSSION_COLUMNS),
    *(f"translation_of__discussion__{name}" for name in _DISCUSSION_COLUMNS),
)


def _visible_article_query(*, slug: str, now: datetime):
    return Article.objects.published(now=now).filter(slug=slug).values_list(*_PAGE_COLUMNS)


def get_visible_article_or_404(slug: str) -> Article:
    """The article a reader may see under this slug; a draft is as missing as a typo.
    With its discussion, and an edition with its original and the original's."""
    rows = prepared_rows(_visible_article_query, values={"slug": slug, "now": timezone.now()})
    if not rows:
        raise Http404("No article matches the given query.")
    article_end = len(_ARTICLE_COLUMNS)
    original_end = 2 * article_end
    discussion_end = original_end + len(_DISCUSSION_COLUMNS)
    row = rows[0]
    article = _with_discussion(row[:article_end], row[original_end:discussion_end])
    original = None
    if article.translation_of_id is not None:
        original = _with_discussion(row[article_end:original_end], row[discussion_end:])
    Article._meta.get_field("translation_of").set_cached_value(article, original)
    return article


def _with_discussion(article_values: tuple, discussion_values: tuple) -> Article:
    # As select_related builds them: a missing discussion is cached as None, so
    # reading it raises RelatedObjectDoesNotExist instead of making a query.
    article = Article.from_db("default", _ARTICLE_COLUMNS, article_values)
    discussion = None
    if discussion_values[0] is not None:
        discussion = Discussion.from_db("default", _DISCUSSION_COLUMNS, discussion_values)
        Discussion._meta.get_field("article").set_cached_value(discussion, article)
    Article._meta.get_field("discussion").set_cached_value(article, discussion)
    return article


# An article's text and the translation state of its paragraphs: a page shows them,
# posting under it reads none of them.
_TEXT_FIELDS = ("lead", "body_markdown", "body_html", "alignment_fixes")


_POSTING_COLUMNS = tuple(name for name in _ARTICLE_COLUMNS if name not in _TEXT_FIELDS)


def _article_to_post_under_query(*, slug: str, now: datetime):
    return Article.objects.published(now=now).filter(slug=slug).values_list(*_POSTING_COLUMNS)


def get_article_to_post_under_or_404(slug: str) -> Article:
    """The article a reader may see under this slug, with what posting a comment
    under it reads: not its text (deferred: read if asked for), nor its
    discussion's counters (posting locks and reads the discussion row itself),
    nor its original (an edition's `translation_of` is read when used: the query
    without a join costs every other post less). A prepared read: building the
    queryset cost a post more CPU than running it (docs/posting.md, round 3)."""
    rows = prepared_rows(_article_to_post_under_query, values={"slug": slug, "now": timezone.now()})
    if not rows:
        raise Http404("No article matches the given query.")
    return Article.from_db("default", _POSTING_COLUMNS, rows[0])
