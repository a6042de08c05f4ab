"""Write operations on discussions: the only code that creates or changes comments.

The browser form, the demo loader and (later) the API and importers all post
through `post_comment`, so numbering, rendering and limits hold for every door.
"""

import uuid
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from broadsheet.discussion.models import Comment, Discussion
from broadsheet.discussion.rendering import render_comment_markdown


class CommentRejected(ValueError):
    """The comment cannot be posted; the message is written for the reader."""


def open_discussion(*, article) -> Discussion:
    """Make sure the article has its discussion row (and so its counters)."""
    discussion, _created = Discussion.objects.get_or_create(article=article)
    return discussion


def validate_comment_body(body: str) -> str:
    """Return the body as it will be stored, or raise CommentRejected saying why."""
    # Normalise line endings only: the text is otherwise kept as the author wrote it.
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        raise CommentRejected(_("The comment is empty. Please write something first."))
    limit = settings.BROADSHEET_COMMENT_MAX_LENGTH
    if len(body) > limit:
        raise CommentRejected(
            ngettext(
                "The comment is too long: %(length)d character, the limit is %(limit)d.",
                "The comment is too long: %(length)d characters, the limit is %(limit)d.",
                len(body),
            )
            % {"length": len(body), "limit": limit}
        )
    return body


def post_comment(
    *,
    article,
    author,
    body: str,
    submission_key: uuid.UUID | None = None,
    posted_at: datetime | None = None,
) -> Comment:
    """Post a comment under an article and give it the next number in that article.

    The number comes from incrementing the discussion's counter inside the same
    transaction as the insert: PostgreSQL holds the row lock until commit and
    SQLite runs one IMMEDIATE writer at a time, so two comments posted at once
    cannot get the same number, and a rolled-back insert gives its number back.
    A repeated `submission_key` from the same author returns the comment that
    key already made, so a retried form post never doubles a comment.
    """
    body = validate_comment_body(body)
    if submission_key is not None:
        existing = _find_submitted(author=author, submission_key=submission_key)
        if existing is not None:
            return existing
    # Rendered in the article's language, not the poster's: emoticons' alt text
    # is baked into the stored HTML, and every reader of this edition shares it.
    with translation.override(article.language):
        body_html = render_comment_markdown(body)
    try:
        with transaction.atomic():
            updated = Discussion.objects.filter(article=article).update(
                last_number=F("last_number") + 1, comment_count=F("comment_count") + 1
            )
            if not updated:
                Discussion.objects.create(article=article, last_number=1, comment_count=1)
            number = Discussion.objects.values_list("last_number", flat=True).get(article=article)
            comment = Comment.objects.create(
                article=article,
                number=number,
                author=author,
                body_markdown=body,
                body_html=body_html,
                created_at=posted_at or timezone.now(),
                submission_key=submission_key,
            )
    except IntegrityError:
        # Two copies of one submission racing: the other one won, return it.
        if submission_key is not None:
            existing = _find_submitted(author=author, submission_key=submission_key)
            if existing is not None:
                return existing
        raise
    return comment


def _find_submitted(*, author, submission_key: uuid.UUID) -> Comment | None:
    return (
        Comment.objects.select_related("article", "author")
        .filter(author=author, submission_key=submission_key)
        .first()
    )
