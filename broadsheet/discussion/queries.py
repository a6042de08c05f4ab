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
from django.db import connection
from django.db.models import F, Q
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL

from broadsheet.articles.models import Article, language_name
from broadsheet.articles.queries import EditionFamily
from broadsheet.discussion.models import PAGE_FIELDS, Comment, Vote
from broadsheet.prepared import prepared_rows
from broadsheet.readers.models import Reader

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


# Cursors are numbers a column holds; a longer one from outside is cut to the
# column's range (the same page: none is past it) rather than handed to a
# database driver that cannot bind it.
_LARGEST = 2**31 - 1


def _bounded(number: int) -> int:
    return max(-_LARGEST - 1, min(number, _LARGEST))


def _parse_int(value: str | None) -> int | None:
    try:
        return _bounded(int(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _best_cursor(comment: Comment) -> str:
    return f"{comment.score}_{comment.number}"


def _parse_best_cursor(value: str | None) -> tuple[int, int] | None:
    try:
        score, number = (value or "").split("_")
        return _bounded(int(score)), _bounded(int(number))
    except ValueError:
        return None


_COMMENT_COLUMNS = tuple(name for name in PAGE_FIELDS if not name.startswith("author__"))
_AUTHOR_COLUMNS = tuple(name for name in PAGE_FIELDS if name.startswith("author__"))
_AUTHOR_ATTRIBUTES = tuple(name.removeprefix("author__") for name in _AUTHOR_COLUMNS)


def _instance(model, names: tuple[str, ...], values, db: str):
    # What Model.from_db makes, without its per-field loop and the pre_init and
    # post_init signals: a page builds a hundred of these, and building them the
    # usual way cost more than the queries (docs/rendering.md). The columns left
    # out stay deferred, loaded on first use as with .only().
    instance = model.__new__(model)
    instance.__dict__.update(zip(names, values, strict=True))
    state = instance._state = ModelState()
    state.adding = False
    state.db = db
    return instance


def _page_rows(queryset, *annotations: str) -> list[Comment]:
    """The comments of `queryset` (filtered and ordered) with their authors, holding
    the columns of PAGE_FIELDS and `annotations`, as CommentQuerySet.shown_on_page
    would give them, built for a fraction of the cost."""
    rows = queryset.values_list(*_COMMENT_COLUMNS, *_AUTHOR_COLUMNS, *annotations)
    return _comments_from_rows(rows, annotations, queryset.db)


def _comments_from_rows(rows, annotations: tuple[str, ...], db: str) -> list[Comment]:
    comments = []
    authors = len(_COMMENT_COLUMNS) + len(_AUTHOR_COLUMNS)
    for row in rows:
        comment = _instance(Comment, _COMMENT_COLUMNS, row[: len(_COMMENT_COLUMNS)], db)
        author = _instance(Reader, _AUTHOR_ATTRIBUTES, row[len(_COMMENT_COLUMNS) : authors], db)
        comment._state.fields_cache["author"] = author
        for name, value in zip(annotations, row[authors:], strict=True):
            setattr(comment, name, value)
        comments.append(comment)
    return comments


def _prepared_page_rows(build, *, shape: dict, values: dict, annotations=()) -> list[Comment]:
    # The page's reads, compiled once per shape (broadsheet/prepared.py, ADR 0025).
    return _comments_from_rows(
        prepared_rows(build, shape=shape, values=values), annotations, "default"
    )


def _viewer_stand_in(signed_in: bool, viewer_id: int | None):
    """What visible_to needs of a viewer: signed in or not, and who."""
    return Reader(pk=viewer_id) if signed_in else None


def _viewer_values(viewer) -> tuple[dict, dict]:
    if viewer is not None and viewer.is_authenticated:
        return {"signed_in": True}, {"viewer_id": viewer.pk}
    return {"signed_in": False}, {}


def _roots_query(
    *, sort: str, size: int, after_cursor: bool, signed_in: bool, article_id: int,
    viewer_id: int | None = None, start: int | None = None, score: int | None = None,
):  # fmt: skip
    """The roots of a page: `size` + 1 of them (the last only says there is a next page)."""
    viewer = _viewer_stand_in(signed_in, viewer_id)
    roots = Comment.objects.for_article(Article(pk=article_id)).visible_to(viewer).roots()
    if sort == "newest":
        page = roots.filter(number__lte=start) if after_cursor else roots
        ordered = page.order_by("-number")
    elif sort == "best":
        page = roots
        if after_cursor:
            page = roots.filter(Q(score__lt=score) | Q(score=score, number__gte=start))
        ordered = page.order_by("-score", "number")
    else:
        ordered = roots.filter(number__gte=start).order_by("number")
    return ordered[: size + 1].values_list(*_COMMENT_COLUMNS, *_AUTHOR_COLUMNS)


def _roots_page(
    article: Article, sort: str, cursor: str | None, viewer=None
) -> tuple[list, str | None, str | None]:
    size = _roots_per_page()

    # For the neighbouring page's cursor only: built when a cursor is given.
    def roots():
        return Comment.objects.for_article(article).visible_to(viewer).roots()

    discussion_id = article.translation_of_id or article.pk
    shape, values = _viewer_values(viewer)
    previous_cursor = None
    if sort == "newest":
        start = _parse_int(cursor)
        rows = _prepared_page_rows(
            _roots_query,
            shape={**shape, "sort": sort, "size": size, "after_cursor": bool(start)},
            values={**values, "article_id": discussion_id, **({"start": start} if start else {})},
        )
        if start:
            before = list(
                roots()
                .filter(number__gt=start)
                .order_by("number")
                .values_list("number", flat=True)[:size]
            )
            previous_cursor = str(before[-1]) if before else None
        next_cursor = str(rows[size].number) if len(rows) > size else None
    elif sort == "best":
        start = _parse_best_cursor(cursor)
        if start:
            score, number = start
            before = list(
                roots()
                .filter(Q(score__gt=score) | Q(score=score, number__lt=number))
                .order_by("score", "-number")
                .values_list("score", "number")[:size]
            )
            previous_cursor = f"{before[-1][0]}_{before[-1][1]}" if before else None
        rows = _prepared_page_rows(
            _roots_query,
            shape={**shape, "sort": sort, "size": size, "after_cursor": bool(start)},
            values={
                **values,
                "article_id": discussion_id,
                **({"start": start[1], "score": start[0]} if start else {}),
            },
        )
        next_cursor = _best_cursor(rows[size]) if len(rows) > size else None
    else:
        start = _parse_int(cursor) or 1
        rows = _prepared_page_rows(
            _roots_query,
            shape={**shape, "sort": "oldest", "size": size, "after_cursor": True},
            values={**values, "article_id": discussion_id, "start": start},
        )
        if start > 1:
            before = list(
                roots()
                .filter(number__lt=start)
                .order_by("-number")
                .values_list("number", flat=True)[:size]
            )
            previous_cursor = str(before[-1]) if before else None
        next_cursor = str(rows[size].number) if len(rows) > size else None
    return rows[:size], previous_cursor, next_cursor


_FIRST_REPLIES = (
    "SELECT id FROM ("
    " SELECT id, ROW_NUMBER() OVER (PARTITION BY thread ORDER BY path) AS reply_rank"
    " FROM {table} WHERE article_id = %s AND thread IN ({threads})"
    # Replies: the comments of those threads other than their first comments.
    # Said this way rather than depth > 0, which led SQLite to walk every reply of
    # the article (index comment_roots_best: 10 ms at 100,000 comments) instead of
    # only these threads (comment_thread_order: 1.5 ms).
    " AND number <> thread"
    " AND (status <> %s{seen_by_author})"
    ") ranked WHERE reply_rank <= %s"
)


def _first_replies_sql(
    article_id: int, threads: list[int], viewer_pk: int | None, replies_per_thread: int
) -> RawSQL:
    """The ids of the first replies (in thread order) of each of `threads`, at most
    `replies_per_thread` (BROADSHEET_REPLIES_PER_THREAD) each, among the comments
    the viewer (`viewer_pk`, None when signed out) may see.

    Written as SQL because Django compiled the same window query, filtered on its
    row number, in about 2 ms, ten times as long as the database took to run it.
    Who sees what stays CommentQuerySet.visible_to's answer: the query that uses
    these ids filters with it again; this one only needs it to rank the same way.
    """
    table = connection.ops.quote_name(Comment._meta.db_table)
    # Only placeholders and our own table's name go into the text; values are parameters.
    sql = _FIRST_REPLIES.format(
        table=table,
        threads=", ".join(["%s"] * len(threads)),
        seen_by_author=" OR author_id = %s" if viewer_pk is not None else "",
    )
    params = [article_id, *threads, Comment.Status.PENDING]
    if viewer_pk is not None:
        params.append(viewer_pk)
    params.append(replies_per_thread)
    if connection.vendor == "postgresql":
        # Computed once, as an array: PostgreSQL planned `id IN (the window query)`
        # as a join that ran the window query again for each candidate row
        # (seconds for a 10,000-comment discussion). The vendor is part of every
        # prepared query's key (broadsheet/prepared.py).
        sql = f"SELECT unnest(ARRAY({sql}))"
    return RawSQL(sql, params)  # noqa: S611 (parameters, see above)


def _replies_query(
    *, signed_in: bool, article_id: int, threads: list[int], replies_per_thread: int,
    viewer_id: int | None = None,
):  # fmt: skip
    viewer = _viewer_stand_in(signed_in, viewer_id)
    first_replies = _first_replies_sql(article_id, threads, viewer_id, replies_per_thread)
    return (
        Comment.objects.for_article(Article(pk=article_id))
        .visible_to(viewer)
        .filter(thread__in=threads, pk__in=first_replies)
        .annotate(parent_number=F("parent__number"))
        # Put in order here rather than by the database: at most a page's worth of
        # rows, and an ORDER BY made Django compare each of the thirty selected
        # columns with the sort keys (a fifth of this query's cost).
        .order_by()
        .values_list(*_COMMENT_COLUMNS, *_AUTHOR_COLUMNS, "parent_number")
    )


def _replies_of(article: Article, threads: list[int], viewer=None) -> list[Comment]:
    if not threads:
        return []
    shape, values = _viewer_values(viewer)
    replies = _prepared_page_rows(
        _replies_query,
        shape=shape,
        values={
            **values,
            "article_id": article.translation_of_id or article.pk,
            "threads": threads,
            "replies_per_thread": _replies_per_thread(),
        },
        annotations=("parent_number",),
    )
    return sorted(replies, key=lambda c: (c.thread, c.path))


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
        .annotate(parent_number=F("parent__number"))
    )
    rows = _page_rows(
        in_thread.filter(path__gte=from_path).order_by("path")[: size + 1], "parent_number"
    )
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
    comments = _page_rows(
        Comment.objects.for_article(article)
        .live()
        .filter(quote_anchor__in=sorted(same_paragraph or {anchor}))
        .annotate(parent_number=F("parent__number"))
        .order_by("number")[: _roots_per_page()],
        "parent_number",
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
