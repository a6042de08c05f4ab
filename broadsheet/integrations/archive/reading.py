"""Reading an export: the whole file is checked before a restore writes anything.

A file is refused, with the reason in words an operator can act on, when it is
not a Broadsheet export, is of a format version this code does not read, comes
from a newer schema, names a model this site does not restore, or was cut short
or changed (no trailer, counts or checksum that do not match).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from broadsheet.integrations.archive import contents

GZIP_MAGIC = b"\x1f\x8b"


class ExportRejected(Exception):
    """The file cannot be restored; the message says why. Nothing has been written."""


@dataclass(frozen=True)
class VerifiedExport:
    path: Path
    header: dict
    counts: dict[str, int]

    @property
    def records(self) -> int:
        return sum(self.counts.values())


@contextlib.contextmanager
def _open(path: Path) -> Iterator[IO[bytes]]:
    with path.open("rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        if compressed:
            with gzip.GzipFile(fileobj=raw, mode="rb") as unpacked:
                yield unpacked
        else:
            yield raw


def _lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes, object]]:
    """(line number, raw bytes, parsed JSON) of each line."""
    for number, line in enumerate(stream, start=1):
        try:
            yield number, line, json.loads(line)
        except ValueError:
            raise ExportRejected(
                f"line {number} is not a JSON record: the file is damaged"
            ) from None


def _check_header(header: object, known: Mapping[str, type], migrations: dict) -> dict:
    if not isinstance(header, dict) or header.get("format") != contents.FORMAT:
        raise ExportRejected("this is not a Broadsheet export (its first line has no header)")
    if header.get("version") != contents.VERSION:
        raise ExportRejected(
            f"the export is in format version {header.get('version')!r}; "
            f"this Broadsheet reads version {contents.VERSION}"
        )
    unknown = [name for name in header.get("models", []) if name not in known]
    if unknown:
        raise ExportRejected(
            "the export holds records of " + ", ".join(unknown) + ", which this site does "
            "not restore (made by a newer Broadsheet? upgrade this one first)"
        )
    newer = [
        f"{app}.{name}"
        for app, names in sorted((header.get("migrations") or {}).items())
        for name in names
        if name not in set(migrations.get(app, ()))
    ]
    if newer:
        raise ExportRejected(
            "the export was made by a Broadsheet with database changes this one lacks ("
            + ", ".join(newer[:5])
            + "): upgrade this one first"
        )
    return header


def verify_export(
    path: Path, *, known: Mapping[str, type], migrations: dict[str, list[str]]
) -> VerifiedExport:
    """Read the whole file once and check it; raise ExportRejected if it will not do.
    `known` is what the site restores (contents.restorable_models()), `migrations`
    what its database has (contents.applied_migrations())."""
    if not path.is_file():
        raise ExportRejected(f"{path}: no such file")
    counts: dict[str, int] = {}
    digest = hashlib.sha256()
    header: dict | None = None
    trailer: dict | None = None
    with _open(path) as stream:
        try:
            for number, line, value in _lines(stream):
                if trailer is not None:
                    raise ExportRejected(f"line {number} comes after the export's last line")
                if header is None:
                    header = _check_header(value, known, migrations)
                    listed = set(header.get("models", []))
                elif isinstance(value, dict) and "end" in value:
                    trailer = value
                    continue
                else:
                    if not (
                        isinstance(value, dict)
                        and value.get("model") in listed
                        and isinstance(value.get("fields"), dict)
                    ):
                        model = value.get("model") if isinstance(value, dict) else None
                        raise ExportRejected(
                            f"line {number} is not a record of a model the export lists ({model!r})"
                        )
                    counts[value["model"]] = counts.get(value["model"], 0) + 1
                digest.update(line)
        except (OSError, EOFError) as error:  # a gzip stream cut short, an unreadable file
            raise ExportRejected(f"{path}: {error}") from None
    if header is None:
        raise ExportRejected("the file is empty")
    if trailer is None:
        raise ExportRejected(
            f"the export ends after {sum(counts.values())} records without its last line: "
            "it was cut short"
        )
    expected = {name: count for name, count in (trailer.get("counts") or {}).items() if count}
    if expected != counts or trailer.get("records") != sum(counts.values()):
        raise ExportRejected(
            f"the export holds {sum(counts.values())} records where its last line counts "
            f"{trailer.get('records')}: it is incomplete or was changed"
        )
    if trailer.get("sha256") != digest.hexdigest():
        raise ExportRejected("the export's checksum does not match: it was changed or damaged")
    return VerifiedExport(path=path, header=header, counts=counts)


def read_records(export: VerifiedExport) -> Iterator[tuple[int, dict]]:
    """(line number, record) of every record, in file order."""
    with _open(export.path) as stream:
        for number, _line, value in _lines(stream):
            if number == 1:
                continue
            if isinstance(value, dict) and "end" in value:
                return
            yield number, value  # type: ignore[misc]
