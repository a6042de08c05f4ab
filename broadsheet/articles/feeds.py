"""The site's Atom and RSS feeds of articles, and what every feed of ours shares.

The XML is Django's (the syndication framework and its feed generators); these
classes only say what goes in. Feeds are public and the same for every reader,
so they are marked for the front cache like the article page (a write to an
article they show drops them at once; none is kept more than 60 s). Private
feeds (the replies feed) say `Cache-Control: private, no-store` instead.
"""

import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.http import http_date
from django.utils.translation import gettext as _

from broadsheet.articles.models import Article
from broadsheet.core.links import absolute_links
from broadsheet.serving.front_cache import mark_shared

# A language as articles and URLs name it: "en", "ru", "pt-br".
LANGUAGE_PATTERN = r"[a-z]{2,3}(?:-[a-z0-9]{2,8})?"


@dataclass
class FeedSubject:
    """What one request's feed is about. Feed instances are shared by every
    request, so per-request state travels here, never on `self`."""

    request: HttpRequest
    obj: Any = None
    language: str | None = None
    items: list = field(default_factory=list)
    # False when the address was spelled another way than the canonical one (a
    # handle's letter case): answered, but not stored for everyone.
    canonical: bool = True

    def absolute(self, url: str) -> str:
        return self.request.build_absolute_uri(url)

    def absolute_links(self, html: str) -> str:
        """Sanitized HTML with its site-relative links and images made absolute:
        a feed reader has no page to resolve them against."""
        return absolute_links(html, f"{self.request.scheme}://{self.request.get_host()}")


class BroadsheetFeed(Feed):
    """A feed whose response is marked for the caches: public feeds for the front
    cache, private ones for nobody."""

    private = False

    def item_count(self) -> int:
        return settings.BROADSHEET_FEED_ITEMS

    def shown_article_ids(self, subject: FeedSubject) -> list[int]:
        return []

    def __call__(self, request, *args, **kwargs):
        # Django's Feed.__call__, keeping the subject to mark the response with.
        rendered_at = time.time()
        subject = self.get_object(request, *args, **kwargs)
        generator = self.get_feed(subject, request)
        if subject.language:
            generator.feed["language"] = subject.language
        response = HttpResponse(content_type=generator.content_type)
        response["Last-Modified"] = http_date(generator.latest_post_date().timestamp())
        generator.write(response, "utf-8")
        if self.private:
            patch_cache_control(response, private=True, no_store=True)
            response["X-Robots-Tag"] = "noindex"
        else:
            # Only the canonical address is stored for everyone: the front cache
            # keys on the query string too, and `?x=1`, `?x=2`, ... must not each
            # cost a render and a place among the pages it keeps.
            if subject.canonical and not request.GET:
                mark_shared(
                    response, article_ids=self.shown_article_ids(subject), rendered_at=rendered_at
                )
            patch_vary_headers(response, ["Cookie", "Accept-Language"])
            patch_cache_control(response, no_cache=True)
        return response


class ArticlesFeed(BroadsheetFeed):
    """The newest published articles, of every language or of one."""

    feed_type = Rss201rev2Feed

    def get_object(self, request, language: str | None = None) -> FeedSubject:
        articles = Article.objects.listed().newest_first()
        if language:
            articles = articles.filter(language=language)
        items = list(
            articles.only(
                "slug", "title", "lead", "byline", "language", "published_at", "updated_at"
            )[: self.item_count()]
        )
        return FeedSubject(
            request=request,
            language=language,
            items=items,
            # Any code of the right shape answers (an empty feed until articles
            # come); only the site's languages and those with articles are kept.
            canonical=not language or bool(items) or language in dict(settings.LANGUAGES),
        )

    def shown_article_ids(self, subject: FeedSubject) -> list[int]:
        return [article.pk for article in subject.items]

    def title(self, subject: FeedSubject) -> str:
        return settings.BROADSHEET_SITE_NAME

    def description(self, subject: FeedSubject) -> str:
        return _("The latest articles of %(site)s") % {"site": settings.BROADSHEET_SITE_NAME}

    def subtitle(self, subject: FeedSubject) -> str:
        return self.description(subject)

    def link(self, subject: FeedSubject) -> str:
        return reverse("articles:home")

    def items(self, subject: FeedSubject) -> list[Article]:
        return subject.items

    def item_title(self, article: Article) -> str:
        return article.title

    def item_description(self, article: Article) -> str:
        return article.lead

    def item_author_name(self, article: Article) -> str | None:
        return article.byline or None

    def item_pubdate(self, article: Article):
        return article.published_at

    def item_updateddate(self, article: Article):
        return max(article.updated_at, article.published_at)


class AtomArticlesFeed(ArticlesFeed):
    feed_type = Atom1Feed
