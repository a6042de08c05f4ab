import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broadsheet.settings")

# Django first: the handler and the front cache read settings.
get_asgi_application()

from broadsheet.core.asgi_handler import OneSyncThreadASGIHandler  # noqa: E402
from broadsheet.core.front_cache import FrontCache  # noqa: E402

django_application = OneSyncThreadASGIHandler()
application = FrontCache(django_application)
