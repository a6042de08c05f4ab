from django.contrib import admin
from django.urls import include, path

from broadsheet.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("healthz/", healthz),
    path("admin/", admin.site.urls),
    path("", include("broadsheet.readers.urls")),
    path("", include("broadsheet.articles.urls")),
    path("", include("broadsheet.moderation.urls")),
]
