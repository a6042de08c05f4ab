from broadsheet.discussion.models import Comment
from broadsheet.translation.models import CommentTranslation, source_digest


def find_translation(*, comment: Comment, target_language: str) -> CommentTranslation | None:
    """The translation of `comment`'s current words into `target_language`, if one
    was asked for: a read, so a page asking again while it is made writes nothing."""
    return CommentTranslation.objects.filter(
        comment=comment,
        source_digest=source_digest(comment.body_markdown),
        target_language=target_language,
    ).first()
