from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from broadsheet.core.views import healthz
from broadsheet.integrations.api.app import urlpatterns as api_urlpatterns
from broadsheet.readers.views import admin_sign_in
from broadsheet.serving.metrics import metrics

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("healthz/", healthz),
    path("metrics", metrics, name="metrics"),
    # What crawlers may read, and where the sitemaps are (templates/robots.txt).
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain; charset=utf-8"),
        name="robots",
    ),
    # Before the admin's own URLs: its sign-in under the site's sign-in limit.
    path("admin/login/", admin_sign_in),
    path("admin/", admin.site.urls),
    # The JSON API (docs/api.md); its reference page is /api/v1/docs.
    path("api/v1/", include((api_urlpatterns, "api"), namespace="api")),
    path("", include("broadsheet.readers.urls")),
    path("", include("broadsheet.articles.urls")),
    path("", include("broadsheet.discussion.urls")),
    path("", include("broadsheet.moderation.urls")),
    path("", include("broadsheet.notifications.urls")),
    path("", include("broadsheet.search.urls")),
    path("", include("broadsheet.translation.urls")),
    path("", include("broadsheet.integrations.embed.urls")),
]
