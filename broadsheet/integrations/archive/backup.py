"""`broadsheet backup DIR`: a consistent copy of the live database, taken while the
site serves, and the pruning of old copies.

SQLite: the database's own online backup (sqlite3's Connection.backup) in one
step, which reads one snapshot of the database in one read transaction; in WAL
mode writers go on meanwhile, and every commit acknowledged before it began is
in the copy. The copy is then switched out of WAL (one self-contained file) and
checked with PRAGMA integrity_check.

PostgreSQL: `pg_dump --format=custom`, which also reads one snapshot; the
password goes to it in PGPASSWORD, never on a command line other users can read.
The archive is then listed by pg_restore (when it is installed beside pg_dump) as
the check that it can be read back.

Either way the copy is written under a hidden temporary name, synced to disk and
renamed: a file named like a backup is a whole one, and pruning (the oldest
beyond BROADSHEET_BACKUPS_KEEP) only ever counts and deletes whole ones, and only
files named as this module names them.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

BACKUP_NAME = re.compile(r"^broadsheet-(?P<stamp>\d{8}-\d{6})(?:-(?P<seq>\d+))?\.(sqlite3|dump)$")
EXTENSIONS = {"sqlite": "sqlite3", "postgresql": "dump"}


class BackupFailed(Exception):
    """No backup was made; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    removed: list[Path]


def _sort_key(path: Path) -> tuple[str, int]:
    match = BACKUP_NAME.match(path.name)
    return (match["stamp"], int(match["seq"] or 0)) if match else ("", 0)


def list_backups(directory: Path) -> list[Path]:
    """The backups in `directory`, oldest first (by the time in their names)."""
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if p.is_file() and BACKUP_NAME.match(p.name)]
    return sorted(found, key=_sort_key)


def prune_backups(directory: Path, *, keep: int) -> list[Path]:
    """Delete the oldest backups beyond the newest `keep` (0: none); the ones deleted."""
    if keep <= 0:
        return []
    old = list_backups(directory)[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def _new_name(directory: Path, vendor: str, now: datetime) -> Path:
    stamp = now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    extension = EXTENSIONS[vendor]
    path = directory / f"broadsheet-{stamp}.{extension}"
    seq = 1
    while path.exists():  # two backups in one second
        seq += 1
        path = directory / f"broadsheet-{stamp}-{seq}.{extension}"
    return path


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _backup_sqlite(source_path: Path, target: Path) -> None:
    if not source_path.is_file():
        raise BackupFailed(f"no database at {source_path}")
    with (
        closing(sqlite3.connect(source_path, timeout=20)) as source,
        closing(sqlite3.connect(target)) as copy,
    ):
        # pages=-1: the whole database in one step, from one read transaction (a
        # stepwise copy would start over whenever another process writes).
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")
        verdict = copy.execute("PRAGMA integrity_check").fetchall()
    if verdict != [("ok",)]:
        raise BackupFailed(f"the copy failed its integrity check: {verdict[:5]}")


def _pg_environment(settings_dict: dict) -> dict[str, str]:
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    options = settings_dict.get("OPTIONS") or {}
    for option in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if options.get(option):
            env["PG" + option.upper()] = str(options[option])
    return env


def _backup_postgresql(settings_dict: dict, target: Path) -> None:
    pg_dump = shutil.which(settings.BROADSHEET_PG_DUMP)
    if pg_dump is None:
        raise BackupFailed(
            f"{settings.BROADSHEET_PG_DUMP} not found: install PostgreSQL's client tools "
            "(of the server's version) or set BROADSHEET_PG_DUMP to its path"
        )
    command = [pg_dump, "--format=custom", "--no-password", f"--file={target}"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            command += [option, str(settings_dict[key])]
    command += ["--dbname", str(settings_dict["NAME"])]
    env = _pg_environment(settings_dict)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupFailed(f"pg_dump failed: {done.stderr.strip()[-2000:]}")
    pg_restore = Path(pg_dump).with_name("pg_restore")
    if pg_restore.exists():
        listed = subprocess.run(  # noqa: S603 (our own paths, no user input)
            [str(pg_restore), "--list", str(target)], capture_output=True, text=True, check=False
        )
        if listed.returncode != 0:
            raise BackupFailed(f"the dump cannot be read back: {listed.stderr.strip()[-2000:]}")


def make_backup(directory: Path, *, keep: int | None = None) -> BackupResult:
    """Back up this site's database into `directory`, then delete the oldest backups
    beyond `keep` (default BROADSHEET_BACKUPS_KEEP)."""
    keep = settings.BROADSHEET_BACKUPS_KEEP if keep is None else keep
    vendor = connection.vendor
    if vendor not in EXTENSIONS:
        raise BackupFailed(f"backups support SQLite and PostgreSQL, not {vendor}")
    directory.mkdir(parents=True, exist_ok=True)
    path = _new_name(directory, vendor, timezone.now())
    partial = directory / f".{path.name}.partial"
    # Readable by the site's owner only: it holds e-mail addresses and password hashes.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        if vendor == "sqlite":
            _backup_sqlite(Path(connection.settings_dict["NAME"]), partial)
        else:
            _backup_postgresql(connection.settings_dict, partial)
        _sync(partial)
        partial.replace(path)
        _sync(directory)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    removed = prune_backups(directory, keep=keep)
    return BackupResult(path=path, size=path.stat().st_size, removed=removed)
