from django.urls import path

from broadsheet.discussion import feeds, stream, views

app_name = "discussion"

urlpatterns = [
    path("comment-counts/", views.comment_counts, name="comment_counts"),
    # Under serving.personal_layer.LAYER_PATH_PREFIX, where the front cache keeps
    # each session's layer.
    path("layer/articles/<slug:slug>/", views.personal_layer, name="personal_layer"),
    path("layer/full-page/", views.full_page, name="full_page"),
    path("articles/<slug:slug>/comments/", views.post_comment_view, name="post_comment"),
    path("articles/<slug:slug>/live/", stream.discussion_stream, name="live"),
    # Feeds: an article's comments, a reader's comments, and the private
    # replies feed, each in Atom and RSS.
    path(
        "articles/<slug:slug>/comments.atom",
        feeds.AtomArticleCommentsFeed(),
        name="article_comments_feed",
    ),
    path(
        "articles/<slug:slug>/comments.rss",
        feeds.ArticleCommentsFeed(),
        name="article_comments_rss",
    ),
    path(
        "readers/<str:handle>/comments.atom",
        feeds.AtomReaderCommentsFeed(),
        name="reader_comments_feed",
    ),
    path(
        "readers/<str:handle>/comments.rss",
        feeds.ReaderCommentsFeed(),
        name="reader_comments_rss",
    ),
    path("feeds/replies/<str:token>.atom", feeds.AtomRepliesFeed(), name="replies_feed"),
    path("feeds/replies/<str:token>.rss", feeds.RepliesFeed(), name="replies_rss"),
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
