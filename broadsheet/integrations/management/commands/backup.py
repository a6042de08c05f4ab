from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from broadsheet.integrations.archive.backup import BackupFailed, make_backup


class Command(BaseCommand):
    help = (
        "Make a consistent online backup of the database into DIR while the site serves "
        "(SQLite's backup API, or pg_dump), then delete the oldest beyond --keep."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", type=Path, metavar="DIR")
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            help="backups to keep in DIR, the newest (default BROADSHEET_BACKUPS_KEEP; 0: all)",
        )

    def handle(self, *args, directory: Path, keep: int | None, **options) -> None:
        if keep is not None and keep < 0:
            raise CommandError("--keep is a number of backups, 0 or more")
        try:
            result = make_backup(directory, keep=keep)
        except BackupFailed as error:
            raise CommandError(f"no backup made: {error}") from error
        self.stdout.write(f"backed up to {result.path} ({result.size} bytes)")
        for path in result.removed:
            self.stdout.write(f"removed the old backup {path}")
