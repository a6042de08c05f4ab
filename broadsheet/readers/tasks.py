"""Readers' background work: making a reader's download of their data, and the
standing duties of erasing accounts past their grace period, deleting expired
downloads and forgetting old sign-ins."""

import json
import time

from django.core.serializers.json import DjangoJSONEncoder
from django_tasks import task

from broadsheet.readers import operations
from broadsheet.readers.models import DataExport
from broadsheet.readers.queries import collect_reader_data


@task()
def make_data_export(export_id: int) -> bool:
    """Write the reader's data to the download's file; False if the request is gone."""
    export = DataExport.objects.select_related("reader").filter(pk=export_id).first()
    if export is None or export.status == DataExport.Status.READY:
        return False
    data = collect_reader_data(export.reader)
    content = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1).encode()
    return operations.store_data_export(export=export, content=content)


PRUNE_EVERY_SECONDS = 3600
_last_prune = {"at": float("-inf")}


def look_after_readers_data() -> int:
    """The worker's standing duty (background.worker.register_duty). Each part reads
    before it writes: an idle worker must not take SQLite's write lock on every
    look. Old sign-ins are pruned once an hour (nothing waits on them)."""
    done = operations.erase_due_accounts()
    done += operations.delete_expired_data_exports()
    if time.monotonic() - _last_prune["at"] >= PRUNE_EVERY_SECONDS:
        _last_prune["at"] = time.monotonic()
        operations.prune_sign_in_history()
    return done
