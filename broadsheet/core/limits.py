"""Rate limits for the doors abuse comes through, on django-ratelimit.

Counters live in the cache: Redis when BROADSHEET_REDIS_URL is set (so limits
hold across processes), the process's memory otherwise. Comment posting is
limited in the database instead (moderation.rules), where it is exact.
"""

from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.decorators import ratelimit

WINDOW_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _rate(setting: str, period: str):
    def rate(group, request) -> str | None:
        value = str(getattr(settings, setting, "")).strip()
        return f"{value}/{period}" if value and value != "0" else None

    rate.period = period
    return rate


def limit(*, key: str, setting: str, period: str):
    """Limit a view's POSTs to settings.<setting> per `period` ("m" or "h") per `key`;
    past the limit the view answers 429 with Retry-After instead of running."""

    def decorate(view):
        counted = ratelimit(key=key, rate=_rate(setting, period), method="POST", block=False)

        @wraps(view)
        def guarded(request, *args, **kwargs):
            if getattr(request, "limited", False):
                return too_many_requests(request, retry_after=WINDOW_SECONDS[period])
            return view(request, *args, **kwargs)

        return counted(guarded)

    return decorate


def too_many_requests(request, exception=None, retry_after: int = 60):
    """The answer to a request over its limit: 429, and when to retry."""
    response = render(
        request,
        "core/too_many_requests.html",
        {"message": _("Too many attempts. Please wait a while and try again.")},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response
