"""The parts of an article page that no comment changes, as plain values: what
serving/kept_html.py draws once and remembers (ADR 0025). Every value a part
shows is here, and nothing else goes into its drawing."""

from django.utils.translation import get_language

from broadsheet.articles.models import Article
from broadsheet.articles.queries import EditionFamily


def story_values(article: Article, family: EditionFamily, *, body_html: str) -> dict:
    """What articles/story.html shows: the story, its editions and the body as
    this page marks it (`body_html`, with the counts of quotes per paragraph)."""
    original = family.original
    return {
        "LANGUAGE_CODE": get_language() or "",
        "language": article.language,
        "title": article.title,
        "lead": article.lead,
        "external_url": article.external_url,
        "editions": tuple(
            (
                edition.pk == article.pk,
                edition.language,
                edition.language_name,
                edition.get_absolute_url(),
            )
            for edition in family.published
        ),
        "byline": article.byline,
        "published_at": article.published_at,
        "is_edition": article.is_edition,
        "machine_translated": article.machine_translated,
        "original_url": original.get_absolute_url() if article.is_edition else "",
        "original_language": original.language if article.is_edition else "",
        "original_language_name": original.language_name if article.is_edition else "",
        "body_html": body_html,
    }


def head_values(request, article: Article, family: EditionFamily, *, og: dict) -> dict:
    """What articles/page_head.html shows: the page's description, canonical and
    hreflang links, Open Graph and Twitter values (`og`, from articles.metadata)
    and its comment feeds. Addresses carry the request's scheme and host, as the
    page's own canonical link does."""
    origin = f"{request.scheme}://{request.get_host()}"
    return {
        "is_external_page": article.is_external_page,
        "lead": article.lead,
        "title": article.title,
        "slug": article.slug,
        "byline": article.byline,
        "hreflangs": tuple(
            (edition.language, origin + edition.get_absolute_url()) for edition in family.published
        ),
        "x_default_url": origin + family.original.get_absolute_url(),
        **{f"og_{name}": value for name, value in og.items()},
    }
