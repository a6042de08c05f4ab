from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from broadsheet.integrations.importing.loading import FORMATS, Mapping, Phase, run_import
from broadsheet.integrations.importing.operations import ImportReport
from broadsheet.integrations.importing.records import ImportFileError


class _Bars(Phase):
    """The loader's phases as rich progress bars (shown only on a terminal)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = None

    def start(self, name: str, total: int | None) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[self.task].total)
        self.task = self.progress.add_task(name, total=total)

    def advance(self, done: int, total: int | None = None) -> None:
        self.progress.update(self.task, completed=done, total=total or None)


class Command(BaseCommand):
    help = (
        "Import another comment system's export: disqus FILE.xml, wxr FILE.xml (WordPress), "
        "isso FILE.db, remark42 FILE. Running it again imports only what is new."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("format", choices=FORMATS)
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--map",
            type=Path,
            dest="map_file",
            help="addresses that changed: lines of OLD_URL_OR_ID, NEW_SLUG_OR_URL (CSV or spaces)",
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="the address relative page paths in the export are on "
            "(default: BROADSHEET_SITE_URL)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would be imported, write nothing"
        )

    def handle(self, *args, format: str, file: Path, map_file, base_url: str, dry_run: bool, **o):
        console = Console(file=self.stdout._out)
        columns = (
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        try:
            with Progress(*columns, console=console, transient=True) as progress:
                report = run_import(
                    format,
                    file,
                    mapping=Mapping.read(map_file),
                    base_url=base_url,
                    dry_run=dry_run,
                    phase=_Bars(progress),
                )
        except ImportFileError as error:
            raise CommandError(str(error)) from error
        self._print_report(console, report, dry_run=dry_run)

    def _print_report(self, console: Console, report: ImportReport, *, dry_run: bool) -> None:
        title = f"Import from {report.source}" + (" (dry run: nothing written)" if dry_run else "")
        table = Table(title=title, show_header=False, title_justify="left")
        table.add_column("what")
        table.add_column("count", justify="right")
        rows = [
            ("threads in the file", report.threads_in_file),
            ("comments in the file", report.comments_in_file),
            ("threads mapped to articles", report.threads_to_articles),
            ("articles created from posts", report.articles_created),
            ("threads unmapped: external pages", report.threads_to_external_pages),
            ("threads imported before", report.threads_already_imported),
            ("comments imported", report.comments_imported),
            ("  of them held as spam", report.held_as_spam),
            ("  held as unapproved", report.held_as_unapproved),
            ("  deleted (placeholders)", report.deleted_placeholders),
            ("  replies placed at the top level", report.replies_placed_at_top),
            ("comments imported before", report.comments_already_imported),
            ("readers created (claimable)", report.readers_created),
            ("named guests created", report.guests_created),
            ("authors matched to readers here", report.authors_matched_to_readers),
        ]
        for what, count in rows:
            table.add_row(what, str(count))
        for reason, count in sorted(report.notes.items()):
            table.add_row(f"note: {reason}", str(count))
        skipped = sum(report.skipped.values())
        table.add_row("skipped", str(skipped))
        for reason, count in sorted(report.skipped.items()):
            table.add_row(f"  skipped: {reason}", str(count))
        console.print(table)
