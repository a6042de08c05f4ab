from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from broadsheet.articles.views import get_visible_article_or_404, render_article_page
from broadsheet.discussion.forms import CommentForm
from broadsheet.discussion.operations import CommentRejected, post_comment


@require_POST
@login_required
def post_comment_view(request, slug: str):
    article = get_visible_article_or_404(slug)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment = post_comment(
                article=article,
                author=request.user,
                body=form.cleaned_data["body"],
                submission_key=form.cleaned_data["submission_key"],
            )
        except CommentRejected as error:
            form.add_error("body", str(error))
        else:
            return redirect(comment.get_absolute_url())
    # Show the article again with the reader's text kept and the error beside it.
    return render_article_page(request, article, comment_form=form, status=400)
