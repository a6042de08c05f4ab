"""Reading an article from a Markdown file with YAML front matter."""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import frontmatter
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from broadsheet.articles.models import Article


class FrontMatterError(ValueError):
    """The file cannot become an article; the message says which field and why."""


@dataclass(frozen=True)
class ArticleSource:
    slug: str
    title: str
    lead: str
    byline: str
    language: str
    status: str
    published_at: dt.datetime | None
    body_markdown: str
    # The slug of the original this file is an edition of ("" for an original).
    translation_of: str = ""
    machine_translated: bool = False
    alignment_fixes: dict | None = None

    def as_kwargs(self) -> dict:
        """save_article's arguments, but for `translation_of`, which the caller finds."""
        kwargs = self.__dict__.copy()
        del kwargs["translation_of"]
        return kwargs


def _as_datetime(value, field: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    else:
        parsed = parse_datetime(str(value))
        if parsed is None:
            raise FrontMatterError(f"{field}: “{value}” is not a date and time (2023-06-20 14:30)")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def read_article_source(path: Path) -> ArticleSource:
    try:
        post = frontmatter.load(path)
    except Exception as error:  # YAML errors come in several classes
        raise FrontMatterError(f"cannot read front matter: {error}") from error
    meta = post.metadata
    title = str(meta.get("title", "")).strip()
    if not title:
        raise FrontMatterError("title: missing; every article needs a headline")
    slug = str(meta.get("slug") or slugify(title))
    if not slug or slug != slugify(slug):
        raise FrontMatterError(f"slug: “{slug}” may hold only letters, digits, “-” and “_”")
    status = str(meta.get("status", Article.Status.PUBLISHED)).lower()
    if status not in Article.Status.values:
        raise FrontMatterError(
            f"status: “{status}” is not one of {', '.join(Article.Status.values)}"
        )
    if not post.content.strip():
        raise FrontMatterError("body: the article has no text below the front matter")
    original = str(meta.get("translation_of") or "").strip()
    if original and original != slugify(original):
        raise FrontMatterError(f"translation_of: “{original}” is not an article's slug")
    fixes = meta.get("alignment") or {}
    if not isinstance(fixes, dict) or not all(
        str(k).isdigit() and str(v).isdigit() for k, v in fixes.items()
    ):
        raise FrontMatterError(
            "alignment: expected lines of “edition paragraph number: original paragraph number”"
        )
    return ArticleSource(
        translation_of=original,
        machine_translated=bool(meta.get("machine_translated", False)),
        alignment_fixes={str(k): int(v) for k, v in fixes.items()},
        slug=slug,
        title=title,
        lead=str(meta.get("lead", "")).strip(),
        byline=str(meta.get("author", meta.get("byline", ""))).strip(),
        language=str(meta.get("language", "en")).strip() or "en",
        status=status,
        published_at=_as_datetime(meta.get("published", meta.get("published_at")), "published"),
        body_markdown=post.content,
    )
