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
