"""Write operations on machine translations: the only code that writes a
CommentTranslation, and the one that drafts a machine-translated edition."""

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from broadsheet.articles.models import Article
from broadsheet.articles.operations import save_article
from broadsheet.discussion.models import Comment
from broadsheet.discussion.rendering import render_comment_markdown
from broadsheet.translation.blocks import translate_markdown
from broadsheet.translation.models import CommentTranslation, source_digest
from broadsheet.translation.providers import TranslationProvider, TranslationUnavailable

# A translation that failed is tried again when someone asks after this long (the
# worker has already retried it with growing delays before calling it failed).
RETRY_FAILED_AFTER = timedelta(minutes=10)


def comment_source_language(comment: Comment) -> str:
    """The language a comment is written in: its own, or its article's."""
    return comment.language or comment.article.language


def may_try_again(translation: CommentTranslation, *, now=None) -> bool:
    """A failed translation is asked for again once it failed RETRY_FAILED_AFTER ago."""
    return (
        translation.status == CommentTranslation.Status.FAILED
        and translation.failed_at is not None
        and translation.failed_at <= (now or timezone.now()) - RETRY_FAILED_AFTER
    )


def request_translation(
    *,
    comment: Comment,
    target_language: str,
    enqueue: Callable[[int], object],
    now=None,
) -> CommentTranslation:
    """The translation of `comment`'s current words into `target_language`: the one
    made already, or a new pending one, with `enqueue(translation_id)` called in the
    same transaction (so the task and the row commit together) to make it.

    The first request for a new revision forgets the translations of the comment's
    older words: nothing shows them again."""
    now = now or timezone.now()
    digest = source_digest(comment.body_markdown)
    with transaction.atomic():
        translation, created = CommentTranslation.objects.get_or_create(
            comment=comment, source_digest=digest, target_language=target_language
        )
        if created:
            CommentTranslation.objects.filter(comment=comment).exclude(
                source_digest=digest
            ).delete()
            enqueue(translation.pk)
        elif may_try_again(translation, now=now):
            translation.status = CommentTranslation.Status.PENDING
            translation.error = ""
            translation.failed_at = None
            translation.save(update_fields=["status", "error", "failed_at"])
            enqueue(translation.pk)
    return translation


def record_translation(*, translation_id: int, text: str, now=None) -> CommentTranslation | None:
    """Store what the service made of a pending translation, rendered exactly as a
    comment is: the service's answer is text to render (Markdown subset, then the
    sanitizer), never HTML to trust. None when the row is gone."""
    with transaction.atomic():
        translation = (
            CommentTranslation.objects.select_for_update()
            .select_related("comment__article")
            .filter(pk=translation_id)
            .first()
        )
        if translation is None or translation.status != CommentTranslation.Status.PENDING:
            return translation
        comment = translation.comment
        if source_digest(comment.body_markdown) != translation.source_digest:
            # Edited while the service worked: these words are no longer the comment's.
            translation.delete()
            return None
        translation.body_html = render_comment_markdown(text, article=comment.article)
        translation.status = CommentTranslation.Status.DONE
        translation.error = ""
        translation.translated_at = now or timezone.now()
        translation.save(update_fields=["body_html", "status", "error", "translated_at"])
        return translation


def record_failure(*, translation_id: int, error: str, now=None) -> None:
    """The service could not translate it (or may not be asked: the comment left
    the page). Readers are told it is not available; `error` is for operators."""
    CommentTranslation.objects.filter(
        pk=translation_id, status=CommentTranslation.Status.PENDING
    ).update(
        status=CommentTranslation.Status.FAILED,
        error=error[:2000],
        failed_at=now or timezone.now(),
    )


def forget_translations_of_hidden_comments() -> int:
    """Delete the translations of comments no longer on the page (deleted, held,
    rejected): a deleted comment's words go, in every language. How many went."""
    hidden = Q(comment__deleted_at__isnull=False) | ~Q(comment__status=Comment.Status.VISIBLE)
    gone, _by_model = CommentTranslation.objects.filter(hidden).delete()
    return gone


def check_machine_edition(*, original: Article, language: str, slug: str) -> None:
    """Refuse, before any text is sent, an edition that could not be saved."""
    if original.translation_of_id is not None:
        raise ValidationError(
            _("“%(slug)s” is itself an edition; name its original (“%(original)s”).")
            % {"slug": original.slug, "original": original.translation_of.slug}
        )
    if original.is_external_page:
        raise ValidationError(_("An external page has no editions."))
    if original.language == language:
        raise ValidationError(
            _("“%(slug)s” is written in %(language)s already.")
            % {"slug": original.slug, "language": language}
        )
    existing = Article.objects.filter(translation_of=original, language=language).first()
    if existing is not None:
        raise ValidationError(
            _("“%(slug)s” has an edition in %(language)s already: “%(edition)s”.")
            % {"slug": original.slug, "language": language, "edition": existing.slug}
        )
    if Article.objects.filter(slug=slug).exists():
        raise ValidationError(
            _("An article with the address “%(slug)s” exists already; choose another.")
            % {"slug": slug}
        )


def draft_machine_edition(
    *, original: Article, language: str, slug: str, provider: TranslationProvider
) -> Article:
    """A draft edition of `original` in `language`, machine-translated for an editor
    to review and publish: headline, lead and body (block by block, its Markdown
    structure kept), marked `machine_translated`. The service is asked everything
    first; nothing is saved if it fails (TranslationUnavailable)."""
    check_machine_edition(original=original, language=language, slug=slug)
    source = original.language

    def translate(text: str) -> str:
        if len(text) > settings.BROADSHEET_TRANSLATION_MAX_CHARACTERS:
            raise TranslationUnavailable(
                f"a paragraph of {len(text)} characters is more than "
                "BROADSHEET_TRANSLATION_MAX_CHARACTERS",
                may_pass=False,
            )
        return provider.translate(text, source=source, target=language)

    title = " ".join(translate(original.title).split())[:300]
    lead = translate(original.lead).strip()[:2000] if original.lead.strip() else ""
    body = translate_markdown(original.body_markdown, translate)
    edition, _created = save_article(
        slug=slug,
        title=title,
        lead=lead,
        body_markdown=body,
        byline=original.byline,
        language=language,
        status=Article.Status.DRAFT,
        translation_of=original,
        machine_translated=True,
    )
    return edition
