from django.urls import path

from broadsheet.articles import views
from broadsheet.discussion.views import post_comment_view

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<slug:slug>/", views.detail, name="detail"),
    path("articles/<slug:slug>/comments/", post_comment_view, name="post_comment"),
    path(
        "articles/<slug:slug>/comments/<int:number>/",
        views.comment_permalink,
        name="comment",
    ),
]
