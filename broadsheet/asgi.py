import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broadsheet.settings")

# Django first: the handler and the front cache read settings.
get_asgi_application()

from broadsheet.discussion import stream as discussion_stream  # noqa: E402
from broadsheet.live.streams import LiveStreamRoutes  # noqa: E402
from broadsheet.notifications import stream as notification_stream  # noqa: E402
from broadsheet.serving.asgi_handler import OneSyncThreadASGIHandler  # noqa: E402
from broadsheet.serving.front_cache import FrontCache  # noqa: E402
from broadsheet.serving.metrics import RequestMetrics  # noqa: E402
from broadsheet.serving.request_limits import RequestSizeLimit  # noqa: E402

django_application = OneSyncThreadASGIHandler()
# Timing outermost, so that refusals and the front cache's answers are counted;
# then the size cap: no layer reads a body it would refuse.
site = RequestMetrics(RequestSizeLimit(FrontCache(django_application)))
# Live streams before everything: they stay open for hours, and Django's
# per-request machinery would cost each of them 100 KiB and every event 50 µs
# per page (docs/adr/0023-live-streams-outside-django.md). The route counts its
# own requests for /metrics; what it hands on (a 404, a 403) is counted by `site`.
application = LiveStreamRoutes(
    site,
    routes=[
        (discussion_stream.LIVE_PATH, discussion_stream.follow_discussion),
        (notification_stream.LIVE_PATH, notification_stream.follow_notifications),
    ],
)

# Everything loaded by now (Django, the apps, their modules and settings) lives as
# long as the process. Frozen, the garbage collector's full passes skip it and scan
# only what requests made: measured, about a third of the collector's time per post
# (docs/adr/0029-lean-post-request.md).
gc.freeze()
