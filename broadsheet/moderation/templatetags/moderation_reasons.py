"""Reasons stored as codes, put into words where a template shows them."""

from django import template

from broadsheet.moderation.reasons import describe_hold

register = template.Library()


@register.filter
def moderation_reason(comment) -> str:
    """Why `comment` is held (or was rejected), in the active language."""
    return describe_hold(comment.moderation_reason, comment.moderation_params)
