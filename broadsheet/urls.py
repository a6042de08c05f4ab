from django.contrib import admin
from django.urls import include, path

from broadsheet.core.views import healthz
from broadsheet.readers.views import admin_sign_in

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("healthz/", healthz),
    # Before the admin's own URLs: its sign-in under the site's sign-in limit.
    path("admin/login/", admin_sign_in),
    path("admin/", admin.site.urls),
    path("", include("broadsheet.readers.urls")),
    path("", include("broadsheet.articles.urls")),
    path("", include("broadsheet.discussion.urls")),
    path("", include("broadsheet.moderation.urls")),
    path("", include("broadsheet.search.urls")),
]
