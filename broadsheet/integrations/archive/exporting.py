"""`broadsheet export`: the whole site, one JSON object a line.

The file is a header line, then one record a line in Django's serialized shape
(`{"model": "discussion.comment", "pk": 12, "fields": {...}}`), model after
model in dependency order, then a trailer with the count of each model's records
and a SHA-256 of every line before it, so a restore knows a file that was cut
short or changed. Rows are read with `.iterator()` in chunks and written as they
come: memory stays bounded however large the site.

Everything is read from one snapshot of the database while the site goes on
serving: a REPEATABLE READ, READ ONLY transaction on PostgreSQL; on SQLite a
deferred (read) transaction, which in WAL mode sees the database as it was when
it began and blocks no writer (Django's own atomic() would BEGIN IMMEDIATE and
take the write lock for the whole export).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.contrib.auth.hashers import make_password
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.python import Serializer as PythonSerializer
from django.db import connection, transaction
from django.utils import timezone

from broadsheet import __version__
from broadsheet.integrations.archive import contents


class ExportEncoder(DjangoJSONEncoder):
    """Django's encoder, but times keep their microseconds (Django's cuts them to
    milliseconds, and a restore must give back exactly what was there)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


def encode(record: dict) -> str:
    return json.dumps(record, cls=ExportEncoder, ensure_ascii=False, separators=(",", ":"))


class RecordSerializer(PythonSerializer):
    """Django's python serializer, writing each record as it is made instead of
    gathering them in a list, with our choices of keys:

    - rows of our apps keep their primary keys and refer to each other by them, so
      comment numbers, permalinks and every id come back as they were;
    - Django's rows (groups, permissions, content types) are named by natural key,
      whose ids differ from one database to the next;
    - many-to-many values are sorted, so two exports of one site are identical.
    """

    def __init__(self, emit: Callable[[dict], None], transform: Callable[[dict], dict]):
        super().__init__()
        self.emit = emit
        self.transform = transform

    def end_object(self, obj) -> None:
        self.emit(self.transform(self.get_dump_object(obj)))
        self._current = None

    def get_dump_object(self, obj) -> dict:
        self.use_natural_primary_keys = not contents.is_ours(type(obj))
        return super().get_dump_object(obj)

    def handle_fk_field(self, obj, field) -> None:
        self.use_natural_foreign_keys = not contents.is_ours(field.related_model)
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj, field) -> None:
        self.use_natural_foreign_keys = not contents.is_ours(field.related_model)
        super().handle_m2m_field(obj, field)
        if field.name in self._current:
            self._current[field.name].sort(key=encode)


@dataclass
class ExportSummary:
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def records(self) -> int:
        return sum(self.counts.values())


@contextlib.contextmanager
def snapshot() -> Iterator[None]:
    """Every read inside sees the database at one moment (see the module's docstring).
    Inside a transaction already (a test's), that transaction is the snapshot."""
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")  # nothing was written: end the read
        return
    raise NotImplementedError(f"export supports SQLite and PostgreSQL, not {connection.vendor}")


def _preparer(model, *, with_secrets: bool) -> Callable[[dict], dict]:
    """What happens to each record of `model` before it is written: references to a
    table that stays behind are cleared, and without secrets a secret field becomes
    an unusable password (a password field) or the field's default."""
    cleared = [f.name for f in contents.cleared_references(model)]
    hidden = {} if with_secrets else contents.SECRET_FIELDS.get(contents.label(model), {})

    def prepare(record: dict) -> dict:
        fields = record["fields"]
        for name in cleared:
            fields[name] = None
        for name in hidden:
            field = model._meta.get_field(name)
            fields[name] = make_password(None) if name == "password" else field.get_default()
        return record

    return prepare


def _rows(model):
    m2m = [f.name for f in model._meta.many_to_many if f.remote_field.through._meta.auto_created]
    rows = model._base_manager.order_by("pk")
    if m2m:
        rows = rows.prefetch_related(*m2m)
    return rows.iterator(chunk_size=2000)


def write_export(stream: IO[str], *, with_secrets: bool = False) -> ExportSummary:
    """Write the whole site to `stream` (text), from one snapshot."""
    summary = ExportSummary()
    digest = hashlib.sha256()

    def write_line(record: dict) -> None:
        line = encode(record) + "\n"
        digest.update(line.encode())
        stream.write(line)

    with snapshot():
        models = contents.exported_models(with_secrets=with_secrets)
        write_line(
            {
                "format": contents.FORMAT,
                "version": contents.VERSION,
                "exported_at": timezone.now(),
                "broadsheet": __version__,
                "database": connection.vendor,
                "with_secrets": with_secrets,
                "migrations": contents.applied_migrations(),
                "models": [contents.label(model) for model in models],
            }
        )
        for model in models:
            name = contents.label(model)
            summary.counts[name] = 0

            def emit(record: dict, name: str = name) -> None:
                write_line(record)
                summary.counts[name] += 1

            prepare = _preparer(model, with_secrets=with_secrets)
            RecordSerializer(emit, prepare).serialize(_rows(model))
    stream.write(
        encode(
            {
                "end": contents.FORMAT,
                "records": summary.records,
                "counts": summary.counts,
                "sha256": digest.hexdigest(),
            }
        )
        + "\n"
    )
    return summary


def export_site(path: Path, *, with_secrets: bool = False) -> ExportSummary:
    """Export the site into `path` (gzip-compressed when it ends in .gz). Written
    under a temporary name and renamed when complete, so a file by that name is
    always a whole export; readable by its owner only, as it holds e-mail addresses
    (and, with secrets, password hashes)."""
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with open(fd, "wb") as raw:
            binary: IO[bytes] = (
                gzip.GzipFile(fileobj=raw, mode="wb") if path.suffix == ".gz" else raw
            )
            text = io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
            summary = write_export(text, with_secrets=with_secrets)
            text.flush()
            text.detach()
            if binary is not raw:
                binary.close()  # the gzip trailer
            raw.flush()
            os.fsync(raw.fileno())
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return summary
