"""Every kind of write that changes what a signed-out reader's page shows, for the
tests that check each cache in front of that page notices it."""

from broadsheet.articles.operations import save_article
from broadsheet.discussion.operations import (
    delete_comment,
    edit_comment,
    post_comment,
    vote_on_comment,
)
from broadsheet.moderation.operations import approve_comment, reject_comment, set_discussion_mode

KINDS = ["post", "edit", "delete", "vote", "approve", "reject", "mode", "article edit"]


def hold_a_comment(*, article, author, moderator):
    """A comment waiting in the queue (made before the page is first read)."""
    set_discussion_mode(article=article, editor=moderator, mode="premoderated")
    held = post_comment(article=article, author=author, body="Held, then shown")
    set_discussion_mode(article=article, editor=moderator, mode="")
    return held


def make_write(kind: str, *, article, comment, held, author, other, moderator) -> str:
    """Make one write of `kind`; returns text the page shows only after it (or "" when
    the change shows only to signed-in readers)."""
    if kind == "post":
        post_comment(article=article, author=other, body="A new voice")
        return "A new voice"
    if kind == "edit":
        edit_comment(comment=comment, editor=author, body="Edited words")
        return "Edited words"
    if kind == "delete":
        delete_comment(comment=comment, deleter=author)
        return "Comment deleted by its author."
    if kind == "vote":
        vote_on_comment(comment=comment, voter=other, value=1)
        return "data-score>+1<"
    if kind == "approve":
        approve_comment(comment=held, moderator=moderator)
        return "Held, then shown"
    if kind == "reject":
        reject_comment(comment=comment, moderator=moderator, reason="Spam")
        return "Comment removed by a moderator."
    if kind == "mode":
        set_discussion_mode(article=article, editor=moderator, mode="closed")
        return ""  # a closed discussion differs for signed-in readers; the page must still change
    if kind == "article edit":
        save_article(
            slug=article.slug,
            title="A new headline",
            body_markdown=article.body_markdown,
            published_at=article.published_at,
        )
        return "A new headline"
    raise ValueError(kind)
