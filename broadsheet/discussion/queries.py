"""Reads of discussions, shaped for pages: a fixed number of queries per page."""

from dataclasses import dataclass

from django.conf import settings

from broadsheet.articles.models import Article
from broadsheet.discussion.models import Comment


@dataclass(frozen=True)
class CommentPage:
    comments: list[Comment]
    # First number on the previous / next page, or None at either end.
    previous_from: int | None
    next_from: int | None


def list_comments_for_page(
    article, *, from_number: int = 1, size: int | None = None
) -> CommentPage:
    """One page of an article's comments in number order, cut by number, not OFFSET.

    Cutting by number keeps a page of a 10,000-comment thread as cheap as the
    first page (an index range scan on (article, number)) and keeps a
    permalink's page stable while new comments arrive.
    """
    size = size or settings.BROADSHEET_COMMENTS_PER_PAGE
    from_number = max(1, from_number)
    rows = list(
        Comment.objects.for_article(article)
        .with_authors()
        .filter(number__gte=from_number)
        .order_by("number")[: size + 1]
    )
    comments = rows[:size]
    next_from = rows[size].number if len(rows) > size else None
    previous_from = None
    if from_number > 1:
        previous = list(
            Comment.objects.for_article(article)
            .filter(number__lt=from_number)
            .order_by("-number")
            .values_list("number", flat=True)[:size]
        )
        previous_from = previous[-1] if previous else None
    return CommentPage(comments=comments, previous_from=previous_from, next_from=next_from)


def page_start_for_number(article, number: int, *, size: int | None = None) -> int:
    """The `from` number of the page (as the first page is cut) holding comment `number`."""
    size = size or settings.BROADSHEET_COMMENTS_PER_PAGE
    before = Comment.objects.for_article(article).filter(number__lt=number).count()
    first_on_page_index = (before // size) * size
    if first_on_page_index == 0:
        return 1
    return (
        Comment.objects.for_article(article)
        .order_by("number")
        .values_list("number", flat=True)[first_on_page_index]
    )


def list_comments_by_reader(reader, *, limit: int = 50) -> list[Comment]:
    return list(
        Comment.objects.filter(author=reader, article__in=Article.objects.published())
        .select_related("article")
        .order_by("-created_at", "-id")[:limit]
    )
