from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from broadsheet.articles.models import Article
from broadsheet.discussion.forms import CommentForm
from broadsheet.discussion.models import Comment
from broadsheet.discussion.queries import list_comments_for_page, page_start_for_number


def get_visible_article_or_404(slug: str) -> Article:
    """The article a reader may see under this slug; a draft is as missing as a typo."""
    return get_object_or_404(Article.objects.published().select_related("discussion"), slug=slug)


def home(request):
    articles = Article.objects.published().newest_first().select_related("discussion")[:50]
    return render(request, "articles/home.html", {"articles": articles})


def _parse_from(request) -> int:
    try:
        return max(1, int(request.GET.get("from", "1")))
    except ValueError:
        return 1


def render_article_page(
    request,
    article: Article,
    *,
    comment_form=None,
    from_number: int | None = None,
    highlighted: int | None = None,
    status: int = 200,
):
    from_number = from_number or _parse_from(request)
    page = list_comments_for_page(article, from_number=from_number)
    if comment_form is None and request.user.is_authenticated:
        comment_form = CommentForm()
    context = {
        "article": article,
        "page": page,
        "comment_form": comment_form,
        "comment_count": getattr(getattr(article, "discussion", None), "comment_count", 0),
        "highlighted": highlighted,
    }
    return render(request, "articles/detail.html", context, status=status)


def detail(request, slug: str):
    return render_article_page(request, get_visible_article_or_404(slug))


def comment_permalink(request, slug: str, number: int):
    """Comment n of an article: the page of the discussion that holds it, n highlighted."""
    article = get_visible_article_or_404(slug)
    if not Comment.objects.for_article(article).filter(number=number).exists():
        raise Http404(_("No such comment."))
    start = page_start_for_number(article, number)
    return render_article_page(request, article, from_number=start, highlighted=number)
