# ruff: noqa: RUF001 - Russian text is the point here
"""Hold reasons are stored as codes with values and put into words when shown."""

import importlib

import pytest
from django.apps import apps
from django.utils import translation

from broadsheet.discussion.models import Comment, Discussion
from broadsheet.discussion.operations import post_comment
from broadsheet.moderation import reasons
from broadsheet.moderation.reasons import describe_hold

pytestmark = pytest.mark.django_db

hold_migration = importlib.import_module(
    "broadsheet.discussion.migrations.0006_hold_reasons_as_codes"
)


@pytest.mark.parametrize(
    ("code", "params", "english", "russian"),
    [
        (reasons.PREMODERATED, {}, "pre-moderated discussion", "обсуждение на премодерации"),
        (
            reasons.BREAKING_NEWS_NEW_READER,
            {},
            "breaking news: reader joined less than a day ago",
            "срочная новость: читатель зарегистрировался меньше суток назад",
        ),
        (
            reasons.NEW_READER,
            {"count": 3},
            "new reader (first 3 comments)",
            "новый читатель (3 первых комментария)",
        ),
        (
            reasons.SUSPECT_WORD,
            {"word": "idiot"},
            "suspect word “idiot”",
            "подозрительное слово «idiot»",
        ),
        (
            reasons.TOO_MANY_LINKS,
            {"count": 4},
            "too many links (4)",
            "слишком много ссылок (4)",
        ),
        (reasons.REPEATED_TEXT, {}, "same text posted again", "тот же текст отправлен повторно"),
        # A moderator's rejection reason is the English label of its choice.
        ("Off topic", {}, "Off topic", "Не по теме"),
    ],
)
def test_every_reason_reads_in_the_readers_language(code, params, english, russian):
    with translation.override("en"):
        assert describe_hold(code, params) == english
    with translation.override("ru"):
        assert describe_hold(code, params) == russian


def test_a_russian_moderator_sees_why_a_comment_is_held_in_russian(
    client, article, kestrel, moderator
):
    Discussion.objects.filter(article=article).update(mode="premoderated")
    held = post_comment(article=article, author=kestrel, body="Wait for me")
    assert (held.moderation_reason, held.moderation_params) == (reasons.PREMODERATED, {})
    client.force_login(moderator)

    russian = client.get("/moderation/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    english = client.get("/moderation/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Задержан: обсуждение на премодерации" in russian
    assert "Held: pre-moderated discussion" in english


def test_the_migration_turns_stored_sentences_into_codes_and_back(article, kestrel):
    sentences = {
        1: "pre-moderated discussion",
        2: "breaking news: reader joined less than a day ago",
        3: "new reader (first 2 comments)",
        4: "suspect word “idiot”",
        5: "too many links (4)",
        6: "same text posted again",
        7: "Spam",  # a rejection: left as it is
    }
    for number, sentence in sentences.items():
        comment = post_comment(article=article, author=kestrel, body=f"Comment {number}")
        Comment.objects.filter(pk=comment.pk).update(moderation_reason=sentence)

    hold_migration.sentences_to_codes(apps, None)

    stored = {
        c.number: (c.moderation_reason, c.moderation_params)
        for c in Comment.objects.filter(article=article)
    }
    assert stored == {
        1: ("premoderated", {}),
        2: ("breaking_news_new_reader", {}),
        3: ("new_reader", {"count": 2}),
        4: ("suspect_word", {"word": "idiot"}),
        5: ("too_many_links", {"count": 4}),
        6: ("repeated_text", {}),
        7: ("Spam", {}),
    }

    hold_migration.codes_to_sentences(apps, None)

    back = dict(Comment.objects.filter(article=article).values_list("number", "moderation_reason"))
    assert back == sentences
