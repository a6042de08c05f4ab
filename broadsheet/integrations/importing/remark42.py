"""Reads a Remark42 backup or export into the records of records.py.

The format is Remark42's own (backend/app/migrator/native.go): JSON Lines, the
first line a meta record {"version": 1, "users": [...], "posts": [...]}, then
one comment per line as backend/app/store/comment.go marshals it:

    {"id": "...", "pid": "" or the parent's id, "text": "<p>rendered HTML</p>",
     "user": {"name", "id", "picture", "ip", "admin", "block", "verified"},
     "locator": {"site", "url"}, "score": 0, "votes": {...},
     "time": "RFC 3339", "edit": {"time", "summary"}, "delete": false,
     "pin": false, "imported": false, "title": "the page's title"}

Automatic backups and `remark42 backup` are gzip-compressed; the admin export
in stream mode is not. Both are read the same way, one line at a time.
"""

from __future__ import annotations

import gzip
import json
import math
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

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
MAX_URL = 1000
MAX_ID = 200
MAX_BODY = 100_000

# A comment line holds at most 100,000 characters of text twice (text and
# orig), each up to six bytes once JSON-escaped, plus its votes: 16 MiB is far
# beyond any real one, and bounds what one hostile line can make us hold.
MAX_LINE = 16 * 2**20
# The meta line lists every user with details and every read-only page in one
# JSON document; it cannot be streamed, so it gets a larger but finite bound.
MAX_META_LINE = 64 * 2**20
READ_CHUNK = 2**20

PROGRESS_EVERY = 1000  # lines

GZIP_MAGIC = b"\x1f\x8b"

# Go's zero time: what Remark42 writes for a time it never had.
_GO_ZERO_YEAR = 1


def read_export(path: Path, progress: Progress | None = None) -> Iterator[Record]:
    """Yield threads and comments from the Remark42 backup at `path`, in file order."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 (closed by the with below)
    except OSError as error:
        raise ImportFileError(f"cannot open {path}: {error.strerror or error}") from error
    with raw:
        size = _size(raw)
        # Compression is told by the magic bytes, not the name: `remark42
        # backup` names its files .gz, a download may be named anything.
        compressed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        # Progress is counted in bytes of the file as stored, so that the total
        # is known up front even when it is compressed.
        if compressed:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                yield from _read(stream, raw, size, progress)
        else:
            yield from _read(raw, raw, size, progress)


def _read(
    stream: IO[bytes], raw: IO[bytes], size: int, progress: Progress | None
) -> Iterator[Record]:
    closed_urls = _read_meta(stream)
    seen_urls: set[str] = set()  # one entry per page: bounded by the site, not the file
    lines = 0
    while True:
        try:
            line = _read_line(stream, MAX_LINE)
        except _LineTooLong:
            yield SkippedRecord("line longer than 16 MiB")
            continue
        except EOFError:
            # A gzip stream cut short (a backup interrupted, a partial copy):
            # everything up to the cut was read; the rest is lost, as with a
            # plain file whose last line is cut.
            yield SkippedRecord("truncated file")
            break
        except (gzip.BadGzipFile, zlib.error, OSError) as error:
            # Corrupt compressed data: nothing after it can be trusted.
            raise ImportFileError(f"the Remark42 backup is corrupt: {error}") from error
        if line is None:
            break
        lines += 1
        if progress is not None and lines % PROGRESS_EVERY == 0:
            progress(raw.tell(), size)
        if not line.strip():
            continue  # Go's decoder skips blank lines too
        yield from _records(line, closed_urls, seen_urls)
    if progress is not None:
        progress(raw.tell(), size)


def _size(raw: IO[bytes]) -> int:
    raw.seek(0, 2)
    size = raw.tell()
    raw.seek(0)
    return size


class _LineTooLong(Exception):
    """A line over the bound; its bytes have been read past."""


def _read_line(stream: IO[bytes], limit: int) -> bytes | None:
    """The next line, or None at the end; _LineTooLong for one over `limit` bytes.

    readline() with a limit never holds more than `limit` bytes of one line; the
    rest of an overlong line is read and dropped in chunks up to its newline.
    """
    line = stream.readline(limit + 1)
    if not line:
        return None
    if len(line) <= limit or line.endswith(b"\n"):
        return line
    while True:
        rest = stream.readline(READ_CHUNK)
        if not rest or rest.endswith(b"\n"):
            raise _LineTooLong


def _read_meta(stream: IO[bytes]) -> set[str]:
    """Check the first line is Remark42's meta record; return its read-only pages' urls."""
    try:
        line = _read_line(stream, MAX_META_LINE)
    except _LineTooLong as error:
        raise ImportFileError("not a Remark42 backup: first line longer than 64 MiB") from error
    except EOFError as error:
        raise ImportFileError(
            "not a Remark42 backup: the file ends within its first line"
        ) from error
    except (gzip.BadGzipFile, zlib.error, OSError) as error:
        raise ImportFileError(f"not a Remark42 backup: {error}") from error
    if line is None or not line.strip():
        raise ImportFileError("not a Remark42 backup: the file is empty")
    meta = _json(line)
    # Remark42 writes version 1 and still reads version 0 (native.go): a record
    # that names neither a version nor users and posts is not its meta line; a
    # comment (it has a locator) first means the meta line is missing.
    if (
        not isinstance(meta, dict)
        or "locator" in meta
        or not ({"version", "users", "posts"} & meta.keys())
    ):
        raise ImportFileError("not a Remark42 backup: the first line is not its meta record")
    version = meta.get("version", 0)
    if version not in (0, 1) or isinstance(version, bool):
        raise ImportFileError(f"unsupported Remark42 backup version {version!r:.20}")
    # Only the pages closed to new comments are of use here. The users' part
    # carries block and verified flags and, for readers who subscribed to
    # replies by email, an address under details.email: read nothing of it, as
    # the comments' authors are matched by their Remark42 id alone.
    closed: set[str] = set()
    posts = meta.get("posts")
    for post in posts if isinstance(posts, list) else ():
        if isinstance(post, dict) and post.get("read_only") is True:
            url = _text(post.get("url"), MAX_URL + 1)
            if url and len(url) <= MAX_URL:
                closed.add(url)
    return closed


def _records(line: bytes, closed_urls: set[str], seen_urls: set[str]) -> Iterator[Record]:
    data = _json(line)
    if not isinstance(data, dict):
        yield SkippedRecord("unreadable line")
        return
    source_id = _identifier(data.get("id"))
    if not source_id:
        yield SkippedRecord("unreadable line")
        return
    locator = data.get("locator")
    url = _text(locator.get("url"), MAX_URL + 1) if isinstance(locator, dict) else ""
    if not url.strip():
        yield SkippedRecord("comment without a page url", source_id)
        return
    if len(url) > MAX_URL:
        # Cutting a url short could merge two pages into one thread: skip instead.
        yield SkippedRecord("page url longer than 1,000 characters", source_id)
        return
    body = _text(data.get("text"), MAX_BODY + 1)
    if len(body) > MAX_BODY:
        yield SkippedRecord("text longer than 100,000 characters", source_id)
        return

    if url not in seen_urls:
        # Remark42 keeps no thread records: a page is the url its comments
        # name. Its title is only on the comments, so the first one's is used.
        seen_urls.add(url)
        yield ImportedThread(
            source_id=url,
            url=url,
            title=_text(data.get("title"), MAX_TITLE),
            closed=url in closed_urls,
        )

    user = data.get("user")
    if not isinstance(user, dict):
        user = {}
    author_key = _identifier(user.get("id"))
    if author_key == "deleted":
        # Remark42's hard delete (a reader erasing their data) renames the
        # author to "deleted": no one is behind that id, so it links nothing.
        author_key = ""
    extra: dict[str, object] = {}
    edit = data.get("edit")
    edited_at = _time(edit.get("time")) if isinstance(edit, dict) else None
    if edited_at is not None:
        # An ISO string, not a datetime: extra must survive being spooled as JSON.
        extra["edited_at"] = edited_at.isoformat()
    if data.get("pin") is True:
        extra["pinned"] = True
    if user.get("block") is True:
        extra["author_blocked"] = True

    yield ImportedComment(
        source_id=source_id,
        thread_id=url,
        # Remark42 readers sign in through a provider: their id ("github_…",
        # "google_…") is stable, their name is only a display name. Comments
        # carry no email (see _read_meta on the users' part); their ip and
        # picture are left behind on purpose.
        author=ImportedAuthor(
            name=_text(user.get("name"), MAX_NAME),
            key=author_key,
            email="",
            url="",
        ),
        body=body,
        body_format=BodyFormat.HTML,
        created_at=_time(data.get("time")),
        parent_id=_identifier(data.get("pid")),
        # A blocked author's comments stay published: Remark42 itself still
        # shows them to everyone (collapsed, with a "Blocked" badge), and a
        # permanent block soft-deletes them, which arrives here as "delete".
        # Whether to hold them is the loader's call; extra says who was blocked.
        state=CommentState.DELETED if data.get("delete") is True else CommentState.PUBLISHED,
        score=_score(data.get("score")),
        extra=extra,
    )


def _json(line: bytes) -> object:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        # ValueError covers bad JSON, bad UTF-8 and overlong integers;
        # RecursionError a line of ten thousand nested brackets.
        return None


def _text(value: object, limit: int) -> str:
    """A JSON scalar as a string of at most `limit` characters; null or a container is ""."""
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)[:limit]
    return ""


def _identifier(value: object) -> str:
    return _text(value, MAX_ID).strip()


def _time(value: object) -> datetime | None:
    """An RFC 3339 time as an aware UTC datetime; unreadable or Go's zero time is None."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.year == _GO_ZERO_YEAR:
        return None
    if parsed.tzinfo is None:
        # Remark42 always writes an offset; a time without one was edited by
        # hand, and UTC is the least surprising reading of it.
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _score(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    if isinstance(value, float) and not math.isfinite(value):
        return 0
    # Bounded so that a forged score cannot overflow an integer column later.
    return max(-(2**31) + 1, min(2**31 - 1, int(value)))
