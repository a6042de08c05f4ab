"""The discussion part of an article page: which comments, in what order, with which form."""

from dataclasses import asdict, replace

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict
from django.middleware.csrf import get_token
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from broadsheet.articles.queries import EditionFamily, get_edition_family
from broadsheet.discussion.controls import VOTE_FORM, VOTE_SIGN_IN, CommentControls, controls_for
from broadsheet.discussion.forms import CommentForm
from broadsheet.discussion.links import CommentLinks, comment_url_pattern
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
from broadsheet.moderation.access import is_moderator
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
    family: EditionFamily | None = None,
) -> dict:
    """The discussion under `article`'s page. An edition's page shows its original's
    discussion (the same comments and numbers under every edition), with links,
    quotes and language labels as this edition's readers see them."""
    params = request.GET
    sort = params.get("sort") if params.get("sort") in SORTS else "oldest"
    quoting = params.get("quoting")
    thread = _int(params.get("thread"))
    viewer = request.user
    if family is None:  # else read by the caller already
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
    links = CommentLinks(article)
    for comment in page.comments:
        comment.controls = controls_for(comment, request.user, now, article=article, links=links)
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
        # Flags of the page's shape, for the kept opening tag (discussion.html).
        "partial_page": bool(page.next_cursor or page.thread or page.quoting),
        "has_previous_page": bool(page.previous_cursor),
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


# --- the personal layer (docs/personal-layer.md, ADR 0020) ------------------------------


def shows_full_page(reader) -> bool:
    """Readers whose article page Django draws whole even when their script runs:
    staff and moderators see more on it than the shared page plus a layer carries."""
    return bool(reader.is_staff or is_moderator(reader))


def _as_on_shared_page(controls: CommentControls) -> CommentControls:
    """What the page script makes of a comment's controls on the shared page for
    any signed-in reader: sign-in vote buttons become vote forms, nothing pressed."""
    vote = VOTE_FORM if controls.vote == VOTE_SIGN_IN else controls.vote
    return replace(controls, vote=vote, my_vote=0)


def build_personal_layer(request, article) -> dict:
    """What a signed-in reader's article page shows that the shared page does not,
    for the page script to apply to the shared page (personal-layer.js).

    Per comment on the page, only where the reader's controls (controls.py, as on
    the page Django draws for them) differ from the shared page's as the script
    adapts it: their votes, edit/delete on their own comments, no vote or report
    on them. Their own held comments come drawn, each with the number of the
    comment it follows on the page, at most BROADSHEET_PERSONAL_LAYER_MAX_HELD.
    """
    context = build_discussion_context(request, article)
    context["article"] = article
    page = context["page"]
    signed_out = AnonymousUser()
    now = timezone.now()
    changed: dict[str, dict] = {}
    held: list[dict] = []
    held_left_out = 0
    previous: int | None = None
    comment_template = get_template("discussion/comment.html")
    for comment in page.comments:
        if comment.is_pending:
            # Only the reader's own comments are held on their page (visible_to).
            if len(held) >= settings.BROADSHEET_PERSONAL_LAYER_MAX_HELD:
                held_left_out += 1
                continue
            html = comment_template.render({**context, "comment": comment}, request)
            held.append({"number": comment.number, "after": previous, "html": html})
            previous = comment.number
            continue
        previous = comment.number
        shared = _as_on_shared_page(controls_for(comment, signed_out, now, article=article))
        if comment.controls != shared:
            mine = asdict(comment.controls)
            changed[str(comment.number)] = {
                name: mine[name]
                for name in ("vote", "vote_url", "my_vote", "edit_url", "delete_url", "report_url")
            }
    reader = request.user
    return {
        "handle": reader.handle,
        "csrf_token": get_token(request),
        "nav": render_to_string("core/account_nav.html", {}, request),
        "follow": render_to_string("discussion/follow_form.html", context, request),
        "form": render_to_string("discussion/comment_form_area.html", context, request),
        "comments": changed,
        "held": held,
        "held_left_out": held_left_out,
        "scripts": [static("notifications/notifications.js")],
        "labels": {
            "edit": _("Edit"),
            "delete": _("Delete"),
            "more_held": ngettext(
                "%(count)d more of your comments awaits moderation: show them",
                "%(count)d more of your comments await moderation: show them",
                held_left_out,
            )
            % {"count": held_left_out},
        },
    }
