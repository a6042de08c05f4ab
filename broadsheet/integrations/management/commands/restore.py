from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from broadsheet.integrations.archive.operations import restore_site
from broadsheet.integrations.archive.reading import ExportRejected


class Command(BaseCommand):
    help = (
        "Restore an export FILE (made by `broadsheet export`) into an empty site: "
        "all of it or, if anything is wrong with it, nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE")

    def handle(self, *args, file: Path, **options) -> None:
        try:
            result = restore_site(path=file)
        except ExportRejected as error:
            raise CommandError(f"{file}: {error}; nothing was restored") from error
        for name, count in result.counts.items():
            self.stdout.write(f"{count:>9}  {name}")
        self.stdout.write(
            f"restored {result.records} records from {file}; "
            f"search index rebuilt ({result.indexed} entries)"
        )
