"""What the site counts for Prometheus (`/metrics`, served by serving/metrics.py).

prometheus-client rather than django-prometheus: the hottest answers (the front
cache's) never reach Django's middleware, and django-prometheus labels by view,
which is more series than an operator needs. Every label here takes a handful of
fixed values: nothing a stranger sends becomes a label, so the number of series
cannot grow with traffic.

With several app processes (`serve --workers N`), each writes its numbers to
files in PROMETHEUS_MULTIPROC_DIR (the CLI sets it before anything imports this
module) and a scrape adds them up.
"""

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "broadsheet_requests",
    "HTTP requests answered, by kind of page and status code.",
    ["kind", "status"],
)
REQUEST_SECONDS = Histogram(
    "broadsheet_request_duration_seconds",
    "Time until the response began (for a live stream: until it opened), by kind of page.",
    ["kind"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
FRONT_CACHE = Counter(
    "broadsheet_front_cache_lookups",
    "Signed-out article pages asked of the in-process front cache: hit or miss.",
    ["result"],
)
PAGE_CACHE = Counter(
    "broadsheet_page_cache_lookups",
    "Article pages asked of the shared page cache (behind the front cache): hit or miss.",
    ["result"],
)
COMMENTS_POSTED = Counter(
    "broadsheet_comments_posted",
    "Comments taken, published at once or held for a moderator.",
    ["outcome"],
)
COMMENTS_REFUSED = Counter(
    "broadsheet_comments_refused",
    "Comments refused, by reason.",
    ["reason"],
)
LIVE_PAGES = Gauge(
    "broadsheet_live_pages_open",
    "Live streams open (one per open page).",
    multiprocess_mode="livesum",
)
LIVE_MESSAGES = Counter(
    "broadsheet_live_messages_delivered",
    "Messages handed to open live streams (one event reaching 100 pages counts 100).",
)
LIVE_OVERFLOWS = Counter(
    "broadsheet_live_overflows",
    "Live streams so far behind that they were told to reload instead.",
)
DATABASE_POOL = Gauge(
    "broadsheet_database_pool_connections",
    "PostgreSQL connections of the answering process's pool, by state.",
    ["state"],
    multiprocess_mode="liveall",
)
TASK_BACKLOG = Gauge(
    "broadsheet_task_backlog",
    "Background tasks waiting to run (ready), and the age in seconds of the oldest.",
    ["measure"],
    multiprocess_mode="mostrecent",
)

# The first path segment names the kind of page; anything else is "other".
_KINDS = {
    "": "home",
    "articles": "article",
    "live": "live",
    "static": "static",
    "api": "api",
    "embed": "embed",
    "embed.js": "embed",
    "accounts": "account",
    "readers": "account",
    "notifications": "account",
    "moderation": "moderation",
    "admin": "admin",
    "search": "search",
    "feeds": "feed",
    "sitemap.xml": "sitemap",
    "robots.txt": "sitemap",
    "healthz": "health",
    "metrics": "metrics",
}


def kind_of_path(path: str) -> str:
    """One of a few fixed kinds of page, from the path alone."""
    if path.endswith("/live/"):
        return "live"
    parts = path.split("/", 3)
    first = parts[1] if len(parts) > 1 else ""
    kind = _KINDS.get(first, "other")
    if kind == "article" and len(parts) > 3:
        rest = parts[3]
        if rest.startswith("comments/"):
            return "comment"
        if rest.startswith("feed"):
            return "feed"
    return kind
