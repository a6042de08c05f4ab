from django.urls import path

from broadsheet.articles import views
from broadsheet.discussion import views as discussion
from broadsheet.live.views import live_stream
from broadsheet.moderation.views import report_view

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<slug:slug>/", views.detail, name="detail"),
    path("comment-counts/", discussion.comment_counts, name="comment_counts"),
    path("articles/<slug:slug>/comments/", discussion.post_comment_view, name="post_comment"),
    path("articles/<slug:slug>/live/", live_stream, name="live"),
    path(
        "articles/<slug:slug>/comments/<int:number>/",
        discussion.comment_permalink,
        name="comment",
    ),
    path(
        "articles/<slug:slug>/comments/<int:number>/edit/",
        discussion.edit_comment_view,
        name="edit_comment",
    ),
    path(
        "articles/<slug:slug>/comments/<int:number>/delete/",
        discussion.delete_comment_view,
        name="delete_comment",
    ),
    path(
        "articles/<slug:slug>/comments/<int:number>/report/",
        report_view,
        name="report",
    ),
    path(
        "articles/<slug:slug>/comments/<int:number>/vote/",
        discussion.vote_view,
        name="vote",
    ),
]
