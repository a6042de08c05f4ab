import logging
import os
import subprocess
import sys

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from broadsheet.serving.access_log import uvicorn_log_config
from broadsheet.serving.static_files import collect_static_files

logger = logging.getLogger(__name__)

GRACEFUL_SHUTDOWN_SECONDS = 5


def _allow_many_open_files() -> None:
    """Raise the open-file limit to what the system allows: every open page holds
    a connection, and the usual default of 1024 caps a process at a few hundred."""
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _start_task_worker() -> subprocess.Popen:
    """The background worker as a child process: its own database connection and
    its own pace, out of the event loop's way; it leaves when this process does,
    even one killed without the chance to stop it."""
    command = [sys.executable, "-m", "broadsheet.cli", "worker", "--exit-with", str(os.getpid())]
    return subprocess.Popen(command)  # noqa: S603 (our own command, no user input)


def _stop_task_worker(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=GRACEFUL_SHUTDOWN_SECONDS * 2)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


class Command(BaseCommand):
    # Uvicorn, chosen by measurement: see docs/adr/0001-asgi-server.md.
    help = "Serve the site (pages, admin, static files) with Uvicorn; a new site gets demo content."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on")
        parser.add_argument(
            "--workers", type=int, default=1, help="app processes (SQLite handles a few)"
        )
        parser.add_argument(
            "--no-demo", action="store_true", help="do not fill an empty site with demo content"
        )
        parser.add_argument("--no-access-log", action="store_true", help="do not log every request")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not run background tasks here (run `broadsheet worker` elsewhere)",
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        workers: int,
        no_demo: bool,
        no_access_log: bool,
        no_worker: bool,
        **options,
    ):
        _allow_many_open_files()
        if collect_static_files():
            self.stdout.write(f"Collected static files into {settings.STATIC_ROOT}")
        if not no_demo:
            # The demo app's own command, by name: serving imports no feature
            # (docs/adr/0007-layers.md), as Django's `testserver` runs `loaddata`.
            call_command("load_demo", if_empty=True, stdout=self.stdout)
        self.stdout.write(f"Broadsheet is serving on http://{host}:{port}/")
        # The worker processes read it (settings.BROADSHEET_WORKERS): see front_cache.
        os.environ["BROADSHEET_WORKERS"] = str(workers)
        worker = None if no_worker else _start_task_worker()
        try:
            self._serve(host=host, port=port, workers=workers, no_access_log=no_access_log)
        finally:
            if worker is not None:
                _stop_task_worker(worker)

    def _serve(self, *, host: str, port: int, workers: int, no_access_log: bool) -> None:
        uvicorn.run(
            "broadsheet.asgi:application",
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            access_log=not no_access_log,
            log_config=uvicorn_log_config(),
            proxy_headers=True,
            # Django's ASGI handler has no lifespan events to offer.
            lifespan="off",
            # Live streams never end by themselves: on a stop or restart, give
            # ordinary requests this long to finish, then close the streams (the
            # pages reconnect and resume where they were).
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
