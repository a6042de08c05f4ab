import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.validators import slug_re
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from broadsheet.articles import page_cache
from broadsheet.articles.access import get_visible_article_or_404
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
from broadsheet.discussion.queries import list_comment_counts, locate_comment
from broadsheet.discussion.quotes import ArticleQuoteClaim
from broadsheet.discussion.refusals import EditRefused, check_editable
from broadsheet.serving.front_cache import mark_shared

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
    article = get_visible_article_or_404(slug)
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
                return redirect(comment_url(article, comment.number))
    # Show the article again with the reader's text kept and the error beside it.
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
