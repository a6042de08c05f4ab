import time

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

from broadsheet.articles import page_cache
from broadsheet.articles.access import get_visible_article_or_404
from broadsheet.articles.metadata import build_article_metadata
from broadsheet.articles.models import Article
from broadsheet.articles.page import head_values, story_values
from broadsheet.articles.queries import get_edition_family_if_it_has_editions
from broadsheet.discussion.page import build_discussion_context, shows_full_page
from broadsheet.live.publishing import latest_event_id
from broadsheet.serving.front_cache import mark_shared
from broadsheet.serving.kept_html import render_kept
from broadsheet.serving.personal_layer import shares_page_with_signed_in, wants_shared_page


def home(request):
    """Each story once, newest first, in the edition that suits the reader: their
    interface language if there is an edition in it, else the original."""
    stories = (
        Article.objects.originals()
        .newest_first()
        .select_related("discussion")
        .prefetch_related(
            Prefetch(
                "editions",
                queryset=Article.objects.published().only(*LISTED_FIELDS).order_by("language"),
                to_attr="published_editions",
            )
        )[:50]
    )
    language = get_language() or settings.LANGUAGE_CODE
    listing = []
    for original in stories:
        family = [original, *original.published_editions]
        shown = next((a for a in family if a.language == language), original)
        shown.comment_count = original.discussion.comment_count if original.discussion else 0
        shown.other_editions = [a for a in family if a.pk != shown.pk]
        listing.append(shown)
    return render(request, "articles/home.html", {"articles": listing})


# What the home page shows of an edition.
LISTED_FIELDS = (
    "pk", "slug", "title", "lead", "byline", "language", "published_at", "translation_of_id",
)  # fmt: skip


def render_article_page(request, article: Article, *, status: int = 200, **discussion_options):
    discussion = build_discussion_context(request, article, **discussion_options)
    family = discussion["family"]
    metadata = build_article_metadata(
        request,
        article,
        comments=discussion["page"].comments,
        comment_count=discussion["comment_count"],
    )
    context = {
        "article": article,
        **discussion,
        **metadata,
        # What no comment changes, drawn once per set of values (ADR 0025).
        "page_head": render_kept(
            "articles/page_head.html", head_values(request, article, family, og=metadata["og"])
        ),
        "story": render_kept(
            "articles/story.html",
            story_values(article, family, body_html=discussion["article_body_html"]),
        ),
    }
    return render(request, "articles/detail.html", context, status=status)


@shares_page_with_signed_in
def detail(request, slug: str):
    article = get_visible_article_or_404(slug)
    shared = page_cache.is_shared_request(request)
    if not shared and wants_shared_page(request) and not shows_full_page(request.user):
        # The reader's page script lays their personal layer over the page every
        # signed-out reader gets (docs/personal-layer.md). The front cache already
        # asks for it without the session; this is the same without the front cache.
        request.user = AnonymousUser()
        shared = True
    if not (shared and page_cache.has_page_parameters_only(request)):
        return render_article_page(request, article)
    query = page_cache.canonical_query(request.GET)
    if not page_cache.is_canonical(request, query):
        # One address per page: values the page would ignore (`?sort=zzz`) lead
        # to the page that is shown anyway, so they cannot multiply cache entries.
        return redirect(f"{request.path}?{query}" if query else request.path)
    # Read once: it is part of the cache key and, on a miss, of the page itself.
    # An edition's page shows its original's discussion: that is whose events count.
    newest_event = latest_event_id(article_id=article.original.pk)
    # Its editions too: they show on it, and save without touching its row.
    family = get_edition_family_if_it_has_editions(article)
    key = page_cache.page_key(
        request, article, family=family, newest_event=newest_event, query=query
    )
    etag = page_cache.etag_for(key)
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
        rendered_at = time.time()  # only the front cache reads it, and it keeps its own
    else:
        cached = page_cache.get_page(key)
        if cached is None:
            response = render_article_page(request, article, live_after=newest_event, family=family)
            if response.status_code != 200:
                return response
            rendered_at = page_cache.keep_page(key, response.content)
        else:
            content, rendered_at = cached
            response = HttpResponse(content)
    response["ETag"] = etag
    # A change to the page's edition or to the discussion (the original's) renews it.
    mark_shared(
        response, article_ids=sorted({article.pk, article.original.pk}), rendered_at=rendered_at
    )
    # Shared caches must not hand a signed-out page to a signed-in reader.
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    patch_cache_control(response, no_cache=True)  # always revalidate: 304s are cheap
    return response
