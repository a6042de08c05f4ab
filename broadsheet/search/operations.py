"""Write operations of search: the only code that writes the search index.

Called by the write operations that change a text or who may see it (posting,
editing, deleting, moderating a comment; saving an article), inside their
transaction, so the index changes when the text does and never shows a word
that is gone. A deleted article takes its entries with it (foreign keys).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps as installed_apps
from django.db import transaction

from broadsheet.prepared import insert_row
from broadsheet.search import text
from broadsheet.search.backends import current_backend
from broadsheet.search.models import SearchEntry


@dataclass(frozen=True)
class CommentWords:
    """What a comment's search entry holds of its words (comment_words)."""

    language: str
    text: str
    terms: str


def comment_words(*, body_html: str, article) -> CommentWords:
    """The search entry's words of a comment with this HTML under `article`: its
    plain text, the language of its letters and the terms the backend stores.
    Pure work on the text, so a post does it before its write transaction
    (docs/posting.md, round 4); index_new_comment stores it."""
    return _words(text.plain_text(body_html), article, current_backend())


def _words(plain: str, article, backend) -> CommentWords:
    return CommentWords(
        language=text.language_of(plain, article.language),
        text=plain,
        terms=backend.terms_to_store(plain),
    )


def _comment_fields(
    comment, article, backend, plain: str | None = None, words: CommentWords | None = None
) -> dict:
    if words is None:
        plain = text.plain_text(comment.body_html) if plain is None else plain
        words = _words(plain, article, backend)
    return {
        "kind": SearchEntry.Kind.COMMENT,
        "article_id": article.pk,
        "number": comment.number,
        "status": comment.status,
        "author_id": comment.author_id,
        "language": words.language,
        "created_at": comment.created_at,
        "title": "",
        "text": words.text,
        "terms": words.terms,
    }


def index_comment(*, comment) -> None:
    """Put a comment's current text and status into the index, or take it out if it
    is deleted (its words are erased: the index must not keep them)."""
    if comment.deleted_at is not None:
        unindex_comment(comment=comment)
        return
    fields = _comment_fields(comment, comment.article, current_backend())
    SearchEntry.objects.update_or_create(comment_id=comment.pk, defaults=fields)


def index_new_comment(*, comment, words: CommentWords | None = None) -> None:
    """Index a comment just posted, in its transaction: one INSERT (posting is a hot
    path; update_or_create would first look for a row that cannot be there).
    `words`, from comment_words with the comment's HTML, saves working them out
    here, under the transaction's locks."""
    fields = _comment_fields(comment, comment.article, current_backend(), words=words)
    insert_row(SearchEntry(comment_id=comment.pk, **fields))


def reassign_search_author(*, from_author, to_author) -> None:
    """Comments changed hands (a claim of imported comments): their entries follow."""
    SearchEntry.objects.filter(author=from_author).update(author=to_author)


def set_comment_search_status(*, comment) -> None:
    """A moderator's decision changed who may find the comment: record its status."""
    if comment.deleted_at is not None:
        unindex_comment(comment=comment)
        return
    updated = SearchEntry.objects.filter(comment_id=comment.pk).update(status=comment.status)
    if not updated:  # indexed before search existed and not since: index it now
        index_comment(comment=comment)


def unindex_comment(*, comment) -> None:
    """Take a comment out of the index, its words with it."""
    SearchEntry.objects.filter(comment_id=comment.pk).delete()


def index_article(*, article) -> None:
    """Put an article's headline, lead and text into the index. Drafts and scheduled
    articles are indexed too: who may find them is asked when searching, so an
    article scheduled for six o'clock is found from six o'clock on."""
    SearchEntry.objects.update_or_create(
        kind=SearchEntry.Kind.ARTICLE,
        article_id=article.pk,
        defaults=_article_fields(article, current_backend()),
    )


def _article_fields(article, backend) -> dict:
    body = text.plain_text(article.body_html)
    plain = f"{article.lead} {body}".strip()
    return {
        "number": 0,
        "status": "visible",
        "author_id": None,
        "language": article.language,
        # A draft has no time yet; it is not found before it has one.
        "created_at": article.published_at or article.created_at,
        "title": article.title,
        "text": plain,
        "terms": backend.terms_to_store(article.title, plain),
    }


def index_new_comments(*, article, comments: Iterable, batch_size: int = 2000) -> None:
    """Index comments inserted in bulk (insert_generated_comments), in batches; a text
    repeated across many comments is reduced to words and stems once."""
    backend = current_backend()
    plain_by_html: dict[str, str] = {}
    batch: list[SearchEntry] = []
    for comment in comments:
        plain = plain_by_html.get(comment.body_html)
        if plain is None:
            plain = plain_by_html.setdefault(comment.body_html, text.plain_text(comment.body_html))
        batch.append(
            SearchEntry(comment_id=comment.pk, **_comment_fields(comment, article, backend, plain))
        )
        if len(batch) >= batch_size:
            SearchEntry.objects.bulk_create(batch)
            batch = []
    if batch:
        SearchEntry.objects.bulk_create(batch)


@dataclass(frozen=True)
class Tables:
    """The models the rebuild reads and writes: the app's own, or a migration's
    historical ones (so the migration that fills the index keeps working after
    later migrations change these tables)."""

    article: type
    comment: type
    entry: type

    @classmethod
    def installed(cls) -> "Tables":
        return cls(
            installed_apps.get_model("articles", "Article"),
            installed_apps.get_model("discussion", "Comment"),
            SearchEntry,
        )


def rebuild_search_index(
    *, tables: Tables | None = None, backend=None, batch_size: int = 2000, progress=None
) -> int:
    """Index every article and every comment that is not deleted, again, in batches
    of `batch_size` rows, each in its own transaction: memory stays bounded and the
    site stays searchable while it runs (a batch replaces its own entries). Entries
    of comments deleted meanwhile are removed at the end. Returns the entries
    written. `progress(done)` is called after each batch."""
    tables = tables or Tables.installed()
    backend = backend or current_backend()
    written = 0
    for article in tables.article.objects.order_by("pk").iterator(chunk_size=batch_size):
        with transaction.atomic():
            tables.entry.objects.filter(article_id=article.pk, kind="article").delete()
            tables.entry.objects.create(
                kind="article", article_id=article.pk, **_article_fields(article, backend)
            )
        written += 1
    languages = dict(tables.article.objects.values_list("pk", "language"))
    after = 0
    # Keyset pagination by id, not OFFSET: each batch costs the same however far in.
    while True:
        comments = list(
            tables.comment.objects.filter(pk__gt=after, deleted_at__isnull=True)
            .order_by("pk")
            .only("pk", "article_id", "number", "status", "author_id", "created_at", "body_html")[
                :batch_size
            ]
        )
        if not comments:
            break
        after = comments[-1].pk
        entries = []
        for comment in comments:
            article = _ArticleLanguage(comment.article_id, languages.get(comment.article_id, "en"))
            entries.append(
                tables.entry(comment_id=comment.pk, **_comment_fields(comment, article, backend))
            )
        with transaction.atomic():
            tables.entry.objects.filter(comment_id__in=[c.pk for c in comments]).delete()
            tables.entry.objects.bulk_create(entries)
        written += len(entries)
        if progress is not None:
            progress(written)
    tables.entry.objects.filter(comment__deleted_at__isnull=False).delete()
    return written


@dataclass(frozen=True)
class _ArticleLanguage:
    pk: int
    language: str
