"""When each article last changed: the clock that page caches read and the live
hub winds.

Kept apart from both: the hub (live/hub.py) tells the clock of every change it
publishes or hears of from another process, and the front cache
(serving/front_cache.py) asks it whether a stored page is still current. Neither
imports the other for it, and the transport knows nothing of who reads the clock.

Without Redis, the processes of one machine (`serve --workers`, and a shell
command such as `broadsheet publish` run beside the server) tell each other
through the change journal, a file in the data folder.
"""

import logging
import os
import threading

from django.conf import settings

logger = logging.getLogger(__name__)


class ChangeClock:
    """When each article last changed, on a counter that only goes up.

    A stored page remembers the counter's value from before Django began to
    render it; if any article it shows changed after that, it is stale. Called
    from write threads and from the event loop, hence the lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now = 0
        self._changed: dict[int, int] = {}
        self._readers_changed: dict[int, int] = {}
        self._everything_changed = 0

    def now(self) -> int:
        return self._now

    def article_changed(self, article_id: int) -> None:
        with self._lock:
            self._now += 1
            self._changed[article_id] = self._now

    def reader_changed(self, reader_id: int) -> None:
        """Something a reader's personal layer shows changed: their session ended,
        their settings, role, ban or notifications."""
        with self._lock:
            self._now += 1
            self._readers_changed[reader_id] = self._now

    def reader_unchanged_since(self, moment: int, reader_id: int) -> bool:
        if self._everything_changed > moment:
            return False
        return self._readers_changed.get(reader_id, 0) <= moment

    def everything_changed(self) -> None:
        with self._lock:
            self._now += 1
            self._everything_changed = self._now

    def unchanged_since(self, moment: int, article_ids: frozenset[int]) -> bool:
        if self._everything_changed > moment:
            return False
        changed = self._changed
        return all(changed.get(article_id, 0) <= moment for article_id in article_ids)


clock = ChangeClock()
article_changed = clock.article_changed
reader_changed = clock.reader_changed
everything_changed = clock.everything_changed


class Journal:
    """Lines shared by the processes of one machine without Redis: a file in the
    data folder, appended one line at a time ("<pid> <payload>") by the process
    that has news, read by every other process from where it last looked.

    Looking costs one `os.stat` when nothing changed, and no thread, timer or
    database. Appends of one short line with O_APPEND land whole and in order.
    When the file passes `MAX_BYTES` a writer starts a new one (a new inode):
    readers then learn that they may have missed lines (`reset`), rather than
    guess what they were.
    """

    MAX_BYTES = 1024 * 1024
    FILE_NAME = ""

    def __init__(self, path: str | os.PathLike | None = None, max_bytes: int = MAX_BYTES) -> None:
        self._path = path
        self.max_bytes = max_bytes
        self._inode: int | None = None
        self._offset = 0
        self._started = False

    @property
    def path(self) -> str:
        if self._path is None:
            self._path = os.path.join(settings.DATA_DIR, self.FILE_NAME)
        return os.fspath(self._path)

    def _append(self, payload: str) -> None:
        line = f"{os.getpid()} {payload}\n".encode()
        try:
            for _attempt in range(3):
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    if os.fstat(fd).st_size >= self.max_bytes:
                        self._start_afresh()
                        continue
                    os.write(fd, line)
                    written = os.fstat(fd)
                finally:
                    os.close(fd)
                # A writer that started a new file between our open and our write
                # left our line in the old one, which readers may have left: again.
                if os.stat(self.path).st_ino == written.st_ino:
                    return
        except OSError:
            logger.exception("live: could not write %s", self.FILE_NAME)

    def _start_afresh(self) -> None:
        fresh = f"{self.path}.{os.getpid()}.new"
        with open(fresh, "wb"):
            pass
        os.replace(fresh, self.path)

    def _read_new(self) -> list[bytes] | None:
        """The payloads other processes added since the last look; None when lines
        may have been missed (a new file, an unreadable one)."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self._started = True
            return []
        except OSError:
            return []
        if stat.st_ino == self._inode and stat.st_size == self._offset:
            return []
        if not self._started:
            # What happened before this process began serving is not its concern.
            self._started = True
            self._inode, self._offset = stat.st_ino, stat.st_size
            return []
        if self._inode is not None and (stat.st_ino != self._inode or stat.st_size < self._offset):
            self._inode, self._offset = stat.st_ino, stat.st_size
            return None
        if self._inode is None:
            self._inode, self._offset = stat.st_ino, 0  # created since we last looked
        try:
            with open(self.path, "rb") as journal:
                journal.seek(self._offset)
                added = journal.read(stat.st_size - self._offset)
        except OSError:
            return None
        complete = added[: added.rfind(b"\n") + 1]  # a line being written waits
        self._offset += len(complete)
        own = str(os.getpid()).encode()
        payloads = []
        for entry in complete.splitlines():
            pid, _, payload = entry.partition(b" ")
            if pid != own:
                payloads.append(payload)
        return payloads


class ChangeJournal(Journal):
    """Article changes, for every process's front cache (about 70,000 changes
    between new files). The front cache looks at most every 50 ms: a look costs
    about 2 µs in process, as much again as the rest of a front-cache hit."""

    FILE_NAME = "front-cache-changes.log"

    def record(self, article_id: int) -> None:
        """Tell the other processes that `article_id` changed; called after commit.
        If it cannot be written, other processes still drop the page within
        BROADSHEET_FRONT_CACHE_REVALIDATE_SECONDS or the page cache's lifetime."""
        self._append(str(article_id))

    def record_reader(self, reader_id: int) -> None:
        """Tell the other processes that a reader's personal layers are stale."""
        self._append(f"r{reader_id}")

    def catch_up(self) -> None:
        """Mark changed what other processes wrote since the last look (event loop)."""
        payloads = self._read_new()
        if payloads is None:
            everything_changed()
            return
        for payload in payloads:
            if payload.isdigit():
                article_changed(int(payload))
            elif payload.startswith(b"r") and payload[1:].isdigit():
                reader_changed(int(payload[1:]))


class MessageJournal(Journal):
    """Live messages from processes that hold no pages (the task worker telling a
    reader of a notification) to the server processes that do, without Redis.
    A message that falls in a gap is lost: what it said is on the page at the
    next load."""

    FILE_NAME = "live-messages.log"

    def record(self, message_json: str) -> None:
        self._append(message_json)

    def read_new(self) -> list[bytes]:
        return self._read_new() or []


journal = ChangeJournal()
messages = MessageJournal()
