import hashlib
import json
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.validators import slug_re
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from broadsheet.articles import page_cache
from broadsheet.articles.access import get_article_to_post_under_or_404, get_visible_article_or_404
from broadsheet.articles.views import render_article_page
from broadsheet.core.limits import limit
from broadsheet.discussion.access import (
    find_visible_comment,
    get_own_comment_or_404,
    get_visible_comment_or_404,
)
from broadsheet.discussion.forms import CommentForm, EditCommentForm
from broadsheet.discussion.links import comment_url
from broadsheet.discussion.operations import (
    CommentRejected,
    delete_comment,
    edit_comment,
    post_comment,
    vote_on_comment,
)
from broadsheet.discussion.page import build_personal_layer, shows_full_page
from broadsheet.discussion.queries import list_comment_counts, locate_comment
from broadsheet.discussion.quotes import ArticleQuoteClaim
from broadsheet.discussion.refusals import EditRefused, check_editable
from broadsheet.serving.front_cache import mark_shared
from broadsheet.serving.personal_layer import (
    MARKER_COOKIE,
    MARKER_FULL_PAGE,
    MARKER_SHARED,
    clear_marker,
    mark_personal,
    set_marker,
)

MAX_COUNTED_ARTICLES = 100


@require_http_methods(["GET", "HEAD"])
def comment_counts(request):
    """How many comments each named article shows: `?article=a&article=b` (a home
    page or another site's article list asks for all of its links at once)."""
    slugs = list(dict.fromkeys(request.GET.getlist("article")))
    if not slugs:
        return JsonResponse({"error": _("Name at least one article: ?article=slug.")}, status=400)
    if len(slugs) > MAX_COUNTED_ARTICLES:
        message = _("Ask for at most %(count)d articles at once.") % {"count": MAX_COUNTED_ARTICLES}
        return JsonResponse({"error": message}, status=400)
    if any(not slug_re.fullmatch(slug) for slug in slugs):
        return JsonResponse(
            {"error": _("An article name may hold only letters, digits, - and _.")}, status=400
        )
    found = list_comment_counts(slugs)
    counts = {slug: count for _pk, slug, count in found}
    response = JsonResponse({"counts": {slug: counts[slug] for slug in slugs if slug in counts}})
    if len(found) == len(slugs) and page_cache.is_shared_request(request):
        # Every article it names is known, so a change to any of them reaches the
        # front cache; a missing one might be published any moment.
        mark_shared(
            response, article_ids=[pk for pk, _slug, _count in found], rendered_at=time.time()
        )
    patch_vary_headers(response, ["Cookie"])
    patch_cache_control(response, no_cache=True)
    return response


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
@login_required
def post_comment_view(request, slug: str):
    article = get_article_to_post_under_or_404(slug)
    form = CommentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        parent = None
        if data["parent"]:
            # Only a comment the reader can see: someone else's held comment is as
            # missing as a typo (post_comment checks this again for every door).
            parent = find_visible_comment(article.original, data["parent"], request.user)
            if parent is None:
                form.add_error("body", _("The comment you are replying to does not exist."))
        quote = None
        if data["quote_anchor"] and data["quote_text"]:
            quote = ArticleQuoteClaim(anchor=data["quote_anchor"], text=data["quote_text"])
        if not form.errors:
            try:
                comment = post_comment(
                    article=article.original,
                    edition=article,
                    author=request.user,
                    body=data["body"],
                    parent=parent,
                    quote=quote,
                    submission_key=data["submission_key"],
                    language=data["language"] or article.language,
                )
            except CommentRejected as error:
                form.add_error("body", str(error))
            else:
                # The address is known: `redirect()` would first try to reverse it
                # as a view name, and fail, on every post.
                return HttpResponseRedirect(comment_url(article, comment.number))
    # Show the article again with the reader's text kept and the error beside it
    # (the whole article this time: posting fetched only what it reads).
    article = get_visible_article_or_404(slug)
    return render_article_page(request, article, comment_form=form, status=400)


def comment_permalink(request, slug: str, number: int):
    """Comment n of an article: the page of the discussion that holds it, n highlighted."""
    article = get_visible_article_or_404(slug)
    comment = get_visible_comment_or_404(article.original, number, request.user)
    return render_article_page(
        request, article, location=locate_comment(article.original, comment), highlighted=number
    )


@login_required
@require_http_methods(["GET", "POST"])
@limit(key="user", setting="BROADSHEET_EDITS_PER_MINUTE", period="m")
def edit_comment_view(request, slug: str, number: int):
    article = get_visible_article_or_404(slug)  # the page: an edition's, maybe
    comment = get_own_comment_or_404(article.original, number, request.user)
    form = EditCommentForm(request.POST or None, initial={"body": comment.body_markdown})
    refusal = None
    try:
        check_editable(comment=comment, editor=request.user)
    except EditRefused as error:
        refusal = str(error)
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            edit_comment(comment=comment, editor=request.user, body=form.cleaned_data["body"])
        except EditRefused as error:
            refusal = str(error)
        except CommentRejected as error:
            form.add_error("body", str(error))
        else:
            return redirect(comment_url(article, comment.number))
    status = 403 if refusal else (400 if request.method == "POST" else 200)
    context = {"article": article, "comment": comment, "form": form, "refusal": refusal}
    return render(request, "discussion/edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def delete_comment_view(request, slug: str, number: int):
    article = get_visible_article_or_404(slug)  # the page: an edition's, maybe
    comment = get_own_comment_or_404(article.original, number, request.user)
    if request.method == "POST":
        delete_comment(comment=comment, deleter=request.user)
        messages.success(request, _("Your comment was deleted. Its number and replies stay."))
        return redirect(comment_url(article, comment.number))
    return render(request, "discussion/delete.html", {"article": article, "comment": comment})


VOTE_VALUES = {"up": 1, "down": -1, "none": 0}


@login_required
@require_http_methods(["GET", "POST"])
@limit(key="user", setting="BROADSHEET_VOTES_PER_MINUTE", period="m")
def vote_view(request, slug: str, number: int):
    article = get_visible_article_or_404(slug)
    comment = get_visible_comment_or_404(article.original, number, request.user)
    back = comment_url(article, comment.number)
    if request.method == "GET":
        # Where sign-in sends a reader who pressed a vote button while signed out.
        return redirect(back)
    value = VOTE_VALUES.get(request.POST.get("value", ""))
    try:
        if value is None:
            raise CommentRejected(_("A vote is “up”, “down” or “none”."))
        result = vote_on_comment(comment=comment, voter=request.user, value=value)
    except CommentRejected as error:
        if _wants_json(request):
            return JsonResponse({"error": str(error)}, status=400)
        messages.error(request, str(error))
        return redirect(back)
    if _wants_json(request):
        return JsonResponse(
            {
                "number": comment.number,
                "score": result.score,
                "upvotes": result.upvotes,
                "downvotes": result.downvotes,
                "vote": result.value,
            }
        )
    return redirect(back)


@require_http_methods(["GET", "HEAD"])
@limit(key="user", setting="BROADSHEET_PERSONAL_LAYERS_PER_MINUTE", period="m", method="GET")
def personal_layer(request, slug: str):
    """The signed-in reader's own part of an article page (page.build_personal_layer),
    for the page script to lay over the shared page. Answering it sets the marker
    cookie that gets the reader the shared page from now on (docs/personal-layer.md)."""
    article = get_visible_article_or_404(slug)
    reader = request.user
    if not reader.is_authenticated:
        # Signed out, or a session that ended: nothing personal, and the shared
        # page is what this reader gets anyway.
        response = JsonResponse({"error": _("You are not signed in.")}, status=401)
        clear_marker(response)
        patch_cache_control(response, private=True, no_store=True)
        return response
    if shows_full_page(reader):
        response = JsonResponse({"full_page": True})
        set_marker(response, MARKER_FULL_PAGE)
        patch_cache_control(response, private=True, no_store=True)
        return response
    query = page_cache.canonical_query(request.GET)
    if request.GET.keys() - set(page_cache.PAGE_PARAMETERS) or not page_cache.is_canonical(
        request, query
    ):
        # The page's own address, and nothing else: each variant is a cache entry.
        return JsonResponse({"error": _("Ask with the page's own parameters.")}, status=400)
    rendered_at = time.time()
    body = json.dumps(build_personal_layer(request, article)).encode()
    response = HttpResponse(body, content_type="application/json")
    response["ETag"] = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if request.COOKIES.get(MARKER_COOKIE) == MARKER_SHARED:
        # The front cache keeps it for this session until the discussion or the
        # reader changes (an answer that sets a cookie is never kept).
        mark_personal(
            response,
            article_ids=sorted({article.pk, article.original.pk}),
            reader_id=reader.pk,
            rendered_at=rendered_at,
        )
    else:
        set_marker(response, MARKER_SHARED)
    patch_vary_headers(response, ["Cookie"])
    patch_cache_control(response, private=True, no_cache=True)
    return response


@require_http_methods(["GET", "HEAD"])
def full_page(request):
    """The way back to the page Django draws for the reader, from a shared page
    whose script does not run (the `<noscript>` link): forget the marker, go back.
    A GET, and harmless to be sent to: it only ever costs a slower page."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    clear_marker(response)
    return response
