"""Write operations of the archive: restoring an export into an empty site.

Restore is the one named exception to "every write goes through the feature's
operations": an export holds rows as they were (numbers given, votes counted,
comments held or rejected, audit entries written), and they are restored as
they were, not posted, voted or decided again, which would renumber comments,
re-run the rules and rate limits, mail readers and write new audit entries.
So the rows are inserted raw (Django's deserializer, `save_base(raw=True)`: no
save() override, no auto_now, no side effect), all in one transaction, into a
site that has none of them yet. What the operations would have derived on the
way is then rebuilt: the search index (search.operations.rebuild_search_index,
what `broadsheet reindex` runs), PostgreSQL's id sequences, and the caches.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.core.cache import caches
from django.core.management.color import no_style
from django.core.serializers import base as serializers_base
from django.core.serializers.python import Deserializer
from django.db import DatabaseError, IntegrityError, connection, transaction

from broadsheet.integrations.archive import contents
from broadsheet.integrations.archive.reading import (
    ExportRejected,
    VerifiedExport,
    read_records,
    verify_export,
)
from broadsheet.search.operations import rebuild_search_index


class SiteNotEmpty(ExportRejected):
    """The site already holds rows an export would restore."""


@dataclass(frozen=True)
class RestoreResult:
    counts: dict[str, int]
    indexed: int

    @property
    def records(self) -> int:
        return sum(self.counts.values())


def describe_site_contents() -> dict[str, int]:
    """What rows of the restorable models of our apps the site holds (none: empty).
    Django's groups do not count: roles restored into a site that has them already
    are matched by name."""
    found = {}
    for name, model in contents.restorable_models().items():
        if contents.is_ours(model):
            count = model._base_manager.count()
            if count:
                found[name] = count
    return found


def check_site_is_empty() -> None:
    found = describe_site_contents()
    if found:
        held = ", ".join(f"{name}: {count}" for name, count in sorted(found.items()))
        raise SiteNotEmpty(
            f"this site is not empty ({held}); restore into a new data folder "
            "(BROADSHEET_DATA_DIR) or a new database, before anything is published "
            "or `broadsheet serve` loads its demo there"
        )


def restore_site(*, path: Path) -> RestoreResult:
    """Restore the export at `path` into this empty site: check the whole file first,
    then write every row in one transaction (all or nothing), then rebuild what is
    derived from them. Raises ExportRejected (or SiteNotEmpty) with the reason."""
    known = contents.restorable_models()
    check_site_is_empty()  # before reading a large file for nothing; again below, locked
    export = verify_export(path, known=known, migrations=contents.applied_migrations())
    with transaction.atomic():
        check_site_is_empty()
        counts = _insert_rows(export, known)
        if counts != export.counts:
            # The file changed between the check and the write: write nothing.
            raise ExportRejected("the export changed while it was being restored")
        try:
            connection.check_constraints()
        except IntegrityError as error:
            raise ExportRejected(f"the export's rows do not fit together: {error}") from error
        _reset_sequences(known.values())
    indexed = rebuild_search_index()
    for cache in caches.all():
        cache.clear()  # pages and counts cached while the site was empty
    return RestoreResult(counts=counts, indexed=indexed)


def _insert_rows(export: VerifiedExport, known: dict[str, type]) -> dict[str, int]:
    counts: dict[str, int] = {}
    at: dict = {"line": 1, "record": {}}

    def records():
        for number, record in read_records(export):
            at["line"], at["record"] = number, record
            yield record

    try:
        for restored in Deserializer(records(), handle_forward_references=False):
            name = at["record"]["model"]
            # Rows of our apps are new here (the site is empty): inserted with their
            # own ids. Django's rows (groups) are matched by natural key, and
            # updated when the site has them already.
            restored.save(force_insert=contents.is_ours(known[name]))
            counts[name] = counts.get(name, 0) + 1
    except (serializers_base.DeserializationError, DatabaseError, ValueError) as error:
        record = at["record"]
        raise ExportRejected(
            f"line {at['line']} ({record.get('model')} {record.get('pk', '')}) "
            f"cannot be restored: {error}"
        ) from error
    return counts


def _reset_sequences(models) -> None:
    """Rows came with their ids; the next row made here must get the next id, not
    one of theirs (PostgreSQL's sequences do not move on an insert with an id;
    SQLite's AUTOINCREMENT does, and needs no statement)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
