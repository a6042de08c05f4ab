"""The sitemaps: the site's pages and published articles (/sitemap.xml), and a
Google News sitemap of the articles of the last two days (/sitemap-news.xml).

Django's sitemaps framework writes the XML; the news sitemap only swaps its
template (Django has no news sitemap), adding the `news:` elements.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from broadsheet.articles.models import Article

# Google News reads articles of the last two days, at most 1,000 per sitemap.
NEWS_WINDOW = timedelta(days=2)
NEWS_LIMIT = 1000

_FIELDS = ("slug", "title", "language", "published_at", "updated_at", "translation_of_id")


def editions_of(articles: list[Article]) -> dict[int, list[Article]]:
    """Original id -> its published editions, itself included, for a page of the
    sitemap's articles: one query for the whole page."""
    originals = {article.translation_of_id or article.pk for article in articles}
    members = (
        Article.objects.published()
        .filter(Q(pk__in=originals) | Q(translation_of__in=originals))
        .only("pk", "slug", "language", "translation_of_id")
        .order_by("language")
    )
    families: dict[int, list[Article]] = {}
    for member in members:
        families.setdefault(member.translation_of_id or member.pk, []).append(member)
    return families


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
        families = editions_of([url["item"] for url in urls])
        for url in urls:
            article = url["item"]
            editions = families.get(article.translation_of_id or article.pk, [])
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
