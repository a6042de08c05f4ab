"""The sitemaps: the site's pages and published articles (/sitemap.xml), and a
Google News sitemap of the articles of the last two days (/sitemap-news.xml).

Django's sitemaps framework writes the XML; the news sitemap only swaps its
template (Django has no news sitemap), adding the `news:` elements.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from django.utils import timezone

from broadsheet.articles.models import Article

# Google News reads articles of the last two days, at most 1,000 per sitemap.
NEWS_WINDOW = timedelta(days=2)
NEWS_LIMIT = 1000

_FIELDS = ("slug", "title", "language", "published_at", "updated_at")


def editions_of(article: Article) -> list[Article]:
    """The article's editions in every language, itself included.

    Editions in other languages are a later issue; until they land every article
    is its only edition, and the sitemap writes no hreflang alternates (a set of
    one says nothing). When they land, this is the one place to fill in.
    """
    return [article]


def _w3c(moment) -> str:
    return moment.replace(microsecond=0).isoformat()


class PagesSitemap(Sitemap):
    """The site's own pages that are not articles: the home page."""

    changefreq = "hourly"

    def items(self) -> list[str]:
        return ["articles:home"]

    def location(self, name: str) -> str:
        return reverse(name)


class ArticlesSitemap(Sitemap):
    """Every published article, newest first, with its last change and the
    hreflang alternates of its editions."""

    @property
    def limit(self) -> int:
        return settings.BROADSHEET_SITEMAP_PAGE_SIZE

    def items(self):
        return Article.objects.listed().newest_first().only(*_FIELDS)

    def lastmod(self, article: Article):
        return max(article.updated_at, article.published_at)

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        origin = f"{self.get_protocol(protocol)}://{self.get_domain(site)}"
        for url in urls:
            editions = editions_of(url["item"])
            if len(editions) > 1:
                url["alternates"] = [
                    {"lang_code": edition.language, "location": origin + edition.get_absolute_url()}
                    for edition in editions
                ]
        return urls


class NewsSitemap(Sitemap):
    """Articles published in the last two days, for Google News."""

    limit = NEWS_LIMIT

    def items(self):
        since = timezone.now() - NEWS_WINDOW
        return (
            Article.objects.listed().filter(published_at__gte=since).newest_first().only(*_FIELDS)
        )

    def lastmod(self, article: Article):
        return max(article.updated_at, article.published_at)

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        for url in urls:
            url["publication_name"] = settings.BROADSHEET_SITE_NAME
            # W3C datetimes to the second, as Google News documents them.
            url["publication_date"] = _w3c(url["item"].published_at)
            url["lastmod_w3c"] = _w3c(url["lastmod"])
        return urls


SITEMAPS = {"pages": PagesSitemap, "articles": ArticlesSitemap, "news": NewsSitemap}
