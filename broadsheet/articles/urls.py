from django.urls import path

from broadsheet.articles import views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<slug:slug>/", views.detail, name="detail"),
    # Comments' routes and the discussion's live stream are discussion.urls,
    # reports moderation.urls.
]
