"""Reads an Isso (0.14) SQLite database into the records of records.py.

Isso has no export format: its database is the export. The schema is Isso's own
(isso/db/threads.py and isso/db/comments.py, schema version 5):

    threads(id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256))
    comments(tid, id INTEGER PRIMARY KEY, parent INTEGER, created FLOAT NOT NULL,
             modified FLOAT, mode INTEGER, remote_addr, text NOT NULL, author,
             email, website, likes, dislikes, voters BLOB, notification)

The file came from elsewhere, so it is opened read-only with the schema
untrusted, and every value is checked for its type: SQLite lets any column hold
any type whatever the declaration says.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from broadsheet.integrations.importing.records import (
    BodyFormat,
    CommentState,
    ImportedAuthor,
    ImportedComment,
    ImportedThread,
    ImportFileError,
    Progress,
    Record,
    SkippedRecord,
)

MAX_TITLE = 300
MAX_NAME = 200
MAX_EMAIL = 320  # the longest address RFC 5321 allows
MAX_URL = 1000
MAX_ID = 100
MAX_BODY = 100_000

PROGRESS_EVERY = 1000  # rows

# Isso's comment modes (isso/db/comments.py): 1 accepted, 2 awaiting moderation,
# 4 soft-deleted (a deleted comment that still has replies keeps its row).
_STATES = {1: CommentState.PUBLISHED, 2: CommentState.PENDING, 4: CommentState.DELETED}

# Every column we read. Older Isso databases lack `notification` (added by
# schema version 4); we do not read it, so a database Isso would still migrate
# can be imported too.
_THREAD_COLUMNS = {"id", "uri", "title"}
_COMMENT_COLUMNS = {
    "tid",
    "id",
    "parent",
    "created",
    "modified",
    "mode",
    "text",
    "author",
    "email",
    "website",
    "likes",
    "dislikes",
}


def read_export(path: Path, progress: Progress | None = None) -> Iterator[Record]:
    """Yield the threads, then the comments, of the Isso database at `path`, in row order."""
    connection = _connect(path)
    try:
        _check_schema(connection)
        total = _count(connection, "threads") + _count(connection, "comments")
        done = 0
        # Iterating the cursor reads row by row: memory stays bounded whatever
        # the number of comments. ORDER BY the INTEGER PRIMARY KEY is the rowid
        # order, so it costs no sort.
        for row in connection.execute("SELECT id, uri, title FROM threads ORDER BY id"):
            yield _thread(row)
            done += 1
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done, total)
        query = (
            "SELECT tid, id, parent, created, mode, text, author, email, website,"
            " likes, dislikes, modified FROM comments ORDER BY id"
        )
        for row in connection.execute(query):
            yield _comment(row)
            done += 1
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done, total)
        if progress is not None:
            progress(done, total)
    except sqlite3.DatabaseError as error:
        # A database that opened but breaks while it is read (a corrupt page):
        # nothing after this point can be trusted, so the whole import stops.
        raise ImportFileError(f"the Isso database cannot be read: {error}") from error
    finally:
        connection.close()


def _connect(path: Path) -> sqlite3.Connection:
    # as_uri() percent-encodes the path, so a file name with "?" or "#" in it
    # cannot add URI parameters of its own; mode=ro never creates or changes it.
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as error:
        raise ImportFileError(f"cannot open {path}: {error}") from error
    try:
        # The schema is part of the untrusted file: with trusted_schema off,
        # views, triggers and generated columns in it cannot call functions that
        # have side effects (SQLite's "defense against the dark arts").
        connection.execute("PRAGMA trusted_schema = OFF")
        # Text that is not valid UTF-8 must not stop the import: keep the bytes
        # and decode them leniently ourselves.
        connection.text_factory = bytes
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as error:
        connection.close()
        if error.sqlite_errorcode == sqlite3.SQLITE_NOTADB:
            raise ImportFileError("not an Isso database: not an SQLite file") from error
        # An SQLite file, but truncated or corrupt.
        raise ImportFileError(f"the Isso database cannot be read: {error}") from error
    return connection


def _check_schema(connection: sqlite3.Connection) -> None:
    """Refuse anything but a database with Isso's two tables and their columns."""
    for table, required in (("comments", _COMMENT_COLUMNS), ("threads", _THREAD_COLUMNS)):
        # Real tables only: a view of the same name could compute anything.
        row = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        if row is None:
            raise ImportFileError(f"not an Isso database: no table {table}")
        columns = {
            _text(info[1], MAX_ID) for info in connection.execute(f"PRAGMA table_info({table})")
        }
        missing = sorted(required - columns)
        if missing:
            raise ImportFileError(
                f"not an Isso database: table {table} has no column {', '.join(missing)}"
            )


def _count(connection: sqlite3.Connection, table: str) -> int:
    return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608


def _thread(row: tuple) -> Record:
    thread_id, uri, title = row
    source_id = _identifier(thread_id)
    if not source_id:
        return SkippedRecord("thread without an id")
    url = _text(uri, MAX_URL + 1)
    if len(url) > MAX_URL:
        # Cutting a url short could merge two pages into one thread: skip instead.
        return SkippedRecord("page url longer than 1,000 characters", source_id)
    # An Isso uri is usually a path ("/blog/post/"): the loader maps it onto
    # the site, so it is kept as it is.
    return ImportedThread(source_id=source_id, url=url, title=_text(title, MAX_TITLE))


def _comment(row: tuple) -> Record:
    (tid, comment_id, parent, created, mode, text, author, email, website) = row[:9]
    likes, dislikes, modified = row[9:]
    source_id = _identifier(comment_id)
    if not source_id:
        return SkippedRecord("comment without an id")
    thread_id = _identifier(tid)
    if not thread_id:
        return SkippedRecord("comment without a thread", source_id)
    body = _text(text, MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return SkippedRecord("text longer than 100,000 characters", source_id)
    extra = {}
    edited_at = _timestamp(modified)
    if edited_at is not None:
        # An ISO string, not a datetime: extra must survive being spooled as JSON.
        extra["edited_at"] = edited_at.isoformat()
    return ImportedComment(
        source_id=source_id,
        thread_id=thread_id,
        # Isso has no accounts: a commenter is a name, maybe an email and a
        # website, all optional. With an email the loader can let them claim
        # their comments later; without one they become a named guest.
        author=ImportedAuthor(
            name=_text(author, MAX_NAME),
            email=_text(email, MAX_EMAIL),
            url=_text(website, MAX_URL),
            key="",
        ),
        body=body,
        body_format=BodyFormat.MARKDOWN,
        created_at=_timestamp(created),
        # Isso 0.14 points a reply to a reply at the top-level comment, and
        # older databases may nest deeper: either way the parent is kept as given.
        parent_id=_identifier(parent),
        # A mode Isso never writes is held for our moderators rather than shown.
        state=_STATES.get(mode, CommentState.PENDING) if _is_int(mode) else CommentState.PENDING,
        score=_score(likes, dislikes),
        extra=extra,
    )


def _text(value: object, limit: int) -> str:
    """Any SQLite value as a string of at most `limit` characters; NULL is ""."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        # Decode no more than the limit could need (4 bytes a character at most).
        return value[: limit * 4].decode("utf-8", errors="replace")[:limit]
    return str(value)[:limit]  # an INTEGER or REAL where text was expected


def _identifier(value: object) -> str:
    if value is None or value == b"":
        return ""
    return _text(value, MAX_ID).strip()


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _timestamp(value: object) -> datetime | None:
    """Isso's REAL unix time as an aware UTC datetime; anything unreadable is None."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if not math.isfinite(value) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _score(likes: object, dislikes: object) -> int:
    up = likes if _is_int(likes) else 0
    down = dislikes if _is_int(dislikes) else 0
    # Bounded so that a forged count cannot overflow an integer column later.
    return max(-(2**31) + 1, min(2**31 - 1, up - down))
