"""Reads of discussions, shaped for pages: a fixed number of queries per page.

A page of a discussion is a run of top-level comments in the chosen order, each
followed by its replies in thread order (depth first). Pages are cut with a
cursor on the sort key, never with OFFSET, so page 100 of a 10,000-comment
thread costs what page 1 does; a thread's replies are capped per page (the
rest are one "more replies" link away) so one busy thread cannot make a page
unbounded.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber

from broadsheet.articles.models import Article, language_name
from broadsheet.articles.queries import EditionFamily
from broadsheet.discussion.models import Comment, Vote

SORTS = ("oldest", "newest", "best")


@dataclass
class DiscussionPage:
    sort: str
    comments: list[Comment]
    # Cursors for the neighbouring pages, as query-string values, or None.
    previous_cursor: str | None = None
    next_cursor: str | None = None
    # thread number -> replies of that thread not shown on this page
    more_replies: dict[int, int] = field(default_factory=dict)
    thread: int | None = None  # set when the page shows one thread only
    quoting: str | None = None  # set when the page lists the quotes of one paragraph


def _roots_per_page() -> int:
    return settings.BROADSHEET_COMMENTS_PER_PAGE


def _replies_per_thread() -> int:
    return settings.BROADSHEET_REPLIES_PER_THREAD


def _parse_int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _best_cursor(comment: Comment) -> str:
    return f"{comment.score}_{comment.number}"


def _parse_best_cursor(value: str | None) -> tuple[int, int] | None:
    try:
        score, number = (value or "").split("_")
        return int(score), int(number)
    except ValueError:
        return None


def _roots_page(
    article: Article, sort: str, cursor: str | None, viewer=None
) -> tuple[list, str | None, str | None]:
    size = _roots_per_page()
    roots = Comment.objects.for_article(article).visible_to(viewer).roots().shown_on_page()
    previous_cursor = None
    if sort == "newest":
        start = _parse_int(cursor)
        page_query = roots.filter(number__lte=start) if start else roots
        rows = list(page_query.order_by("-number")[: size + 1])
        if start:
            before = list(
                roots.filter(number__gt=start)
                .order_by("number")
                .values_list("number", flat=True)[:size]
            )
            previous_cursor = str(before[-1]) if before else None
        next_cursor = str(rows[size].number) if len(rows) > size else None
    elif sort == "best":
        start = _parse_best_cursor(cursor)
        page_query = roots
        if start:
            score, number = start
            page_query = roots.filter(Q(score__lt=score) | Q(score=score, number__gte=number))
            before = list(
                roots.filter(Q(score__gt=score) | Q(score=score, number__lt=number))
                .order_by("score", "-number")
                .values_list("score", "number")[:size]
            )
            previous_cursor = f"{before[-1][0]}_{before[-1][1]}" if before else None
        rows = list(page_query.order_by("-score", "number")[: size + 1])
        next_cursor = _best_cursor(rows[size]) if len(rows) > size else None
    else:
        start = _parse_int(cursor) or 1
        rows = list(roots.filter(number__gte=start).order_by("number")[: size + 1])
        if start > 1:
            before = list(
                roots.filter(number__lt=start)
                .order_by("-number")
                .values_list("number", flat=True)[:size]
            )
            previous_cursor = str(before[-1]) if before else None
        next_cursor = str(rows[size].number) if len(rows) > size else None
    return rows[:size], previous_cursor, next_cursor


def _replies_of(article: Article, threads: list[int], viewer=None) -> list[Comment]:
    if not threads:
        return []
    ranked = (
        Comment.objects.for_article(article)
        .visible_to(viewer)
        .filter(thread__in=threads)
        # Replies are the comments of those threads other than the threads' first
        # comments. Said this way rather than depth > 0, which led SQLite to walk
        # every reply of the article (index comment_roots_best: 10 ms at 100,000
        # comments) instead of only these threads (comment_thread_order: 1.5 ms).
        .exclude(number=F("thread"))
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("thread")], order_by=F("path").asc()),
            parent_number=F("parent__number"),
        )
        .filter(rank__lte=_replies_per_thread())
        .shown_on_page()
        .order_by("thread", "path")
    )
    return list(ranked)


def list_discussion_page(
    article: Article, *, sort: str = "oldest", cursor: str | None = None, viewer=None
) -> DiscussionPage:
    """One page of the discussion: top-level comments in `sort` order with their replies."""
    sort = sort if sort in SORTS else "oldest"
    roots, previous_cursor, next_cursor = _roots_page(article, sort, cursor, viewer)
    replies = _replies_of(article, [root.number for root in roots], viewer)
    by_thread: dict[int, list[Comment]] = {}
    for reply in replies:
        by_thread.setdefault(reply.thread, []).append(reply)
    comments: list[Comment] = []
    more: dict[int, int] = {}
    for root in roots:
        comments.append(root)
        shown = by_thread.get(root.number, [])
        comments.extend(shown)
        if root.reply_count > len(shown):
            more[root.number] = root.reply_count - len(shown)
            (shown or [root])[-1].more_replies_after = more[root.number]
    return DiscussionPage(sort, comments, previous_cursor, next_cursor, more)


def list_thread_page(
    article: Article, *, thread: int, from_path: str = "", viewer=None
) -> DiscussionPage:
    """One thread in reply order, from its top comment or from a given place in it."""
    size = _roots_per_page()
    in_thread = (
        Comment.objects.for_article(article)
        .visible_to(viewer)
        .filter(thread=thread)
        .shown_on_page()
        .annotate(parent_number=F("parent__number"))
    )
    rows = list(in_thread.filter(path__gte=from_path).order_by("path")[: size + 1])
    comments = rows[:size]
    next_cursor = rows[size].path if len(rows) > size else None
    if from_path:
        before = list(
            in_thread.filter(path__lt=from_path)
            .order_by("-path")
            .values_list("path", flat=True)[:size]
        )
        previous_cursor = before[-1] if before else None
    else:
        previous_cursor = None
    return DiscussionPage("oldest", comments, previous_cursor, next_cursor, {}, thread=thread)


def list_quotes_of_paragraph(
    article: Article, *, anchor: str, same_paragraph: set[str] | None = None
) -> DiscussionPage:
    """The comments that quote one paragraph of the article, in number order; with
    editions, `same_paragraph` holds that paragraph's anchor in each of them."""
    comments = list(
        Comment.objects.for_article(article)
        .live()
        .filter(quote_anchor__in=sorted(same_paragraph or {anchor}))
        .shown_on_page()
        .annotate(parent_number=F("parent__number"))
        .order_by("number")[: _roots_per_page()]
    )
    return DiscussionPage("oldest", comments, quoting=anchor)


@dataclass(frozen=True)
class CommentLocation:
    """Where a permalink lands: a discussion page cursor, or a place in a thread."""

    cursor: str | None = None
    thread: int | None = None
    from_path: str = ""


def locate_comment(article: Article, comment: Comment) -> CommentLocation:
    """The page a permalink shows: n's thread with up to half a page of context above.

    In a small discussion that is simply the first page, so a reader who has just
    posted sees their comment among the others, not alone on a page of its own.
    """
    if comment.depth > 0:
        earlier = (
            Comment.objects.for_article(article)
            .filter(thread=comment.thread, depth__gt=0, path__lt=comment.path)
            .count()
        )
        if earlier >= _replies_per_thread():
            return CommentLocation(thread=comment.thread, from_path=comment.path)
    context = _roots_per_page() // 2
    before = list(
        Comment.objects.for_article(article)
        .roots()
        .filter(number__lt=comment.thread)
        .order_by("-number")
        .values_list("number", flat=True)[:context]
    )
    if len(before) < context:
        return CommentLocation(cursor="1")
    return CommentLocation(cursor=str(before[-1]))


def attach_reader_state(
    page: DiscussionPage, article: Article, reader, family: EditionFamily | None = None
) -> None:
    """Mark each comment with the reader's own vote, and present it on this page:
    its quote of the article (still current? which paragraph of this edition?)
    and its language (see present_on_page)."""
    votes: dict[int, int] = {}
    if reader.is_authenticated and page.comments:
        votes = dict(
            Vote.objects.filter(
                voter=reader, comment_id__in=[c.pk for c in page.comments]
            ).values_list("comment_id", "value")
        )
    for comment in page.comments:
        comment.my_vote = votes.get(comment.pk, 0)
        present_on_page(comment, article, family)


def present_on_page(comment: Comment, page: Article, family: EditionFamily | None) -> None:
    """What a comment shows on the page of `page` (an article or one of its editions):

    - `quote_is_current`: the quoted paragraph is still in the edition it quoted;
    - `quote_page_anchor`: the paragraph of this page it points to (the aligned
      one when it quoted another edition; None when none aligns);
    - `quote_edition_name`: the quoted edition's language, named in itself, when
      it is not this page's;
    - `language_name`: the comment's language, named in itself, when it is not
      this page's.
    """
    page_language = page.language
    comment_language = comment.language or (family.original.language if family else "")
    comment.language_name = (
        language_name(comment_language)
        if comment_language and comment_language != page_language
        else ""
    )
    comment.quote_page_anchor = None
    comment.quote_edition_name = ""
    if not comment.quote_anchor:
        comment.quote_is_current = False
        return
    if family is None:
        comment.quote_is_current = comment.quote_anchor in page.paragraphs
        comment.quote_page_anchor = comment.quote_anchor if comment.quote_is_current else None
        return
    quoted = family.quoted_language(comment.quote_language)
    comment.quote_is_current = family.has_anchor(quoted, comment.quote_anchor)
    if comment.quote_is_current:
        comment.quote_page_anchor = family.anchor_on(
            page, anchor=comment.quote_anchor, language=quoted
        )
    if quoted != page_language:
        comment.quote_edition_name = language_name(quoted)


def list_comments_by_reader(reader, *, limit: int = 50) -> list[Comment]:
    return list(
        Comment.objects.filter(author=reader, article__in=Article.objects.published())
        .live()
        .select_related("article")
        .order_by("-created_at", "-id")[:limit]
    )


def list_comment_counts(slugs: list[str]) -> list[tuple[int, str, int]]:
    """(article id, slug, comments shown) for the published articles among `slugs`;
    an edition counts its original's discussion (and is named by the original's id,
    whose changes are the discussion's)."""
    rows = (
        Article.objects.published()
        .filter(slug__in=slugs)
        .values_list(
            "pk",
            "slug",
            "discussion__comment_count",
            "translation_of_id",
            "translation_of__discussion__comment_count",
        )
    )
    return [
        (original or pk, slug, (edition_count if original else count) or 0)
        for pk, slug, count, original, edition_count in rows
    ]


def list_newest_comments_of_article(article: Article, *, limit: int) -> list[Comment]:
    """The article's newest comments that everyone sees (no held, rejected or
    deleted ones), with their authors: its comments feed."""
    return list(
        Comment.objects.for_article(article).live().with_authors().order_by("-number")[:limit]
    )


def list_replies_to_reader(reader, *, limit: int) -> list[Comment]:
    """The newest replies by others to the reader's comments that everyone sees,
    on published articles, with their authors and articles: the replies feed."""
    return list(
        Comment.objects.filter(parent__author=reader, article__in=Article.objects.published())
        .live()
        .exclude(author=reader)
        .select_related("author", "article", "parent")
        .order_by("-created_at", "-id")[:limit]
    )
