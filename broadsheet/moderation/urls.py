from django.urls import path

from broadsheet.moderation import views

app_name = "moderation"

urlpatterns = [
    path("moderation/", views.queue, name="queue"),
    path("moderation/comments/<int:comment_id>/decide/", views.decide, name="decide"),
    path(
        "articles/<slug:slug>/comments/<int:number>/report/",
        views.report_view,
        name="report",
    ),
]
