"""What an article page tells machines about itself: schema.org NewsArticle
(JSON-LD, with its comments), Open Graph and Twitter card tags.

Built from what the page already loaded (the article, its discussion counters,
the comments on the page), so it costs no query. Every address is absolute,
made from the request's own scheme and host, as the page's canonical link is.
"""

import html
import re

from django.conf import settings
from django.utils.html import strip_tags
from django.utils.translation import to_locale

from broadsheet.articles.models import Article
from broadsheet.discussion.links import comment_url

# The first image of the article's (sanitized) body: the page's picture.
_FIRST_IMAGE = re.compile(r'<img\b[^>]*?\ssrc="([^"]+)"')


def first_image_url(article: Article) -> str | None:
    match = _FIRST_IMAGE.search(article.body_html)
    return html.unescape(match[1]) if match else None


def _plain_text(body_html: str) -> str:
    return html.unescape(strip_tags(body_html)).strip()


def _person(reader, request) -> dict:
    if reader.erased_at is not None:  # an erased account: a name, no profile (ADR 0019)
        return {"@type": "Person", "name": reader.display_name}
    return {
        "@type": "Person",
        "name": reader.display_name,
        "alternateName": reader.handle,
        "url": request.build_absolute_uri(reader.get_absolute_url()),
    }


def build_article_metadata(request, article: Article, *, comments, comment_count: int) -> dict:
    """The page's `og` (Open Graph and Twitter values) and `structured_data`
    (a NewsArticle for JSON-LD). `comments` are those the page shows; only the
    ones everyone sees (not held, rejected or deleted) are named."""
    url = request.build_absolute_uri(article.get_absolute_url())
    image = first_image_url(article)
    image_url = request.build_absolute_uri(image) if image else None
    published = article.published_at
    modified = max(article.updated_at, published)
    shown = [
        comment
        for comment in comments
        if comment.status == comment.Status.VISIBLE and not comment.is_deleted
    ][: settings.BROADSHEET_COMMENTS_PER_PAGE]
    structured_data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": article.title[:110],  # Google shows at most 110 characters
        "description": article.lead,
        "datePublished": published.isoformat(),
        "dateModified": modified.isoformat(),
        "inLanguage": article.language,
        "publisher": {"@type": "Organization", "name": settings.BROADSHEET_SITE_NAME},
        "commentCount": comment_count,
        "comment": [
            {
                "@type": "Comment",
                "url": request.build_absolute_uri(comment_url(article, comment.number)),
                "dateCreated": comment.created_at.isoformat(),
                "author": _person(comment.author, request),
                "text": _plain_text(comment.body_html),
                "upvoteCount": comment.upvotes,
                "downvoteCount": comment.downvotes,
            }
            for comment in shown
        ],
    }
    if article.byline:
        structured_data["author"] = {"@type": "Person", "name": article.byline}
    if image_url:
        structured_data["image"] = [image_url]
    og = {
        "url": url,
        "title": article.title,
        "description": article.lead,
        "site_name": settings.BROADSHEET_SITE_NAME,
        "locale": to_locale(article.language),
        "published_time": published.isoformat(),
        "modified_time": modified.isoformat(),
        "image": image_url,
        "twitter_card": "summary_large_image" if image_url else "summary",
    }
    return {"og": og, "structured_data": structured_data}
