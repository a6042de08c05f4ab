"""Rows to the API's JSON, saying exactly what the caller may see.

The discussion's own reads decide which comments reach here (visible_to: a held
comment only to its author; moderators read the queue); this module decides
what of each: a deleted or removed comment is a placeholder (its number, place
and author, no words), and the Markdown source goes only to its author.
"""

from django.conf import settings

from broadsheet.articles.models import Article
from broadsheet.discussion.links import comment_url
from broadsheet.discussion.models import Comment
from broadsheet.discussion.queries import DiscussionPage, attach_reader_state


def comment_state(comment: Comment) -> str:
    if comment.is_deleted:
        return "deleted"
    if comment.is_rejected:
        return "rejected"
    if comment.is_pending:
        return "held"
    return "visible"


def author_of(reader) -> dict:
    return {
        "handle": reader.handle,
        "display_name": reader.display_name,
        "online": reader.presence_seconds_left > 0,
    }


def present_comment(comment: Comment, page: Article, viewer, *, moderating: bool = False) -> dict:
    """One comment as `viewer` sees it under `page` (attach_state first). A
    moderator reading the queue (`moderating`) sees a held comment's words."""
    state = comment_state(comment)
    gone = state in ("deleted", "rejected")
    own = viewer is not None and viewer.is_authenticated and comment.author_id == viewer.pk
    parent_number = getattr(comment, "parent_number", None)
    if parent_number is None and comment.parent_id is not None:
        parent_number = comment.parent.number
    quote = None
    if comment.quote_anchor and not gone:
        quote = {
            "anchor": getattr(comment, "quote_page_anchor", None) or comment.quote_anchor,
            "text": comment.quote_text,
            "current": bool(getattr(comment, "quote_is_current", False)),
        }
    return {
        "number": comment.number,
        "parent": parent_number,
        "thread": comment.thread,
        "depth": comment.depth,
        "author": author_of(comment.author),
        "created_at": comment.created_at,
        "edited_at": comment.edited_at if not comment.is_deleted else None,
        "state": state,
        "html": None if gone else comment.body_html,
        "body": comment.body_markdown if own and not gone else None,
        "score": comment.score,
        "my_vote": getattr(comment, "my_vote", 0),
        "reply_count": comment.reply_count,
        "quote": quote,
        "language": comment.language or page.original.language,
        "url": comment_url(page, comment.number),
    }


def attach_state(comments: list[Comment], page: Article, viewer, family=None) -> None:
    """The viewer's votes on these comments (one query) and how each shows on `page`."""
    attach_reader_state(DiscussionPage("oldest", comments), page, viewer, family)


def present_article(article: Article) -> dict:
    original = article.original
    discussion = getattr(original, "discussion", None)
    mode = discussion.effective_mode if discussion else settings.BROADSHEET_DISCUSSION_MODE
    return {
        "slug": article.slug,
        "title": article.title,
        "lead": article.lead,
        "byline": article.byline,
        "language": article.language,
        "published_at": article.published_at,
        "url": article.get_absolute_url(),
        "comment_count": discussion.comment_count if discussion else 0,
        "discussion": mode,
        "original": original.slug if original.pk != article.pk else None,
    }
