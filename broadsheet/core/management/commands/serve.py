import logging

import uvicorn
from django.core.management.base import BaseCommand

from broadsheet.demo.loader import load_demo_if_site_is_empty

logger = logging.getLogger(__name__)


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

    def handle(
        self,
        *args,
        host: str,
        port: int,
        workers: int,
        no_demo: bool,
        no_access_log: bool,
        **options,
    ):
        if not no_demo and load_demo_if_site_is_empty():
            self.stdout.write("This site was empty: loaded the demo edition.")
        self.stdout.write(f"Broadsheet is serving on http://{host}:{port}/")
        uvicorn.run(
            "broadsheet.asgi:application",
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            access_log=not no_access_log,
            proxy_headers=True,
            # Django's ASGI handler has no lifespan events to offer.
            lifespan="off",
        )
