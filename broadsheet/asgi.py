import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broadsheet.settings")

# Django first: the front cache reads settings when it is built.
django_application = get_asgi_application()

from broadsheet.core.front_cache import FrontCache  # noqa: E402

application = FrontCache(django_application)
