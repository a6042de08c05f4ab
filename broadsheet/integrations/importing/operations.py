"""Write operations of the importers: the only code here that creates rows.

Every row goes through its own app's operations (articles.save_article and
open_external_page, readers.create_imported_author, discussion.post_history);
what is written here is the bookkeeping that makes an import idempotent
(ImportedRecord) and the hand-over of imported comments to the reader who
claims them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from broadsheet.articles.models import Article
from broadsheet.articles.operations import open_external_page, save_article
from broadsheet.discussion.models import Comment
from broadsheet.discussion.operations import HistoricalComment, post_history, transfer_comments
from broadsheet.integrations.models import ImportedRecord
from broadsheet.moderation.audit import audit
from broadsheet.readers import identity
from broadsheet.readers.models import Reader
from broadsheet.readers.operations import create_imported_author, retire_claimed_author


@dataclass
class ImportReport:
    """What an import did, counted as it goes; the command prints it at the end."""

    source: str
    threads_in_file: int = 0
    comments_in_file: int = 0
    threads_to_articles: int = 0  # matched an article here (by address, slug, or --map)
    articles_created: int = 0  # WordPress posts published as articles
    threads_to_external_pages: int = 0  # matched nothing: an external page's discussion
    threads_already_imported: int = 0
    comments_imported: int = 0
    comments_already_imported: int = 0
    held_as_spam: int = 0
    held_as_unapproved: int = 0
    deleted_placeholders: int = 0
    replies_placed_at_top: int = 0  # their parent is not in the export (or was skipped)
    readers_created: int = 0
    guests_created: int = 0
    authors_matched_to_readers: int = 0  # a verified address of a reader here
    notes: Counter = field(default_factory=Counter)  # imported, but with a fix-up
    skipped: Counter = field(default_factory=Counter)  # not imported, and why


@dataclass(frozen=True)
class AuthorClaim:
    """Who wrote an imported comment, reduced to what finds or makes their account."""

    record_key: str  # the ImportedRecord key of the author within the source
    name: str
    handle_hint: str
    email: str
    is_guest: bool


def find_imported(*, source: str, kind: str, external_ids: list[str]) -> dict[str, int]:
    """external id -> object id for the records of a source already imported."""
    found: dict[str, int] = {}
    for start in range(0, len(external_ids), 500):
        chunk = external_ids[start : start + 500]
        found.update(
            ImportedRecord.objects.filter(
                source=source, kind=kind, external_id__in=chunk
            ).values_list("external_id", "object_id")
        )
    return found


def remember_imported(*, source: str, kind: str, pairs: list[tuple[str, int]]) -> None:
    ImportedRecord.objects.bulk_create(
        [
            ImportedRecord(source=source, kind=kind, external_id=external_id, object_id=object_id)
            for external_id, object_id in pairs
        ],
        batch_size=500,
    )


@transaction.atomic
def author_for(
    *, source: str, claim: AuthorClaim, joined: datetime, report: ImportReport
) -> Reader:
    """The account an imported comment is shown under: the one an earlier run made,
    a reader here who verified the same address, or a new imported account."""
    known = find_imported(
        source=source, kind=ImportedRecord.Kind.AUTHOR, external_ids=[claim.record_key]
    )
    reader = None
    if known:
        reader = Reader.objects.filter(pk=known[claim.record_key]).first()
    if reader is None and claim.email:
        reader = Reader.objects.filter(
            email__iexact=claim.email.strip(), email_verified_at__isnull=False
        ).first()
        if reader is not None:
            report.authors_matched_to_readers += 1
    if reader is None:
        reader = create_imported_author(
            source=source,
            name=claim.name,
            handle_hint=claim.handle_hint,
            email=claim.email,
            is_guest=claim.is_guest,
            joined=joined,
        )
        if claim.is_guest:
            report.guests_created += 1
        else:
            report.readers_created += 1
    if not known:
        remember_imported(
            source=source, kind=ImportedRecord.Kind.AUTHOR, pairs=[(claim.record_key, reader.pk)]
        )
    return reader


@transaction.atomic
def publish_imported_article(
    *,
    source: str,
    thread_id: str,
    slug: str,
    title: str,
    body_markdown: str,
    byline: str,
    published_at: datetime | None,
) -> Article:
    """A post of the exported site (WordPress) published here as an article."""
    article, _created = save_article(
        slug=slug,
        title=title,
        body_markdown=body_markdown,
        byline=byline,
        published_at=published_at,
    )
    remember_imported(
        source=source, kind=ImportedRecord.Kind.THREAD, pairs=[(thread_id, article.pk)]
    )
    return article


@transaction.atomic
def attach_thread(
    *,
    source: str,
    thread_id: str,
    article: Article | None = None,
    external_url: str = "",
    title: str = "",
    opened_at: datetime | None = None,
) -> Article:
    """Remember which discussion a thread of the export became: an article's, or an
    external page's (opened now if this address has none yet)."""
    if article is None:
        article = open_external_page(url=external_url, title=title, opened_at=opened_at)
    remember_imported(
        source=source, kind=ImportedRecord.Kind.THREAD, pairs=[(thread_id, article.pk)]
    )
    return article


@transaction.atomic
def import_thread_comments(
    *, source: str, article: Article, comments: list[tuple[str, HistoricalComment]]
) -> list[Comment]:
    """Post one thread's new comments, with the records that say they were imported:
    the whole thread commits together, or not at all."""
    made = post_history(article=article, entries=[entry for _id, entry in comments])
    remember_imported(
        source=source,
        kind=ImportedRecord.Kind.COMMENT,
        pairs=[
            (external_id, comment.pk)
            for (external_id, _e), comment in zip(comments, made, strict=True)
        ],
    )
    return made


def record_import_run(*, source: str, file_name: str, report: ImportReport) -> None:
    audit(
        actor=None,
        action="comments.imported",
        target=f"{source} {file_name}"[:200],
        reason=(
            f"{report.comments_imported} comments imported in "
            f"{report.threads_to_articles + report.threads_to_external_pages} threads; "
            f"{sum(report.skipped.values())} skipped"
        ),
    )


@transaction.atomic
def claim_imported_comments(*, reader: Reader) -> int:
    """Hand the comments imported under a reader's now verified address to them.

    Called once an address is verified (readers.operations.on_address_verified):
    every imported account (not a guest) whose kept hash is this address's gives
    its comments and rating to the reader and can never be claimed again.
    Returns how many comments changed hands.
    """
    wanted = identity.imported_email_hash(reader.email)
    if not wanted:
        return 0
    moved = 0
    for imported in Reader.objects.filter(claim_email_hash=wanted, is_guest=False).exclude(
        pk=reader.pk
    ):
        count = transfer_comments(from_author=imported, to_author=reader)
        retire_claimed_author(imported=imported, claimed_by=reader)
        audit(
            actor=reader,
            action="comments.claimed",
            target=f"reader {imported.handle}",
            reason=f"{count} imported comments claimed by verifying the same address",
        )
        moved += count
    return moved
