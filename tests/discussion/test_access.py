"""A comment a reader may not see is, to every view, a comment that does not exist.

Nikolai's comment 1 is held for a moderator; Anna (kestrel-7) is signed in. Each
view is asked about comment 1 (held) and comment 99 (missing): the answers must
be the same, and nothing may be written.
"""

import pytest

from broadsheet.discussion.access import (
    find_visible_comment,
    get_own_comment_or_404,
    get_visible_comment_or_404,
)
from broadsheet.discussion.models import Comment, Vote
from broadsheet.moderation.models import Report
from broadsheet.moderation.operations import set_discussion_mode

pytestmark = pytest.mark.django_db

HELD, MISSING = 1, 99


@pytest.fixture
def held(article, nikolai, moderator, make_comment):
    set_discussion_mode(article=article, editor=moderator, mode="premoderated")
    comment = make_comment(article, nikolai, "Waiting for a moderator")
    set_discussion_mode(article=article, editor=moderator, mode="")
    assert comment.is_pending and comment.number == HELD
    return comment


def url(number: int, action: str = "") -> str:
    return f"/articles/the-last-ferry/comments/{number}/{action + '/' if action else ''}"


@pytest.mark.parametrize(
    ("method", "action", "data", "headers"),
    [
        ("post", "vote", {"value": "up"}, {}),
        ("post", "vote", {"value": "up"}, {"HTTP_ACCEPT": "application/json"}),
        ("get", "vote", {}, {}),
        ("get", "report", {}, {}),
        ("post", "report", {"reason": "spam", "text": ""}, {}),
        ("get", "", {}, {}),
        ("get", "edit", {}, {}),
        ("post", "edit", {"body": "Rewritten"}, {}),
        ("post", "delete", {}, {}),
    ],
)
def test_another_readers_held_comment_is_as_missing_as_a_typo(
    signed_in_client, held, method, action, data, headers
):
    send = getattr(signed_in_client, method)
    answers = [send(url(number, action), data, **headers) for number in (HELD, MISSING)]
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].content == answers[1].content
    held.refresh_from_db()
    assert (held.score, held.report_count, held.body_markdown) == (
        0,
        0,
        "Waiting for a moderator",
    )
    assert not Vote.objects.exists() and not Report.objects.exists()


def test_a_reply_to_another_readers_held_comment_is_answered_as_a_reply_to_a_missing_one(
    signed_in_client, held
):
    answers = [
        signed_in_client.post(
            "/articles/the-last-ferry/comments/",
            {"body": "Replying to what I should not see", "parent": number},
        )
        for number in (HELD, MISSING)
    ]
    assert [a.status_code for a in answers] == [400, 400]
    for answer in answers:
        assert "The comment you are replying to does not exist." in answer.content.decode()
    assert Comment.objects.count() == 1


def test_the_author_still_sees_and_reaches_their_held_comment(client, held, nikolai, article):
    client.force_login(nikolai)
    assert client.get(url(HELD)).status_code == 200
    assert client.get(url(HELD, "edit")).status_code == 200
    assert get_visible_comment_or_404(article, HELD, nikolai) == held
    assert get_own_comment_or_404(article, HELD, nikolai) == held


def test_access_answers_the_same_for_held_and_missing(article, held, kestrel, nikolai):
    from django.contrib.auth.models import AnonymousUser
    from django.http import Http404

    for reader in (kestrel, AnonymousUser()):
        assert find_visible_comment(article, HELD, reader) is None
        for number in (HELD, MISSING):
            with pytest.raises(Http404):
                get_visible_comment_or_404(article, number, reader)
            with pytest.raises(Http404):
                get_own_comment_or_404(article, number, reader)
