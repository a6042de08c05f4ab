from pathlib import Path

from django.core.management.base import BaseCommand

from broadsheet.integrations.archive.exporting import export_site


class Command(BaseCommand):
    help = (
        "Write the whole site to FILE in Broadsheet's own format (JSON Lines; "
        "gzip-compressed when FILE ends in .gz), while the site serves."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE")
        parser.add_argument(
            "--with-secrets",
            action="store_true",
            help="include readers' password hashes and replies-feed keys (keep the file safe)",
        )

    def handle(self, *args, file: Path, with_secrets: bool, **options) -> None:
        summary = export_site(file, with_secrets=with_secrets)
        for name, count in summary.counts.items():
            if count:
                self.stdout.write(f"{count:>9}  {name}")
        secrets = "with" if with_secrets else "without"
        self.stdout.write(f"exported {summary.records} records to {file} ({secrets} secrets)")
