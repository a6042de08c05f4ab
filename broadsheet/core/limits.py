"""Rate limits for the doors abuse comes through, on django-ratelimit.

Counters live in the cache: Redis when BROADSHEET_REDIS_URL is set (so limits
hold across processes), the process's memory otherwise. Comment posting is
limited in the database instead (moderation.rules), where it is exact.
"""

from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit

WINDOW_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _rate(setting: str, period: str):
    def rate(group, request) -> str | None:
        value = str(getattr(settings, setting, "")).strip()
        return f"{value}/{period}" if value and value != "0" else None

    rate.period = period
    return rate


def limit(*, key: str, setting: str, period: str, group: str | None = None, method: str = "POST"):
    """Limit a view's POSTs (or requests of `method`, "GET" for a search that costs
    the database) to settings.<setting> per `period` ("m" or "h") per `key`; past the
    limit the view answers 429 with Retry-After instead of running.

    Views given the same `group` share one counter (the site's and the admin's
    sign-in forms are one door with two frames); by default each view has its own.
    """

    def decorate(view):
        counted = ratelimit(
            group=group, key=key, rate=_rate(setting, period), method=method, block=False
        )

        @wraps(view)
        def guarded(request, *args, **kwargs):
            if getattr(request, "limited", False):
                return too_many_requests(request, retry_after=WINDOW_SECONDS[period])
            return view(request, *args, **kwargs)

        return counted(guarded)

    return decorate


def within_limit(request, *, group: str, value: str, setting: str, period: str) -> bool:
    """Count one use of `group` for `value` (an email address, say) and say whether
    it is still within settings.<setting> per `period`; for limits that must not
    show, where the caller answers the same either way and quietly does less."""
    return not is_ratelimited(
        request,
        group=group,
        key=lambda _group, _request: value,
        rate=_rate(setting, period),
        increment=True,
    )


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
