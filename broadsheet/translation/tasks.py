"""The worker's translation work. Tasks take ids and are idempotent: a
translation that is no longer pending is left alone."""

import logging
import time

from django.conf import settings

from broadsheet.background.retries import TryAgainLater, retrying_task
from broadsheet.translation import operations
from broadsheet.translation.models import CommentTranslation
from broadsheet.translation.providers import TranslationUnavailable, get_provider

logger = logging.getLogger(__name__)

# Forgetting the translations of hidden comments is a sweep, not urgent: the page
# never shows them anyway (translation/views.py asks whether the comment is on it).
SWEEP_SECONDS = 600
_last_sweep: dict[str, float | None] = {"at": None}


@retrying_task()
def translate_comment(translation_id: int, attempt: int = 1) -> str:
    translation = (
        CommentTranslation.objects.select_related("comment__article")
        .filter(pk=translation_id)
        .first()
    )
    if translation is None or translation.status != CommentTranslation.Status.PENDING:
        return "not pending"
    comment = translation.comment
    if comment.deleted_at is not None or comment.status != comment.Status.VISIBLE:
        # Hidden means hidden: held, rejected or deleted words are sent nowhere.
        operations.record_failure(translation_id=translation_id, error="comment not public")
        return "comment not public"
    provider = get_provider()
    if provider is None:
        operations.record_failure(translation_id=translation_id, error="no translation service")
        return "no translation service"
    text = comment.body_markdown
    if len(text) > settings.BROADSHEET_TRANSLATION_MAX_CHARACTERS:
        operations.record_failure(
            translation_id=translation_id,
            error=f"{len(text)} characters, more than BROADSHEET_TRANSLATION_MAX_CHARACTERS",
        )
        return "too long"
    try:
        translated = provider.translate(
            text,
            source=operations.comment_source_language(comment),
            target=translation.target_language,
        )
    except TranslationUnavailable as error:
        final = attempt >= settings.BROADSHEET_TASK_ATTEMPTS
        if not error.may_pass or final:
            logger.warning("translation %s failed: %s", translation_id, error)
            operations.record_failure(translation_id=translation_id, error=str(error))
            return "failed"
        raise TryAgainLater(str(error)) from error
    operations.record_translation(translation_id=translation_id, text=translated)
    return "done"


def forget_translations_of_hidden_comments() -> int:
    """The worker's standing duty (background.worker.register_duty), at most once
    every SWEEP_SECONDS: it reports no work, so it never keeps the worker looping."""
    last = _last_sweep["at"]
    if last is not None and time.monotonic() - last < SWEEP_SECONDS:
        return 0
    _last_sweep["at"] = time.monotonic()
    forgotten = operations.forget_translations_of_hidden_comments()
    if forgotten:
        logger.info("forgot %d translations of comments no longer shown", forgotten)
    return 0
