from django.conf import settings
from django.core.management.base import BaseCommand

from broadsheet.background.worker import run_worker


class Command(BaseCommand):
    help = "Run background tasks (notifications, e-mail) until stopped."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="seconds between looks at an empty queue (BROADSHEET_WORKER_INTERVAL_SECONDS)",
        )
        # Used by `broadsheet serve` for the worker it starts itself.
        parser.add_argument(
            "--exit-with",
            type=int,
            default=None,
            metavar="PID",
            help="leave when the process PID is gone (how `serve` runs its worker)",
        )

    def handle(self, *args, interval: float | None, exit_with: int | None, **options):
        run_worker(
            interval=settings.BROADSHEET_WORKER_INTERVAL_SECONDS if interval is None else interval,
            exit_with=exit_with,
        )
