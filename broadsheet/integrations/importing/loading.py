"""Running an import: read the export into staging, then move it in thread by thread.

    report = run_import("disqus", Path("export.xml"), mapping=Mapping.read(map_file))

Reading only parses (the format modules); writing only goes through operations.
This module decides: which discussion a thread belongs to, who wrote each
comment, in what order comments get their numbers, and what to skip and why.
"""

from __future__ import annotations

import copy
import csv
import importlib
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.discussion.models import Comment
from broadsheet.discussion.operations import HistoricalComment, check_historical_body
from broadsheet.discussion.refusals import CommentRejected
from broadsheet.integrations.importing import operations, text
from broadsheet.integrations.importing.records import (
    CommentState,
    ImportedComment,
    ImportedThread,
    ImportFileError,
    SkippedRecord,
)
from broadsheet.integrations.importing.staging import Staging
from broadsheet.integrations.models import ImportedRecord
from broadsheet.moderation import reasons
from broadsheet.moderation.reasons import Hold
from broadsheet.readers import identity

FORMATS = ("disqus", "wxr", "isso", "remark42")

# How many authors' accounts to remember between threads: enough that a regular
# commenter is looked up once, bounded so that a million authors do not stay in
# memory.
AUTHOR_CACHE_SIZE = 20_000
_ARTICLE_PATH = re.compile(r"^/articles/(?P<slug>[-a-zA-Z0-9_]+)/?$")


class Phase:
    """Callbacks for a progress display: a phase starts with a total (or None), then
    advances. The command shows them as bars; tests pass nothing."""

    def start(self, name: str, total: int | None) -> None: ...

    def advance(self, done: int, total: int | None = None) -> None: ...


@dataclass
class Mapping:
    """Addresses that changed: an old URL or identifier -> an article slug or a new URL
    (`--map FILE`, a CSV of two columns, or whitespace-separated lines)."""

    targets: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path | None) -> Mapping:
        if path is None:
            return cls()
        targets: dict[str, str] = {}
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                sample = handle.read(4096)
                handle.seek(0)
                rows = csv.reader(handle) if "," in sample else (line.split() for line in handle)
                for line_number, row in enumerate(rows, start=1):
                    row = [cell.strip() for cell in row if cell.strip()]
                    if not row or row[0].startswith("#"):
                        continue
                    if len(row) != 2:
                        raise ImportFileError(
                            f"{path}, line {line_number}: expected two columns "
                            "(old address or identifier, then an article slug or a new address)"
                        )
                    targets[_normalize(row[0])] = row[1]
        except (OSError, UnicodeDecodeError) as error:
            raise ImportFileError(f"Cannot read the map file {path}: {error}") from error
        return cls(targets)

    def target_for(self, thread: ImportedThread) -> str | None:
        for key in (thread.url, thread.identifier):
            if key and _normalize(key) in self.targets:
                return self.targets[_normalize(key)]
        return None


def _normalize(address: str) -> str:
    """One spelling for an address: no scheme, no "www.", no fragment, no trailing slash."""
    address = address.strip()
    parts = urlsplit(address)
    if not parts.netloc:
        return address.rstrip("/") or "/"
    host = parts.netloc.lower().removeprefix("www.")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{parts.path.rstrip('/')}{query}"


def read_format(source: str) -> Callable[..., Iterator]:
    if source not in FORMATS:
        raise ImportFileError(f"Unknown format “{source}”: one of {', '.join(FORMATS)}.")
    module = importlib.import_module(f"broadsheet.integrations.importing.{source}")
    return module.read_export


class _DryRun(Exception):
    """Raised at the end of a dry run to roll back everything it wrote."""


def run_import(
    source: str,
    path: Path,
    *,
    mapping: Mapping | None = None,
    base_url: str = "",
    dry_run: bool = False,
    phase: Phase | None = None,
) -> operations.ImportReport:
    """Import an export file; returns the report. Raises ImportFileError (nothing
    written) when the file cannot be read at all.

    A dry run does all the work inside one transaction and rolls it back, so its
    report is what a real run would do.
    """
    read = read_format(source)
    phase = phase or Phase()
    report = operations.ImportReport(source=source)
    if not path.is_file():
        raise ImportFileError(f"No such file: {path}")
    with Staging(directory=_scratch_dir()) as staging:
        _spool(read, path, staging, report, phase)
        loader = _Loader(
            source=source,
            mapping=mapping or Mapping(),
            base_url=base_url or settings.BROADSHEET_SITE_URL,
            report=report,
        )
        try:
            with transaction.atomic() if dry_run else nullcontext():
                _load(loader, staging, phase)
                operations.record_import_run(source=source, file_name=path.name, report=report)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
    return report


def _scratch_dir() -> Path:
    directory = Path(settings.DATA_DIR) / "tmp"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _spool(
    read, path: Path, staging: Staging, report: operations.ImportReport, phase: Phase
) -> None:
    phase.start("reading", path.stat().st_size)
    for record in read(path, progress=phase.advance):
        if isinstance(record, ImportedThread):
            report.threads_in_file += 1
            if not staging.add_thread(record):
                report.skipped["thread listed twice in the export"] += 1
        elif isinstance(record, ImportedComment):
            report.comments_in_file += 1
            if not staging.add_comment(record):
                report.skipped["comment listed twice in the export"] += 1
        elif isinstance(record, SkippedRecord):
            report.skipped[record.reason] += 1
    staging.finish()


def _load(loader: _Loader, staging: Staging, phase: Phase) -> None:
    phase.start("importing", staging.count_comments())
    done = 0
    for thread in staging.threads():
        comments = staging.comments_of(thread.source_id)
        loader.load_thread(thread, comments)
        done += len(comments)
        phase.advance(done)
    for thread_id in staging.orphan_thread_ids():
        count = staging.count_comments_of(thread_id)
        loader.report.skipped["comment of a thread the export does not describe"] += count
        done += count
        phase.advance(done)


@dataclass
class _Loader:
    source: str
    mapping: Mapping
    base_url: str
    report: operations.ImportReport
    _authors: OrderedDict = field(default_factory=OrderedDict)

    # --- threads -------------------------------------------------------------------

    def load_thread(self, thread: ImportedThread, comments: list[ImportedComment]) -> None:
        """Move one thread in: all of it commits, or (a record the database refuses)
        none of it, which is reported and left for the next run."""
        before = copy.deepcopy(self.report)
        try:
            with transaction.atomic():
                self._load_thread(thread, comments)
        except (ValidationError, CommentRejected, DatabaseError) as error:
            # Readers made inside the rolled-back transaction are gone: forget them.
            self._authors.clear()
            vars(self.report).update(vars(before))
            self.report.skipped["thread not imported: " + _short(error)] += len(comments)

    def _load_thread(self, thread: ImportedThread, comments: list[ImportedComment]) -> None:
        article = self._discussion_for(thread)
        if article is None:
            return
        fresh = self._not_yet_imported(comments)
        if not fresh:
            return
        entries = self._entries(thread, article, fresh)
        if entries:
            operations.import_thread_comments(source=self.source, article=article, comments=entries)
            self.report.comments_imported += len(entries)

    def _discussion_for(self, thread: ImportedThread) -> Article | None:
        report = self.report
        known = operations.find_imported(
            source=self.source, kind=ImportedRecord.Kind.THREAD, external_ids=[thread.source_id]
        )
        if known:
            article = Article.objects.filter(pk=known[thread.source_id]).first()
            if article is not None:
                report.threads_already_imported += 1
                return article
        url = self._absolute(thread.url)
        target = self.mapping.target_for(thread)
        if target is not None:
            article = Article.objects.filter(slug=target).first()
            if article is not None:
                return self._attach(thread, article)
            url = self._absolute(target)
        article = self._article_at(url) or self._article_with_slug(thread.identifier)
        if article is not None:
            return self._attach(thread, article)
        if thread.article_body_html and thread.article_slug:
            return self._publish(thread)
        if not url:
            report.skipped["thread without an address (give --map or --base-url)"] += 1
            return None
        try:
            article = operations.attach_thread(
                source=self.source,
                thread_id=thread.source_id,
                external_url=url,
                title=thread.title,
                opened_at=self._past(thread.created_at),
            )
        except ValidationError:
            report.skipped["thread whose address is not a web address"] += 1
            return None
        report.threads_to_external_pages += 1
        return article

    def _attach(self, thread: ImportedThread, article: Article) -> Article:
        operations.attach_thread(source=self.source, thread_id=thread.source_id, article=article)
        self.report.threads_to_articles += 1
        return article

    def _publish(self, thread: ImportedThread) -> Article:
        slug = thread.article_slug
        article = operations.publish_imported_article(
            source=self.source,
            thread_id=thread.source_id,
            slug=slug,
            title=" ".join(thread.title.split())[:300] or slug,
            body_markdown=text.html_to_markdown(
                text.wordpress_paragraphs(thread.article_body_html)
            ),
            byline=thread.article_author[:200],
            published_at=self._past(thread.created_at),
        )
        self.report.articles_created += 1
        return article

    def _absolute(self, address: str) -> str:
        address = address.strip()
        if not address:
            return ""
        if urlsplit(address).scheme:
            return address
        return urljoin(self.base_url.rstrip("/") + "/", address) if self.base_url else ""

    def _article_at(self, url: str) -> Article | None:
        if not url:
            return None
        found = Article.objects.filter(external_url=url).first()
        if found is not None:
            return found
        parts = urlsplit(url)
        own_host = urlsplit(self.base_url).netloc.lower()
        if own_host and parts.netloc.lower() != own_host:
            return None
        match = _ARTICLE_PATH.match(parts.path)
        return self._article_with_slug(match["slug"]) if match else None

    @staticmethod
    def _article_with_slug(slug: str) -> Article | None:
        if not slug or len(slug) > 120:
            return None
        return Article.objects.filter(slug=slug, external_url="").first()

    # --- comments ------------------------------------------------------------------

    def _not_yet_imported(self, comments: list[ImportedComment]) -> list[ImportedComment]:
        known = operations.find_imported(
            source=self.source,
            kind=ImportedRecord.Kind.COMMENT,
            external_ids=[c.source_id for c in comments],
        )
        self.report.comments_already_imported += len(known)
        return [c for c in comments if c.source_id not in known]

    def _entries(
        self, thread: ImportedThread, article: Article, comments: list[ImportedComment]
    ) -> list[tuple[str, HistoricalComment]]:
        """The thread's new comments as post_history entries, in numbering order:
        by time, a reply always after the comment it answers."""
        report = self.report
        fallback = self._past(thread.created_at) or timezone.now()
        usable: list[tuple[ImportedComment, datetime, str]] = []
        for comment in comments:
            posted_at = self._when(comment.created_at, fallback)
            body = ""
            if comment.state != CommentState.DELETED:
                try:
                    body = check_historical_body(
                        text.comment_markdown(comment.body, comment.body_format)
                    )
                except CommentRejected:
                    reason = (
                        "empty text" if not comment.body.strip() else "text over the length limit"
                    )
                    report.skipped[reason] += 1
                    continue
            usable.append((comment, posted_at, body))
        usable.sort(key=lambda item: item[1])  # stable: file order among equal times
        here = {comment.source_id for comment, _t, _b in usable}
        earlier = self._earlier_parents(usable, here)
        ordered = _parents_first(usable, here, earlier)
        positions: dict[str, int] = {}
        entries: list[tuple[str, HistoricalComment]] = []
        for comment, posted_at, body in ordered:
            reply_to: Comment | int | None = None
            if comment.parent_id:
                if comment.parent_id in positions:
                    reply_to = positions[comment.parent_id]
                elif comment.parent_id in earlier:
                    reply_to = earlier[comment.parent_id]
                else:
                    report.replies_placed_at_top += 1
            hold = None
            if comment.state == CommentState.SPAM:
                hold = Hold(reasons.IMPORTED_SPAM)
                report.held_as_spam += 1
            elif comment.state == CommentState.PENDING:
                hold = Hold(reasons.IMPORTED_UNAPPROVED)
                report.held_as_unapproved += 1
            elif comment.state == CommentState.DELETED:
                report.deleted_placeholders += 1
            positions[comment.source_id] = len(entries)
            entries.append(
                (
                    comment.source_id,
                    HistoricalComment(
                        author=self._author(comment, posted_at),
                        body=body,
                        posted_at=posted_at,
                        reply_to=reply_to,
                        hold=hold,
                        deleted=comment.state == CommentState.DELETED,
                        score=max(-(10**6), min(10**6, int(comment.score or 0))),
                    ),
                )
            )
        return entries

    def _earlier_parents(self, usable, here: set[str]) -> dict[str, Comment]:
        """Parents imported by an earlier run (a newer export of the same site)."""
        wanted = {c.parent_id for c, _t, _b in usable if c.parent_id and c.parent_id not in here}
        if not wanted:
            return {}
        ids = operations.find_imported(
            source=self.source, kind=ImportedRecord.Kind.COMMENT, external_ids=sorted(wanted)
        )
        by_pk = Comment.objects.in_bulk(list(ids.values()))
        return {external: by_pk[pk] for external, pk in ids.items() if pk in by_pk}

    def _when(self, when: datetime | None, fallback: datetime) -> datetime:
        if when is None:
            self.report.notes["date unreadable: the thread's date used"] += 1
            return fallback
        if timezone.is_naive(when):
            when = when.replace(tzinfo=UTC)
        if when > timezone.now() + timedelta(days=1):
            self.report.notes["date in the future: the import's date used"] += 1
            return timezone.now()
        return when

    def _past(self, when: datetime | None) -> datetime | None:
        if when is None:
            return None
        if timezone.is_naive(when):
            when = when.replace(tzinfo=UTC)
        return min(when, timezone.now())

    # --- authors -------------------------------------------------------------------

    def _author(self, comment: ImportedComment, posted_at: datetime):
        author = comment.author
        name = " ".join((author.name or "").split())[:200]
        email = author.email.strip()[:254] if "@" in author.email else ""
        key = author.key.strip()[:200]
        if key:
            record_key = f"key:{key}"
        elif email:
            record_key = f"email:{identity.imported_email_hash(email)}"
        else:
            record_key = f"guest:{name.lower()}"
        cached = self._authors.get(record_key)
        if cached is not None:
            self._authors.move_to_end(record_key)
            return cached
        reader = operations.author_for(
            source=self.source,
            claim=operations.AuthorClaim(
                record_key=record_key,
                name=name or key or "guest",
                handle_hint=key if key and not key.isdigit() else name,
                email=email,
                is_guest=not key and not email,
            ),
            joined=posted_at,
            report=self.report,
        )
        self._authors[record_key] = reader
        if len(self._authors) > AUTHOR_CACHE_SIZE:
            self._authors.popitem(last=False)
        return reader


def _short(error: Exception) -> str:
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message[:120]}"


def _parents_first(usable, here: set[str], earlier: dict) -> list:
    """Comments in time order, except that a reply never comes before the comment it
    answers (an export's clock can disagree with its threading): it waits for it."""
    placed: set[str] = set()
    waiting: dict[str, list] = {}
    ordered: list = []

    def place(item) -> None:
        stack = [item]
        while stack:
            current = stack.pop()
            ordered.append(current)
            placed.add(current[0].source_id)
            stack.extend(reversed(waiting.pop(current[0].source_id, [])))

    for item in usable:
        parent = item[0].parent_id
        if not parent or parent in placed or parent not in here:
            place(item)
        else:
            waiting.setdefault(parent, []).append(item)
    # What still waits answers a comment that (through a loop in the export) never
    # came: it goes last, at the top level.
    for items in waiting.values():
        ordered.extend(items)
    return ordered
