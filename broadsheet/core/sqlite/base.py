"""Django's SQLite backend with its writers queued by the kernel (docs/adr/0026).

SQLite lets one transaction write at a time. A writer that finds the lock taken
waits in SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 ... 100 ms
between tries, however soon the lock is free: with two server processes and the
task worker posting at once, a post of a few milliseconds waited tens of them,
and the processes sat idle while posts queued (docs/posting.md).

Here each transaction first takes an advisory lock on a file beside the
database (`<database>.writer`), polled every half millisecond at most, and lets
it go at commit or rollback; BEGIN IMMEDIATE then finds SQLite's own lock free.
Nothing else changes: SQLite's lock, its busy timeout and synchronous=FULL
still hold, for writers that do not take the file lock (the sqlite3 shell, a
statement in autocommit). A writer still waiting when the busy timeout has passed
fails as SQLite would ("database is locked"). The kernel drops the lock of a
process that dies.
`BROADSHEET_SQLITE_WRITE_QUEUE=0` turns it off.
"""

import fcntl
import os
import time

from django.conf import settings
from django.db import OperationalError
from django.db.backends.sqlite3 import base

FIRST_PAUSE_SECONDS = 0.00005
LONGEST_PAUSE_SECONDS = 0.0005


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_fd: int | None = None
    _writer_held = False

    def _start_transaction_under_autocommit(self):
        self._take_writer_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer_lock()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None

    def _take_writer_lock(self) -> None:
        if (
            self._writer_held
            or not getattr(settings, "BROADSHEET_SQLITE_WRITE_QUEUE", True)
            or self.is_in_memory_db()
        ):
            return
        if self._writer_fd is None:
            path = f"{self.settings_dict['NAME']}.writer"
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        timeout = self.settings_dict.get("OPTIONS", {}).get("timeout", 5)
        deadline = time.monotonic() + timeout
        pause = FIRST_PAUSE_SECONDS
        while True:
            try:
                fcntl.flock(self._writer_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    # As SQLite says it past its busy timeout: the holder has
                    # SQLite's lock too, so waiting there would only double the wait.
                    raise OperationalError("database is locked (its writer lock)") from None
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
            else:
                self._writer_held = True
                return

    def _release_writer_lock(self) -> None:
        if self._writer_held:
            self._writer_held = False
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
