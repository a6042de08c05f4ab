"""What every importer reads an export into: threads and their comments, in one shape.

A format's reader knows its own file and nothing of Broadsheet; the loader knows
Broadsheet and nothing of the formats. These records are the contract between
them. Everything in them came from an untrusted file: the loader bounds,
sanitizes and validates it all.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


class CommentState(enum.StrEnum):
    """What the other system said about a comment, mapped onto what Broadsheet shows."""

    PUBLISHED = "published"  # shown to everyone
    PENDING = "pending"  # awaiting moderation there: held for our moderators
    SPAM = "spam"  # marked spam there: held for our moderators, never public
    DELETED = "deleted"  # deleted there: a placeholder that keeps its number


class BodyFormat(enum.StrEnum):
    HTML = "html"  # Disqus, WordPress, Remark42 store rendered HTML
    MARKDOWN = "markdown"  # Isso stores what its reader typed
    TEXT = "text"


@dataclass(frozen=True)
class ImportedAuthor:
    """Who wrote a comment, as the export names them.

    `key` identifies the author within the source (a Disqus username, a
    Remark42 user id); empty when the export has only a name. An author with an
    email becomes an imported reader who can claim the comments later; one with
    neither key nor email becomes a named guest.
    """

    name: str
    email: str = ""
    key: str = ""
    url: str = ""


@dataclass(frozen=True)
class ImportedThread:
    """One discussion in the export: the page it was under."""

    source_id: str  # unique within the export
    url: str = ""
    identifier: str = ""  # a Disqus identifier, a WordPress post slug
    title: str = ""
    created_at: datetime | None = None
    # WordPress posts carry the article itself: the importer publishes it.
    article_body_html: str = ""
    article_slug: str = ""
    article_author: str = ""
    closed: bool = False


@dataclass(frozen=True)
class ImportedComment:
    source_id: str  # unique within the export
    thread_id: str  # the ImportedThread.source_id it belongs to
    author: ImportedAuthor
    body: str
    body_format: BodyFormat
    created_at: datetime | None
    parent_id: str = ""  # the source_id of the comment it answers; may come later in the file
    state: CommentState = CommentState.PUBLISHED
    score: int = 0
    extra: dict = field(default_factory=dict)


class ImportFileError(Exception):
    """The export cannot be read at all (not the format, unsafe XML, a broken
    database): the whole import stops before anything is written."""


@dataclass(frozen=True)
class SkippedRecord:
    """A record the reader could not use (no id, an unreadable field): the loader
    counts it under `reason` in the report and goes on."""

    reason: str
    source_id: str = ""


# What a format's reader yields. A reader is a function
#     read_export(path: Path, progress: Progress | None = None) -> Iterator[Record]
# that streams its file (bounded memory whatever its size), yields threads and
# comments in whatever order the file has them (a reply may come before the
# comment it answers, a comment before its thread), raises ImportFileError for a
# file it cannot read at all (before or while yielding: the import then stops),
# and calls progress(done, total) now and then, in bytes or rows.
Record = ImportedThread | ImportedComment | SkippedRecord
Progress = Callable[[int, int], None]
