"""The webhooks router mounted on an API of its own, as the JSON API will mount it
(the API itself is another branch's)."""

from django.urls import path
from ninja import NinjaAPI

from broadsheet.integrations.webhooks.api import router

api = NinjaAPI(urls_namespace="webhooks-test-api", docs_url=None)
api.add_router("/webhooks/", router)

urlpatterns = [path("api/", api.urls)]
