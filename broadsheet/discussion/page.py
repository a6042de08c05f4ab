"""The discussion part of an article page: which comments, in what order, with which form."""

from django.http import QueryDict
from django.utils import timezone

from broadsheet.articles.queries import get_edition_family
from broadsheet.discussion.controls import controls_for
from broadsheet.discussion.forms import CommentForm
from broadsheet.discussion.links import comment_url_pattern
from broadsheet.discussion.models import Comment
from broadsheet.discussion.paragraphs import mark_quoted_paragraphs
from broadsheet.discussion.queries import (
    SORTS,
    CommentLocation,
    attach_reader_state,
    list_discussion_page,
    list_quotes_of_paragraph,
    list_thread_page,
)
from broadsheet.discussion.quotes import quote_as_markdown
from broadsheet.live.publishing import latest_event_id
from broadsheet.notifications.queries import is_following


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _prefilled_form(article, params: QueryDict, user) -> tuple[CommentForm | None, Comment | None]:
    """The comment form, set up as a reply or with a quote when asked for by a link."""
    if not user.is_authenticated:
        return None, None
    reply_to = _int(params.get("reply_to"))
    quote_of = _int(params.get("quote_comment"))
    wanted = reply_to or quote_of
    target = (
        Comment.objects.for_article(article)
        .live()
        .select_related("author")
        .filter(number=wanted)
        .first()
        if wanted
        else None
    )
    initial = {}
    if target is not None and reply_to:
        initial["parent"] = target.number
    if target is not None and quote_of:
        quoted = f"#{target.number} {target.author.handle}:\n{target.body_markdown}"
        initial["body"] = quote_as_markdown(quoted) + "\n\n"
    return CommentForm(initial=initial), (target if reply_to else None)


def build_discussion_context(
    request,
    article,
    *,
    comment_form: CommentForm | None = None,
    location: CommentLocation | None = None,
    highlighted: int | None = None,
    live_after: int | None = None,
) -> dict:
    """The discussion under `article`'s page. An edition's page shows its original's
    discussion (the same comments and numbers under every edition), with links,
    quotes and language labels as this edition's readers see them."""
    params = request.GET
    sort = params.get("sort") if params.get("sort") in SORTS else "oldest"
    quoting = params.get("quoting")
    thread = _int(params.get("thread"))
    viewer = request.user
    family = get_edition_family(article)
    source = article.original  # whose discussion it is
    if location is not None and location.thread is not None:
        page = list_thread_page(
            source, thread=location.thread, from_path=location.from_path, viewer=viewer
        )
    elif location is not None:
        page = list_discussion_page(source, sort="oldest", cursor=location.cursor, viewer=viewer)
    elif quoting:
        anchor = quoting[:40]
        page = list_quotes_of_paragraph(
            source, anchor=anchor, same_paragraph=family.same_paragraph(article, anchor)
        )
    elif thread:
        page = list_thread_page(
            source, thread=thread, from_path=params.get("at", "")[:255], viewer=viewer
        )
    else:
        page = list_discussion_page(source, sort=sort, cursor=params.get("from"), viewer=viewer)
    attach_reader_state(page, article, request.user, family)
    now = timezone.now()
    for comment in page.comments:
        comment.controls = controls_for(comment, request.user, now, article=article)
    replying_to = None
    if comment_form is None:
        comment_form, replying_to = _prefilled_form(source, params, request.user)
    if comment_form is not None and not comment_form.is_bound:
        comment_form.initial.setdefault("language", article.language)
    discussion = getattr(source, "discussion", None)
    article_url = article.get_absolute_url()
    closed = discussion is not None and discussion.effective_mode == "closed"
    quote_counts = family.quote_counts_on(article, discussion.quote_counts if discussion else {})
    return {
        "family": family,
        # Only on a signed-in reader's page, which is never a shared one.
        "following": viewer.is_authenticated and is_following(reader=viewer, article=source),
        "discussion_closed": closed,
        "discussion_premoderated": discussion is not None
        and discussion.effective_mode == "premoderated",
        "page": page,
        "sort": page.sort,
        "sorts": SORTS,
        "comment_form": comment_form,
        "replying_to": replying_to,
        "comment_count": discussion.comment_count if discussion else 0,
        "article_body_html": mark_quoted_paragraphs(article.body_html, quote_counts, article_url),
        "highlighted": highlighted,
        "comment_url_pattern": comment_url_pattern(article),
        "live_after": live_after
        if live_after is not None
        else latest_event_id(article_id=source.pk),
    }
