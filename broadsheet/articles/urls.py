from django.contrib.sitemaps import views as sitemap_views
from django.urls import path, re_path

from broadsheet.articles import feeds, views
from broadsheet.articles.sitemaps import SITEMAPS, ArticlesSitemap, NewsSitemap, PagesSitemap

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<slug:slug>/", views.detail, name="detail"),
    # Comments' routes and the discussion's live stream are discussion.urls,
    # reports moderation.urls.
    # The site's feed of articles, of every language or of one (/feeds/articles/ru.atom).
    path("feeds/articles.atom", feeds.AtomArticlesFeed(), name="feed"),
    path("feeds/articles.rss", feeds.ArticlesFeed(), name="rss"),
    re_path(
        rf"^feeds/articles/(?P<language>{feeds.LANGUAGE_PATTERN})\.atom$",
        feeds.AtomArticlesFeed(),
        name="language_feed",
    ),
    re_path(
        rf"^feeds/articles/(?P<language>{feeds.LANGUAGE_PATTERN})\.rss$",
        feeds.ArticlesFeed(),
        name="language_rss",
    ),
    # Sitemaps: /sitemap.xml lists the pages and (the first page of) the articles;
    # the index names every section and page, the news sitemap included.
    path(
        "sitemap.xml",
        sitemap_views.sitemap,
        {"sitemaps": {"pages": PagesSitemap, "articles": ArticlesSitemap}},
        name="sitemap",
    ),
    path(
        "sitemap-index.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "articles:sitemap_section"},
        name="sitemap_index",
    ),
    # Before the sections' route, which would give it the plain template.
    path(
        "sitemap-news.xml",
        sitemap_views.sitemap,
        {"sitemaps": {"news": NewsSitemap}, "template_name": "articles/news_sitemap.xml"},
        name="news_sitemap",
    ),
    path(
        "sitemap-<str:section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
]
