import time

from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control, patch_vary_headers

from broadsheet.articles import page_cache
from broadsheet.articles.access import get_visible_article_or_404
from broadsheet.articles.metadata import build_article_metadata
from broadsheet.articles.models import Article
from broadsheet.discussion.page import build_discussion_context
from broadsheet.live.publishing import latest_event_id
from broadsheet.serving.front_cache import mark_shared


def home(request):
    articles = Article.objects.listed().newest_first().select_related("discussion")[:50]
    return render(request, "articles/home.html", {"articles": articles})


def render_article_page(request, article: Article, *, status: int = 200, **discussion_options):
    discussion = build_discussion_context(request, article, **discussion_options)
    context = {
        "article": article,
        **discussion,
        **build_article_metadata(
            request,
            article,
            comments=discussion["page"].comments,
            comment_count=discussion["comment_count"],
        ),
    }
    return render(request, "articles/detail.html", context, status=status)


def detail(request, slug: str):
    article = get_visible_article_or_404(slug)
    if not page_cache.is_cacheable(request):
        return render_article_page(request, article)
    query = page_cache.canonical_query(request.GET)
    if not page_cache.is_canonical(request, query):
        # One address per page: values the page would ignore (`?sort=zzz`) lead
        # to the page that is shown anyway, so they cannot multiply cache entries.
        return redirect(f"{request.path}?{query}" if query else request.path)
    # Read once: it is part of the cache key and, on a miss, of the page itself.
    newest_event = latest_event_id(article_id=article.pk)
    key = page_cache.page_key(request, article, newest_event=newest_event, query=query)
    etag = page_cache.etag_for(key)
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
        rendered_at = time.time()  # only the front cache reads it, and it keeps its own
    else:
        cached = page_cache.get_page(key)
        if cached is None:
            response = render_article_page(request, article, live_after=newest_event)
            if response.status_code != 200:
                return response
            rendered_at = page_cache.keep_page(key, response.content)
        else:
            content, rendered_at = cached
            response = HttpResponse(content)
    response["ETag"] = etag
    mark_shared(response, article_ids=[article.pk], rendered_at=rendered_at)
    # Shared caches must not hand a signed-out page to a signed-in reader.
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    patch_cache_control(response, no_cache=True)  # always revalidate: 304s are cheap
    return response
