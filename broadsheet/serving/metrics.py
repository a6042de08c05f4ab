"""`/metrics` for Prometheus, and the ASGI layer that times every request.

The timing layer is outermost (asgi.py), so the front cache's answers, which
never reach Django, are counted with the rest; it labels a request only with the
kind of page its path names (core.metrics.kind_of_path) and the status code.

/metrics answers only the addresses in BROADSHEET_METRICS_ADDRESSES (addresses or
networks; loopback by default, where a scraper on the same machine or a proxy
that does not forward /metrics stands). Everyone else gets the same 404 as any
unknown page: the numbers say how busy the site is and where it hurts.
"""

import ipaddress
import os
import time
from functools import cache

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from broadsheet.background.operations import measure_task_backlog
from broadsheet.metrics import (
    DATABASE_POOL,
    REQUEST_SECONDS,
    REQUESTS,
    TASK_BACKLOG,
    kind_of_path,
)
from broadsheet.serving.request_limits import ASGIApp, Receive, Scope, Send


class RequestMetrics:
    """ASGI middleware: count each HTTP request by kind and status, and time it
    until its response starts (a live stream's whole life is not a latency)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        kind = kind_of_path(scope.get("path", ""))
        started = time.perf_counter()
        status = 0

        async def timed_send(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                REQUEST_SECONDS.labels(kind).observe(time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            # A request that ended before any answer (the client left, or an
            # error the server turned into a 500) counts as status 0.
            REQUESTS.labels(kind, str(status)).inc()


@cache
def _scrapers() -> tuple:
    return tuple(
        ipaddress.ip_network(entry, strict=False) for entry in settings.BROADSHEET_METRICS_ADDRESSES
    )


def may_scrape(address: str) -> bool:
    """Whether a request from `address` may read /metrics."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in _scrapers())


def _measure_now() -> None:
    """The gauges that are read rather than counted: read at scrape time."""
    ready, oldest_age = measure_task_backlog()
    TASK_BACKLOG.labels("ready").set(ready)
    TASK_BACKLOG.labels("oldest_seconds").set(round(oldest_age, 3))
    pool = getattr(connection, "pool", None) if connection.vendor == "postgresql" else None
    if pool is not None:
        stats = pool.get_stats()
        size = stats.get("pool_size", 0)
        idle = stats.get("pool_available", 0)
        DATABASE_POOL.labels("open").set(size)
        DATABASE_POOL.labels("idle").set(idle)
        DATABASE_POOL.labels("in_use").set(max(size - idle, 0))
        DATABASE_POOL.labels("waiting").set(stats.get("requests_waiting", 0))


@never_cache
def metrics(request) -> HttpResponse:
    if not may_scrape(request.META.get("REMOTE_ADDR", "")):
        raise Http404
    _measure_now()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
