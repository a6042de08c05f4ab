from django.urls import path

from broadsheet.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read/", views.mark_all_read, name="read"),
    path("notifications/seen/", views.seen_on_page, name="seen"),
    path("notifications/settings/", views.notification_settings, name="settings"),
    path("notifications/live/", views.notification_stream, name="live"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("articles/<slug:slug>/follow/", views.follow, name="follow"),
]
