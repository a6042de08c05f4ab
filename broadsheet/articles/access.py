from django.shortcuts import get_object_or_404

from broadsheet.articles.models import Article


def get_visible_article_or_404(slug: str) -> Article:
    """The article a reader may see under this slug; a draft is as missing as a typo."""
    return get_object_or_404(
        Article.objects.published().select_related(
            "discussion", "translation_of", "translation_of__discussion"
        ),
        slug=slug,
    )


# An article's text and the translation state of its paragraphs: a page shows them,
# posting under it reads none of them.
_TEXT_FIELDS = ("lead", "body_markdown", "body_html", "alignment_fixes")


def get_article_to_post_under_or_404(slug: str) -> Article:
    """The article a reader may see under this slug, with what posting a comment
    under it reads: not its text, nor its discussion's counters (posting locks and
    reads the discussion row itself), nor its original (an edition's
    `translation_of` is read when used: the query without a join costs every
    other post less)."""
    return get_object_or_404(Article.objects.published().defer(*_TEXT_FIELDS), slug=slug)
