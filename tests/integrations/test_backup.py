"""`broadsheet backup`: a consistent copy of the live database while comments keep
coming, restorable as docs/deploy.md says, and old copies pruned."""

import shutil
import sqlite3
import subprocess
import threading
import time

import pytest
from django.db import connection, connections
from django.utils import timezone

from broadsheet.discussion.operations import (
    GeneratedComment,
    insert_generated_comments,
    post_comment,
)
from broadsheet.integrations.archive.backup import list_backups, make_backup, prune_backups
from tests.integrations.archive_sites import read_export, run_cli, scratch_postgres_database


class Writers:
    """Readers posting comments through post_comment on threads of their own (each its
    own database connection, as app threads are), recording each comment the moment
    post_comment returns it: committed, the reader told it is posted."""

    def __init__(self, article, authors):
        self.acknowledged: list[tuple[int, str]] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._write, args=(article, author, n))
            for n, author in enumerate(authors)
        ]

    def _write(self, article, author, n: int) -> None:
        try:
            count = 0
            while not self._stop.is_set():
                count += 1
                body = f"Under load, writer {n}, comment {count}."
                comment = post_comment(article=article, author=author, body=body)
                with self._lock:
                    self.acknowledged.append((comment.pk, body))
        except BaseException as error:
            self.errors.append(error)
        finally:
            connections.close_all()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def so_far(self) -> list[tuple[int, str]]:
        with self._lock:
            return list(self.acknowledged)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.so_far()) < count and not self.errors:
            assert time.monotonic() < deadline, "the writers stalled"
            time.sleep(0.01)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        assert not self.errors, self.errors


def comments_in_sqlite_backup(path) -> dict[int, str]:
    with sqlite3.connect(path) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return dict(copy.execute("SELECT id, body_markdown FROM discussion_comment"))


def comments_in_pg_dump(path) -> dict[int, str]:
    """Restored as docs/deploy.md says (pg_restore into an empty database), then read."""
    import psycopg

    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        pytest.skip("pg_restore is not on PATH (scripts/test puts PostgreSQL's tools there)")
    with scratch_postgres_database() as url:
        subprocess.run(
            [pg_restore, "--no-owner", "--exit-on-error", "--dbname", url, str(path)],
            check=True,
            capture_output=True,
        )
        with psycopg.connect(url) as copy:
            return dict(copy.execute("SELECT id, body_markdown FROM discussion_comment"))


def test_a_backup_under_write_load_holds_every_comment_acknowledged_before_it(
    transactional_db, tmp_path, make_article, make_reader
):
    if connection.vendor == "postgresql" and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not on PATH (scripts/test puts PostgreSQL's tools there)")
    authors = [make_reader() for _ in range(4)]
    # A few thousand rows beside the live article, so the copy takes a moment.
    insert_generated_comments(
        article=make_article(),
        comments=[
            GeneratedComment(
                author=authors[0],
                body_markdown=f"Old comment {n}",
                body_html=f"<p>Old comment {n}</p>",
                created_at=timezone.now(),
            )
            for n in range(3000)
        ],
    )
    writers = Writers(make_article(), authors)
    writers.start()
    try:
        writers.wait_for(20)
        acknowledged_before = writers.so_far()
        result = make_backup(tmp_path / "backups")
        # The site went on taking comments: the backup blocked no writer for long.
        writers.wait_for(len(writers.so_far()) + 10)
    finally:
        writers.stop()

    if connection.vendor == "sqlite":
        kept = comments_in_sqlite_backup(result.path)
    else:
        kept = comments_in_pg_dump(result.path)
    missing = [pk for pk, body in acknowledged_before if kept.get(pk) != body]
    assert not missing, f"{len(missing)} acknowledged comments are not in the backup"
    assert len(kept) >= 3000 + len(acknowledged_before)


def test_a_sqlite_backup_copied_into_a_data_folder_is_the_site(tmp_path):
    """docs/deploy.md: with the site stopped, the backup becomes the data folder's
    broadsheet.sqlite3 (and no -wal or -shm file of the old one stays beside it)."""
    site = tmp_path / "var"
    assert run_cli(["demo"], site).returncode == 0
    made = run_cli(["backup", str(tmp_path / "backups")], site)
    assert made.returncode == 0, made.stderr
    [backup] = list_backups(tmp_path / "backups")
    assert f"backed up to {backup}" in made.stdout
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    assert not list((tmp_path / "backups").glob("*partial*"))

    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(backup, moved / "broadsheet.sqlite3")
    shutil.copy(site / "secret_key", moved / "secret_key")
    exported = run_cli(["export", str(tmp_path / "site.jsonl")], moved)
    assert exported.returncode == 0, exported.stderr
    _header, records, _trailer = read_export(tmp_path / "site.jsonl")
    # The demo discussion: five English comments and two Russian ones.
    assert (
        sum(r["model"] == "discussion.comment" for r in records) == 7
    )  # the demo: 5 English, 2 Russian


def test_backups_beyond_keep_are_pruned_oldest_first(tmp_path):
    site = tmp_path / "var"
    backups = tmp_path / "backups"
    backups.mkdir()
    (backups / "notes.txt").write_text("not a backup")
    (backups / "broadsheet-20200101-000000.sqlite3").write_text("an old one")
    for _ in range(3):
        result = run_cli(["backup", str(backups), "--keep", "2"], site)
        assert result.returncode == 0, result.stderr
    kept = list_backups(backups)
    assert len(kept) == 2
    assert not (backups / "broadsheet-20200101-000000.sqlite3").exists()
    assert (backups / "notes.txt").exists()
    assert "removed the old backup" in result.stdout


def test_prune_keeps_the_newest_by_the_time_in_their_names(tmp_path):
    names = [
        "broadsheet-20240102-000000.dump",
        "broadsheet-20240101-000000.sqlite3",
        "broadsheet-20240103-000000-2.sqlite3",
        "broadsheet-20240103-000000.sqlite3",
        "broadsheet-latest.sqlite3",
    ]
    for name in names:
        (tmp_path / name).write_text("x")
    removed = prune_backups(tmp_path, keep=2)
    assert sorted(p.name for p in removed) == [
        "broadsheet-20240101-000000.sqlite3",
        "broadsheet-20240102-000000.dump",
    ]
    assert [p.name for p in list_backups(tmp_path)] == [
        "broadsheet-20240103-000000.sqlite3",
        "broadsheet-20240103-000000-2.sqlite3",
    ]
    assert prune_backups(tmp_path, keep=0) == []
    assert (tmp_path / "broadsheet-latest.sqlite3").exists()


def test_the_command_refuses_a_negative_keep(tmp_path):
    result = run_cli(["backup", str(tmp_path / "b"), "--keep", "-1"], tmp_path / "var")
    assert result.returncode == 1
    assert "--keep" in result.stderr
