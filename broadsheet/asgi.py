import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broadsheet.settings")

# Django first: the handler and the front cache read settings.
get_asgi_application()

from broadsheet.serving.asgi_handler import OneSyncThreadASGIHandler  # noqa: E402
from broadsheet.serving.front_cache import FrontCache  # noqa: E402
from broadsheet.serving.metrics import RequestMetrics  # noqa: E402
from broadsheet.serving.request_limits import RequestSizeLimit  # noqa: E402

django_application = OneSyncThreadASGIHandler()
# Timing outermost, so that refusals and the front cache's answers are counted;
# then the size cap: no layer reads a body it would refuse.
application = RequestMetrics(RequestSizeLimit(FrontCache(django_application)))
