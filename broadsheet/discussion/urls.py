from django.urls import path

from broadsheet.discussion import stream, views

app_name = "discussion"

urlpatterns = [
    path("comment-counts/", views.comment_counts, name="comment_counts"),
    path("articles/<slug:slug>/comments/", views.post_comment_view, name="post_comment"),
    path("articles/<slug:slug>/live/", stream.discussion_stream, name="live"),
    path(
        "articles/<slug:slug>/comments/<int:number>/",
        views.comment_permalink,
        name="comment",
    ),
    path(
        "articles/<slug:slug>/comments/<int:number>/edit/",
        views.edit_comment_view,
        name="edit_comment",
    ),
    path(
        "articles/<slug:slug>/comments/<int:number>/delete/",
        views.delete_comment_view,
        name="delete_comment",
    ),
    path(
        "articles/<slug:slug>/comments/<int:number>/vote/",
        views.vote_view,
        name="vote",
    ),
]
