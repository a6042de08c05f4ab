"""A scratch SQLite file that gathers an export's records by thread.

Exports do not come thread by thread: a Disqus file lists every thread first and
then every post, in any order, and a reply may come before the comment it
answers. Keeping them all in memory until the file ends would put a 2 GB export
in memory, so the records are spooled here (on disk, in the data folder's
scratch space, deleted afterwards) and read back one thread at a time. SQLite
because Python has it and it indexes: reading a thread back is one range scan.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from broadsheet.integrations.importing.records import (
    BodyFormat,
    CommentState,
    ImportedAuthor,
    ImportedComment,
    ImportedThread,
)

_SCHEMA = """
CREATE TABLE thread (seq INTEGER PRIMARY KEY, source_id TEXT UNIQUE NOT NULL, record TEXT NOT NULL);
CREATE TABLE comment (
    seq INTEGER PRIMARY KEY, source_id TEXT UNIQUE NOT NULL, thread_id TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX comment_by_thread ON comment (thread_id, seq);
"""


def _encode(record) -> str:
    def default(value):
        if isinstance(value, datetime):
            return value.isoformat()
        raise TypeError(type(value))

    return json.dumps(asdict(record), default=default, ensure_ascii=False)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _thread(text: str) -> ImportedThread:
    fields = json.loads(text)
    fields["created_at"] = _when(fields["created_at"])
    return ImportedThread(**fields)


def _comment(text: str) -> ImportedComment:
    fields = json.loads(text)
    fields["created_at"] = _when(fields["created_at"])
    fields["author"] = ImportedAuthor(**fields["author"])
    fields["body_format"] = BodyFormat(fields["body_format"])
    fields["state"] = CommentState(fields["state"])
    return ImportedComment(**fields)


class Staging:
    """Records spooled by thread. Use as a context manager: the file goes at the end."""

    def __init__(self, directory: Path | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="broadsheet-import-", dir=directory)
        self._db = sqlite3.connect(Path(self._dir.name) / "staging.sqlite3")
        # Scratch data: a crash loses only this run's spool, which the next run
        # rebuilds from the export.
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(_SCHEMA)
        self._pending = 0

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()
        self._dir.cleanup()

    def add_thread(self, thread: ImportedThread) -> bool:
        """Keep a thread; False if the export already had one with this id."""
        return self._insert(
            "INSERT OR IGNORE INTO thread (source_id, record) VALUES (?, ?)",
            (thread.source_id, _encode(thread)),
        )

    def add_comment(self, comment: ImportedComment) -> bool:
        """Keep a comment; False if the export already had one with this id."""
        return self._insert(
            "INSERT OR IGNORE INTO comment (source_id, thread_id, record) VALUES (?, ?, ?)",
            (comment.source_id, comment.thread_id, _encode(comment)),
        )

    def _insert(self, sql: str, values: tuple) -> bool:
        added = self._db.execute(sql, values).rowcount == 1
        self._pending += 1
        if self._pending >= 5000:
            self._db.commit()
            self._pending = 0
        return added

    def finish(self) -> None:
        self._db.commit()

    def count_threads(self) -> int:
        return self._db.execute("SELECT count(*) FROM thread").fetchone()[0]

    def count_comments(self) -> int:
        return self._db.execute("SELECT count(*) FROM comment").fetchone()[0]

    def threads(self) -> Iterator[ImportedThread]:
        """Threads in file order, then the ones comments named but the file never
        described (by id only, so they can still become external pages or be
        reported)."""
        # A cursor of its own: the caller reads comments between threads.
        for (text,) in self._db.cursor().execute("SELECT record FROM thread ORDER BY seq"):
            yield _thread(text)

    def orphan_thread_ids(self) -> Iterator[str]:
        """Threads that comments name but that the export never described."""
        query = (
            "SELECT DISTINCT thread_id FROM comment WHERE thread_id NOT IN "
            "(SELECT source_id FROM thread)"
        )
        for (thread_id,) in self._db.cursor().execute(query):
            yield thread_id

    def count_comments_of(self, thread_id: str) -> int:
        return self._db.execute(
            "SELECT count(*) FROM comment WHERE thread_id = ?", (thread_id,)
        ).fetchone()[0]

    def comments_of(self, thread_id: str) -> list[ImportedComment]:
        """One thread's comments, in file order. One thread at a time is what the
        loader holds in memory."""
        rows = self._db.execute(
            "SELECT record FROM comment WHERE thread_id = ? ORDER BY seq", (thread_id,)
        )
        return [_comment(text) for (text,) in rows]
