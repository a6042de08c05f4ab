"""Write operations on articles: the only code that creates or changes an Article.

`broadsheet publish`, the admin and the demo loader all come through here, so an
article is rendered and its discussion opened the same way whichever door it
came in by, and the admin's deletes tell the page caches.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from broadsheet.articles.models import Article
from broadsheet.articles.rendering import align_paragraphs, render_article_markdown
from broadsheet.discussion.operations import open_discussion
from broadsheet.live.publishing import announce_page_change
from broadsheet.moderation.audit import audit
from broadsheet.search.operations import index_article


@transaction.atomic
def save_article(
    *,
    slug: str,
    title: str,
    body_markdown: str,
    lead: str = "",
    byline: str = "",
    language: str = "en",
    status: str = Article.Status.PUBLISHED,
    published_at: datetime | None = None,
    article_id: int | None = None,
    translation_of: Article | None = None,
    machine_translated: bool = False,
    alignment_fixes: dict | None = None,
) -> tuple[Article, bool]:
    """Create the article with this slug, or update it; returns (article, created).

    `article_id` names the article to update when its slug may be changing (the
    admin form); `broadsheet publish` finds the article by its slug instead.
    `translation_of` makes it an edition of that original, in `language`: it
    shares the original's discussion (an edition has no discussion of its own)
    and its paragraphs are aligned with the original's for quotes.
    """
    if status == Article.Status.PUBLISHED and published_at is None:
        published_at = timezone.now()
    rendered = render_article_markdown(body_markdown)
    existing = Article.objects.select_for_update()
    if article_id is not None:
        article = existing.get(pk=article_id)
    else:
        article = existing.filter(slug=slug).first()
    created = article is None
    if created:
        article = Article(slug=slug)
    elif article.body_markdown != body_markdown:
        article.revision += 1
    article.slug = slug
    article.title = title
    article.lead = lead
    article.byline = byline
    article.language = language
    article.body_markdown = body_markdown
    article.body_html = rendered.html
    article.paragraphs = rendered.paragraphs
    article.paragraph_outline = rendered.outline
    article.status = status
    article.published_at = published_at
    article.translation_of = translation_of
    article.machine_translated = machine_translated
    article.alignment_fixes = alignment_fixes or {}
    if translation_of is not None:
        article.aligned_paragraphs = align_paragraphs(
            rendered.outline, translation_of.paragraph_outline, article.alignment_fixes
        )
    else:
        article.aligned_paragraphs = {}
    article.full_clean(validate_unique=False)
    article.save()
    if translation_of is None:
        open_discussion(article=article)
        _realign_editions(article)
    index_article(article=article)
    announce_page_change(article_id=article.pk)
    if translation_of is not None:
        Article.objects.filter(pk=translation_of.pk, has_editions=False).update(has_editions=True)
        translation_of.has_editions = True
        # The original's page lists its editions in the language switcher.
        announce_page_change(article_id=translation_of.pk)
    return article, created


def _realign_editions(original: Article) -> None:
    """The original's paragraphs changed: each edition's alignment follows."""
    for edition in Article.objects.filter(translation_of=original):
        aligned = align_paragraphs(
            edition.paragraph_outline, original.paragraph_outline, edition.alignment_fixes
        )
        if aligned != edition.aligned_paragraphs:
            Article.objects.filter(pk=edition.pk).update(aligned_paragraphs=aligned)
            announce_page_change(article_id=edition.pk)


@transaction.atomic
def open_external_page(*, url: str, title: str, opened_at: datetime | None = None) -> Article:
    """The discussion of a page on another site, found by its address or opened now.

    An external page is an Article row with `external_url` set and no body: its
    discussion numbers, threads and moderates comments as any article's does,
    its page shows the discussion under a link to the address, and no listing,
    feed or sitemap names it. Only http(s) addresses are taken.
    """
    URLValidator(schemes=["http", "https"])(url)
    if len(url) > Article._meta.get_field("external_url").max_length:
        raise ValidationError("The page address is too long.")
    existing = Article.objects.filter(external_url=url).first()
    if existing is not None:
        return existing
    title = " ".join(title.split())[:300] or url[:300]
    base = slugify(title)[:100].strip("-") or "page"
    slug, n = base, 1
    while Article.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    article = Article(
        slug=slug,
        title=title,
        body_markdown="",
        external_url=url,
        status=Article.Status.PUBLISHED,
        published_at=opened_at or timezone.now(),
    )
    article.save(force_insert=True)
    open_discussion(article=article)
    return article


@transaction.atomic
def delete_article(*, article: Article, actor) -> None:
    """Delete an article for good, with its discussion, comments and votes.

    Audited, because it erases readers' words; and every process's page caches
    are told, so neither the article's page nor a list that linked it is served
    from a cache afterwards. Unpublishing (status draft, through save_article)
    is the gentler way and keeps the discussion.
    """
    article_id, slug, title = article.pk, article.slug, article.title
    article.delete()
    announce_page_change(article_id=article_id)
    audit(actor=actor, action="article.deleted", target=f"article {slug}", reason=title)
