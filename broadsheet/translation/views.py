from django.conf import settings
from django.http import Http404, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from broadsheet.articles.access import get_visible_article_or_404
from broadsheet.articles.queries import get_edition_family
from broadsheet.core.limits import limit
from broadsheet.discussion.access import get_visible_comment_or_404
from broadsheet.translation.models import CommentTranslation
from broadsheet.translation.operations import (
    comment_source_language,
    may_try_again,
    request_translation,
)
from broadsheet.translation.providers import translation_enabled
from broadsheet.translation.queries import find_translation
from broadsheet.translation.tasks import translate_comment


def _answer(data: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status)
    # One reader's answer: it depends on what they may see.
    patch_cache_control(response, private=True, no_store=True)
    return response


def _languages_of(article) -> set[str]:
    """The languages a comment under `article` may be translated into: the site's
    and those of the article's editions."""
    languages = {code for code, _name in settings.LANGUAGES}
    languages.update(edition.language for edition in get_edition_family(article).published)
    return languages


@require_http_methods(["GET"])
@limit(key="user_or_ip", setting="BROADSHEET_TRANSLATIONS_PER_MINUTE", period="m", method="GET")
def comment_translation(request, slug: str, number: int):
    """`?to=LANG`: comment `number` in LANG, machine-translated. 200 with the HTML
    when it is made, 202 while the worker makes it (the page asks again), 503 when
    the service failed; 404 without a service, or for a comment not on the page
    (held, rejected, deleted: hidden means hidden, and never sent anywhere)."""
    if not translation_enabled():
        raise Http404(_("Translation is not available on this site."))
    article = get_visible_article_or_404(slug)
    comment = get_visible_comment_or_404(article.original, number, request.user)
    if comment.deleted_at is not None or comment.status != comment.Status.VISIBLE:
        raise Http404(_("No such comment."))
    target = request.GET.get("to", "")
    if target not in _languages_of(article.original):
        return _answer({"error": _("Name a language to translate into: ?to=en.")}, status=400)
    if target == comment_source_language(comment):
        return _answer({"error": _("The comment is written in that language.")}, status=400)
    translation = find_translation(comment=comment, target_language=target)
    if translation is None or may_try_again(translation):
        translation = request_translation(
            comment=comment, target_language=target, enqueue=translate_comment.enqueue
        )
    if translation.status == CommentTranslation.Status.DONE:
        return _answer(
            {
                "status": "done",
                "html": translation.body_html,
                "language": target,
                "source_language": comment_source_language(comment),
                "label": _("Machine translation"),
            }
        )
    if translation.status == CommentTranslation.Status.FAILED:
        return _answer(
            {"status": "failed", "error": _("The translation is not available right now.")},
            status=503,
        )
    return _answer({"status": "pending"}, status=202)
