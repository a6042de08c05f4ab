"""What an article page tells machines about itself: schema.org NewsArticle
(JSON-LD, with its comments), Open Graph and Twitter card tags.

Built from what the page already loaded (the article, its discussion counters,
the comments on the page), so it costs no query. Every address is absolute,
made from the request's own scheme and host, as the page's canonical link is.
"""

import html
import re
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils.html import strip_tags
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import to_locale

from broadsheet.articles.models import Article
from broadsheet.discussion.links import CommentLinks

# The first image of the article's (sanitized) body: the page's picture.
_FIRST_IMAGE = re.compile(r'<img\b[^>]*?\ssrc="([^"]+)"')


def first_image_url(article: Article) -> str | None:
    match = _FIRST_IMAGE.search(article.body_html)
    return html.unescape(match[1]) if match else None


# Remembered by the text itself: a page of fifty threads asked Django's HTML parser
# for the same bodies on every render (40% of this module's time). Only the text a
# page is about to show is ever asked for, and a changed body is another key.
@lru_cache(maxsize=2048)
def _plain_text(body_html: str) -> str:
    return html.unescape(strip_tags(body_html)).strip()


_HANDLE_MARK = "handle-mark-0"


@lru_cache(maxsize=16)
def _profile_pattern(script_prefix: str) -> str:
    # Reversed once, then filled in: what Reader.get_absolute_url gives, without a
    # reverse() per comment (discussion/links.py does the same for comments).
    return reverse("readers:profile", kwargs={"handle": _HANDLE_MARK})


def _profile_url(reader, pattern: str) -> str:
    # Quoted as reverse() quotes what it puts into a path.
    handle = quote(reader.handle, safe=RFC3986_SUBDELIMS + "/~:@")
    return pattern.replace(_HANDLE_MARK, handle)


def _person(reader, absolute, profile_pattern: str) -> dict:
    if reader.erased_at is not None:  # an erased account: a name, no profile (ADR 0019)
        return {"@type": "Person", "name": reader.display_name}
    return {
        "@type": "Person",
        "name": reader.display_name,
        "alternateName": reader.handle,
        "url": absolute(_profile_url(reader, profile_pattern)),
    }


_QUOTED_PATH = re.compile(r"/(?!/)[A-Za-z0-9\-._~%!$&'()*+,;=:@/?#\[\]]*")


def _absolute_maker(request):
    """request.build_absolute_uri for the page's own paths, the scheme and host
    read once: a page of fifty threads asks for a hundred addresses."""
    origin = request.build_absolute_uri("/")[:-1]

    def absolute(path: str) -> str:
        # The paths reverse() and comment_url give (from the root, already quoted):
        # build_absolute_uri puts the same origin before them and quotes nothing.
        if _QUOTED_PATH.fullmatch(path) and "/./" not in path and "/../" not in path:
            return origin + path
        return request.build_absolute_uri(path)

    return absolute


def build_article_metadata(request, article: Article, *, comments, comment_count: int) -> dict:
    """The page's `og` (Open Graph and Twitter values) and `structured_data`
    (a NewsArticle for JSON-LD). `comments` are those the page shows; only the
    ones everyone sees (not held, rejected or deleted) are named."""
    absolute = _absolute_maker(request)
    profile_pattern = _profile_pattern(get_script_prefix())
    comment_url = CommentLinks(article).url
    url = absolute(article.get_absolute_url())
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
                "url": absolute(comment_url(comment.number)),
                "dateCreated": comment.created_at.isoformat(),
                "author": _person(comment.author, absolute, profile_pattern),
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
