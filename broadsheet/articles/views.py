from django.shortcuts import render

from broadsheet.articles.access import get_visible_article_or_404
from broadsheet.articles.models import Article
from broadsheet.discussion.page import build_discussion_context


def home(request):
    articles = Article.objects.published().newest_first().select_related("discussion")[:50]
    return render(request, "articles/home.html", {"articles": articles})


def render_article_page(request, article: Article, *, status: int = 200, **discussion_options):
    context = {
        "article": article,
        **build_discussion_context(request, article, **discussion_options),
    }
    return render(request, "articles/detail.html", context, status=status)


def detail(request, slug: str):
    return render_article_page(request, get_visible_article_or_404(slug))
