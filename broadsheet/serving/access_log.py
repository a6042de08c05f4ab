"""Uvicorn's access log, with request lines cut to a bounded length.

A request line is the client's to choose: left whole, one request with a
60 KB query string writes 60 KB to the log, and a few thousand fill a disk.
Control characters are escaped too, so a path cannot forge a log line.
"""

import copy
import logging
import re

import uvicorn.config
from django.conf import settings

# A single sign-on link carries its signed token in the query string: one-time
# and short-lived, but a log is kept longer and read by more people than that.
_SECRET_IN_QUERY = re.compile(r"([?&]token=)[^&#]*")


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, control characters escaped, cuts marked with "…"."""
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    if len(text) <= limit:
        return text
    return text[:limit] + f"…[{len(text) - limit} more]"


class ShortRequestLines(logging.Filter):
    """Cuts the path (with its query) that Uvicorn logs for every request."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # Uvicorn logs (client, method, path, http version, status).
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            limit = settings.BROADSHEET_ACCESS_LOG_MAX_PATH
            path = shorten(_SECRET_IN_QUERY.sub(r"\1[redacted]", args[2]), limit)
            record.args = (*args[:2], path, *args[3:])
            # Fields of their own for the JSON format (the plain one ignores them).
            record.client, record.method, record.path = args[0], args[1], path
            record.status = args[4]
        return True


def uvicorn_log_config() -> dict:
    """Uvicorn's own logging set-up with the filter on its access log; a dict, so
    worker processes set it up again by themselves."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["short_request_lines"] = {
        "()": "broadsheet.serving.access_log.ShortRequestLines"
    }
    config["handlers"]["access"]["filters"] = ["short_request_lines"]
    if settings.BROADSHEET_LOG_FORMAT == "json":
        for name in ("default", "access"):
            config["formatters"][name] = dict(settings.LOG_FORMATTERS["json"])
    return config
