"""`{% render_comments comments %}`: a page's comments, each one's HTML kept
between renders (discussion/fragments.py)."""

from django import template
from django.utils.safestring import SafeString

from broadsheet.discussion.fragments import render_comments as render_comment_fragments

register = template.Library()


@register.simple_tag(takes_context=True)
def render_comments(context, comments) -> SafeString:
    """The comments as discussion/comment.html draws them, for the page's `article`
    (and its `highlighted` number); the vote forms carry the page's CSRF token,
    which is only asked for when a form shows (a signed-out page has none, and
    asking would set a cookie on a page shared by everyone). With `live` set (the
    embedded frame's list, signed by a token, not a cookie) the forms carry none."""

    def page_token() -> str:
        return "" if context.get("live") else str(context.get("csrf_token", ""))

    return render_comment_fragments(
        comments,
        article=context["article"],
        csrf_token=page_token,
        highlighted=context.get("highlighted"),
        translation_enabled=bool(context.get("translation_enabled")),
    )
