"""A reader asks for a comment in the page's language: the worker asks the
service once per revision and language, and the page gets sanitized HTML."""

from html.parser import HTMLParser

import pytest
from django_tasks_db.models import DBTaskResult

from broadsheet.background.worker import run_ready_tasks
from broadsheet.discussion.operations import delete_comment, edit_comment
from broadsheet.moderation.operations import reject_comment, set_discussion_mode
from broadsheet.translation.models import CommentTranslation
from broadsheet.translation.operations import (
    forget_translations_of_hidden_comments,
    record_translation,
    request_translation,
)
from tests.translation.conftest import translation_url

pytestmark = pytest.mark.django_db


def elements(html: str) -> list[tuple[str, list]]:
    """The elements of `html` with their attributes, as a browser would parse them."""
    found = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, sorted(attrs)))

    Parser().feed(html)
    return found


def translation_tasks() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="translate_comment").count()


def test_asked_made_by_the_worker_then_shown(client, standin, russian_comment):
    first = client.get(translation_url())
    assert first.status_code == 202
    assert first.json() == {"status": "pending"}
    assert "private" in first["Cache-Control"]
    assert standin.calls() == 0  # never inside the request

    assert run_ready_tasks() == 1
    done = client.get(translation_url())
    assert done.status_code == 200
    answer = done.json()
    assert answer["status"] == "done"
    assert answer["label"] == "Machine translation"
    assert answer["language"] == "en"
    assert answer["source_language"] == "ru"
    assert answer["html"].strip() == "<p>[en] Hello, town! Good article.</p>"
    assert "private" in done["Cache-Control"]
    assert standin.last_request()["source"] == "ru"


def test_made_once_per_revision_and_language(client, signed_in_client, standin, russian_comment):
    client.get(translation_url())
    client.get(translation_url())  # the page polling: no second task
    assert translation_tasks() == 1
    run_ready_tasks()
    assert standin.calls() == 1
    for asker in (client, signed_in_client):
        assert asker.get(translation_url()).status_code == 200
    run_ready_tasks()
    assert standin.calls() == 1  # the cache answered
    assert CommentTranslation.objects.count() == 1


def test_an_edit_makes_a_new_translation_and_the_old_one_goes(
    client, standin, russian_comment, nikolai
):
    client.get(translation_url())
    run_ready_tasks()
    edit_comment(comment=russian_comment, editor=nikolai, body="Спасибо, паром!")
    assert client.get(translation_url()).status_code == 202
    run_ready_tasks()
    answer = client.get(translation_url()).json()
    assert answer["html"].strip() == "<p>[en] Thanks, ferry!</p>"
    assert standin.calls() == 2
    assert CommentTranslation.objects.count() == 1


def test_a_translation_made_of_words_since_edited_is_not_kept(standin, russian_comment, nikolai):
    translation = request_translation(
        comment=russian_comment, target_language="en", enqueue=lambda _id: None
    )
    edit_comment(comment=russian_comment, editor=nikolai, body="Спасибо, паром!")
    assert record_translation(translation_id=translation.pk, text="Hello, town!") is None
    assert not CommentTranslation.objects.exists()


def test_what_the_service_says_is_sanitized_like_a_comment(
    client, standin, original, edition, nikolai, make_comment
):
    make_comment(
        original,
        nikolai,
        "Привет <script>alert(1)</script> [город](javascript:alert(1)) "
        '<img src=x onerror="alert(2)">',
    )
    client.get(translation_url())
    run_ready_tasks()
    html = client.get(translation_url()).json()["html"]
    assert elements(html) == [("p", [])]  # the rest is text
    assert "&lt;script&gt;" in html  # shown as the text it is
    assert "[en] Hello" in html


def test_html_a_service_returns_is_never_trusted(standin, russian_comment):
    translation = request_translation(
        comment=russian_comment, target_language="en", enqueue=lambda _id: None
    )
    record_translation(
        translation_id=translation.pk,
        text='<b onclick="x()">Hi</b> <a href="javascript:alert(1)">there</a> '
        "[link](javascript:alert(1)) [ok](https://example.org)",
    )
    translation.refresh_from_db()
    assert translation.status == CommentTranslation.Status.DONE
    assert elements(translation.body_html) == [
        ("p", []),
        ("a", [("href", "https://example.org"), ("rel", "nofollow ugc noopener")]),
    ]
    assert (
        '<a href="https://example.org" rel="nofollow ugc noopener">ok</a>' in translation.body_html
    )


@pytest.fixture
def held(original, edition, nikolai, moderator, make_comment):
    set_discussion_mode(article=original, editor=moderator, mode="premoderated")
    comment = make_comment(original, nikolai, "Привет, модератор")
    set_discussion_mode(article=original, editor=moderator, mode="")
    assert comment.is_pending
    return comment


def test_another_readers_held_comment_is_missing(signed_in_client, standin, held):
    answer = signed_in_client.get(translation_url(held.number))
    missing = signed_in_client.get(translation_url(99))
    assert answer.status_code == missing.status_code == 404
    assert not CommentTranslation.objects.exists()
    assert translation_tasks() == 0


def test_a_held_comment_is_not_translated_even_for_its_author(client, standin, held, nikolai):
    client.force_login(nikolai)
    assert client.get(translation_url(held.number)).status_code == 404
    assert not CommentTranslation.objects.exists()


def test_deleted_and_rejected_comments_are_missing(
    client, standin, original, edition, nikolai, moderator, make_comment
):
    deleted = make_comment(original, nikolai, "Привет, удалю")
    delete_comment(comment=deleted, deleter=nikolai)
    rejected = make_comment(original, nikolai, "Привет, отклонят")
    reject_comment(comment=rejected, moderator=moderator, reason="spam")
    for comment in (deleted, rejected):
        assert client.get(translation_url(comment.number)).status_code == 404
    assert not CommentTranslation.objects.exists()
    assert standin.calls() == 0


def test_a_comment_hidden_before_the_worker_ran_is_sent_nowhere(
    client, standin, russian_comment, moderator
):
    assert client.get(translation_url()).status_code == 202
    reject_comment(comment=russian_comment, moderator=moderator, reason="spam")
    run_ready_tasks()
    assert standin.calls() == 0
    assert CommentTranslation.objects.get().status == CommentTranslation.Status.FAILED
    assert client.get(translation_url()).status_code == 404
    assert forget_translations_of_hidden_comments() == 1
    assert not CommentTranslation.objects.exists()


def test_a_failing_service_fails_the_translation_after_its_attempts(
    client, standin, russian_comment, settings
):
    settings.BROADSHEET_TASK_ATTEMPTS = 1
    standin.behave("error500")
    client.get(translation_url())
    run_ready_tasks()
    answer = client.get(translation_url())
    assert answer.status_code == 503
    assert answer.json()["status"] == "failed"
    translation = CommentTranslation.objects.get()
    assert "HTTP 500" in translation.error
    assert "HTTP 500" not in answer.content.decode()  # operators' detail, not readers'


def test_a_passing_failure_is_tried_again(client, standin, russian_comment, settings):
    settings.BROADSHEET_TASK_ATTEMPTS = 3
    standin.behave("error429")
    client.get(translation_url())
    run_ready_tasks()
    retry = DBTaskResult.objects.filter(task_path__endswith="translate_comment", status="READY")
    assert retry.count() == 1
    assert CommentTranslation.objects.get().status == CommentTranslation.Status.PENDING


def test_too_long_is_not_sent(client, standin, russian_comment, settings):
    settings.BROADSHEET_TRANSLATION_MAX_CHARACTERS = 10
    client.get(translation_url())
    run_ready_tasks()
    assert standin.calls() == 0
    assert client.get(translation_url()).status_code == 503


@pytest.mark.parametrize("to", ["", "xx", "english", "ru"])
def test_a_bad_language_is_a_bad_request(client, standin, russian_comment, to):
    # "ru" is the comment's own language: nothing to translate.
    assert client.get(translation_url(to=to)).status_code == 400
    assert not CommentTranslation.objects.exists()


def test_without_a_service_there_is_no_translation(client, settings, russian_comment):
    settings.BROADSHEET_TRANSLATION_URL = ""
    assert client.get(translation_url()).status_code == 404
    page = client.get("/articles/the-last-ferry-en/").content.decode()
    assert 'class="comment__language"' in page  # the label is there, the control is not
    assert "Show translation" not in page
    assert "translate.js" not in page


def test_with_a_service_the_edition_page_offers_the_control(client, standin, russian_comment):
    page = client.get("/articles/the-last-ferry-en/").content.decode()
    assert "Show translation" in page
    assert 'data-translation-url="/articles/the-last-ferry-en/comments/1/translation/?to=en"' in (
        page
    )
    assert "translation/translate." in page
    # On the original's page the comment is in the page's language: no control.
    original_page = client.get("/articles/posledniy-parom/").content.decode()
    assert "comment__translate" not in original_page


def test_readers_are_limited(client, standin, russian_comment, settings):
    settings.BROADSHEET_TRANSLATIONS_PER_MINUTE = 2
    answers = [client.get(translation_url()).status_code for _ in range(3)]
    assert answers == [202, 202, 429]
