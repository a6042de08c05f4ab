"""The comment endpoints: what each answers, to whom, and that writes go through
the same operations as the pages (numbers, threads, holds, votes)."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from broadsheet.discussion.models import Comment, Vote
from broadsheet.moderation.operations import ban_reader, reject_comment
from tests.integrations.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


def comments_path(article, *rest) -> str:
    return "/".join([f"/articles/{article.slug}/comments", *map(str, rest)])


def test_posting_answers_201_with_the_comment_and_its_number(kestrel_api, article):
    response = kestrel_api.post(
        comments_path(article), {"body": "The *ferry* matters.", "parent": None}
    )
    assert response.status_code == 201
    comment = response.json()
    assert comment["number"] == 1
    assert comment["author"] == {
        "handle": "kestrel-7",
        "display_name": "Anna Petrova",
        "online": False,
    }
    assert comment["html"].strip() == "<p>The <em>ferry</em> matters.</p>"
    assert comment["body"] == "The *ferry* matters."  # the author sees the source
    assert comment["state"] == "visible"
    assert comment["url"] == f"/articles/{article.slug}/comments/1/"
    assert Comment.objects.get(article=article, number=1).author.handle == "kestrel-7"


def test_a_reply_names_its_parent_and_joins_its_thread(kestrel_api, nikolai, article, make_comment):
    make_comment(article, nikolai, "First.")
    response = kestrel_api.post(comments_path(article), {"body": "Answer.", "parent": 1})
    assert response.status_code == 201
    assert response.json()["parent"] == 1
    assert response.json()["thread"] == 1
    replies = kestrel_api.get(comments_path(article, 1, "replies")).json()
    assert [c["number"] for c in replies["items"]] == [2]


def test_list_pages_by_cursor_and_shows_no_source_to_others(
    anonymous_api, kestrel, article, make_comment
):
    for n in range(5):
        make_comment(article, kestrel, f"Comment {n}.")
    first = anonymous_api.get(comments_path(article) + "?limit=2").json()
    assert [c["number"] for c in first["items"]] == [1, 2]
    assert first["next_after"] == 2
    assert all(c["body"] is None for c in first["items"])
    rest = anonymous_api.get(comments_path(article) + "?after=2&limit=10").json()
    assert [c["number"] for c in rest["items"]] == [3, 4, 5]
    assert rest["next_after"] is None


def test_limit_is_capped_by_the_setting(anonymous_api, kestrel, article, make_comment, settings):
    settings.BROADSHEET_API_PAGE_SIZE = 3
    for _ in range(5):
        make_comment(article, kestrel)
    page = anonymous_api.get(comments_path(article) + "?limit=1000").json()
    assert len(page["items"]) == 3


def test_an_edition_lists_its_originals_comments(
    anonymous_api, kestrel, article, make_article, make_comment
):
    edition = make_article(
        "posledniy-parom", title="Последний паром", language="ru", translation_of=article
    )
    make_comment(article, kestrel, "Posted on the original.")
    page = anonymous_api.get(comments_path(edition)).json()
    assert [c["number"] for c in page["items"]] == [1]
    assert page["items"][0]["url"] == "/articles/posledniy-parom/comments/1/"


def test_edit_replaces_the_text_within_the_window(kestrel_api, kestrel, article, make_comment):
    make_comment(article, kestrel, "Frist.")
    response = kestrel_api.patch(comments_path(article, 1), {"body": "First."})
    assert response.status_code == 200
    assert response.json()["html"].strip() == "<p>First.</p>"
    assert response.json()["edited_at"] is not None


def test_edit_after_the_window_is_refused_403(kestrel_api, kestrel, article, make_comment):
    make_comment(article, kestrel, "Old.")
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        response = kestrel_api.patch(comments_path(article, 1), {"body": "New."})
    assert_problem(response, 403, "not_editable")
    assert Comment.objects.get(number=1).body_markdown == "Old."


def test_editing_or_deleting_another_readers_comment_is_404(
    kestrel_api, nikolai, article, make_comment
):
    make_comment(article, nikolai, "Mine, says Nikolai.")
    assert_problem(kestrel_api.patch(comments_path(article, 1), {"body": "Hijacked."}), 404)
    assert_problem(kestrel_api.delete(comments_path(article, 1)), 404)
    assert Comment.objects.get(number=1).deleted_at is None


def test_delete_leaves_a_placeholder_with_its_number(
    kestrel_api, anonymous_api, kestrel, article, make_comment
):
    make_comment(article, kestrel, "Regrettable.")
    response = kestrel_api.delete(comments_path(article, 1))
    assert response.status_code == 200
    listed = anonymous_api.get(comments_path(article)).json()["items"]
    assert listed[0]["number"] == 1
    assert listed[0]["state"] == "deleted"
    assert listed[0]["html"] is None and listed[0]["body"] is None


def test_vote_counts_once_and_zero_withdraws(kestrel_api, nikolai, article, make_comment):
    make_comment(article, nikolai, "Vote for me.")
    path = comments_path(article, 1, "vote")
    assert kestrel_api.post(path, {"value": 1}).json() == {
        "number": 1,
        "score": 1,
        "upvotes": 1,
        "downvotes": 0,
        "vote": 1,
    }
    assert kestrel_api.post(path, {"value": 1}).json()["score"] == 1
    assert kestrel_api.get(comments_path(article, 1)).json()["my_vote"] == 1
    assert kestrel_api.post(path, {"value": 0}).json()["score"] == 0
    assert not Vote.objects.exists()


def test_voting_on_ones_own_comment_is_refused(kestrel_api, kestrel, article, make_comment):
    make_comment(article, kestrel, "Mine.")
    assert_problem(
        kestrel_api.post(comments_path(article, 1, "vote"), {"value": 1}),
        422,
        "not_votable",
        "/value",
    )


def test_report_reaches_the_queue_once(kestrel_api, moderator_api, nikolai, article, make_comment):
    make_comment(article, nikolai, "Something rude.")
    path = comments_path(article, 1, "report")
    response = kestrel_api.post(path, {"reason": "abuse", "text": "Rude."})
    assert response.status_code == 201
    assert_problem(kestrel_api.post(path, {"reason": "abuse", "text": "Again."}), 422, "refused")
    queue = moderator_api.get("/moderation/queue").json()["items"]
    assert [item["comment"]["number"] for item in queue] == [1]
    assert queue[0]["reports"][0]["reason"] == "abuse"


def test_posting_into_a_closed_discussion_is_refused(kestrel_api, article, moderator):
    from broadsheet.moderation.operations import set_discussion_mode

    set_discussion_mode(article=article, editor=moderator, mode="closed")
    assert_problem(
        kestrel_api.post(comments_path(article), {"body": "Late."}), 403, "discussion_closed"
    )
    assert not Comment.objects.exists()


def test_posting_too_fast_is_429_with_retry_after(kestrel_api, article, settings):
    settings.BROADSHEET_COMMENTS_PER_MINUTE = 2
    for n in range(2):
        assert kestrel_api.post(comments_path(article), {"body": f"Fast {n}."}).status_code == 201
    response = kestrel_api.post(comments_path(article), {"body": "Too fast."})
    assert_problem(response, 429, "rate_limited")
    assert response["Retry-After"] == "60"
    assert Comment.objects.count() == 2


def test_votes_are_limited_like_the_form(kestrel_api, nikolai, article, make_comment, settings):
    settings.BROADSHEET_VOTES_PER_MINUTE = 1
    make_comment(article, nikolai, "One.")
    assert kestrel_api.post(comments_path(article, 1, "vote"), {"value": 1}).status_code == 200
    response = kestrel_api.post(comments_path(article, 1, "vote"), {"value": -1})
    assert_problem(response, 429, "rate_limited")
    assert response["Retry-After"] == "60"


def test_a_premoderated_post_is_held_and_shown_only_to_its_author(
    kestrel_api, nikolai_api, anonymous_api, article, moderator
):
    from broadsheet.moderation.operations import set_discussion_mode

    set_discussion_mode(article=article, editor=moderator, mode="premoderated")
    posted = kestrel_api.post(comments_path(article), {"body": "Waiting."})
    assert posted.status_code == 201
    assert posted.json()["state"] == "held"
    assert [c["number"] for c in kestrel_api.get(comments_path(article)).json()["items"]] == [1]
    assert nikolai_api.get(comments_path(article)).json()["items"] == []
    assert anonymous_api.get(comments_path(article)).json()["items"] == []
    assert_problem(nikolai_api.get(comments_path(article, 1)), 404)
    # A reply to it and a vote on it are as impossible as to a missing one.
    assert_problem(
        nikolai_api.post(comments_path(article), {"body": "Re.", "parent": 1}),
        422,
        "not_found",
        "/parent",
    )
    assert_problem(nikolai_api.post(comments_path(article, 1, "vote"), {"value": 1}), 404)


def test_rejected_comments_are_placeholders_without_words(
    kestrel_api, anonymous_api, nikolai, moderator, article, make_comment
):
    comment = make_comment(article, nikolai, "Words a moderator removed.", quote=None)
    reject_comment(comment=comment, moderator=moderator, reason="Spam")
    for api in (kestrel_api, anonymous_api):
        shown = api.get(comments_path(article)).json()["items"][0]
        assert shown["state"] == "rejected"
        assert shown["html"] is None and shown["body"] is None and shown["quote"] is None
        assert b"Words a moderator removed" not in api.get(comments_path(article, 1)).content


def test_another_readers_vote_is_not_shown(
    kestrel_api, nikolai_api, make_reader, article, make_comment
):
    author = make_reader()
    make_comment(article, author, "Votable.")
    kestrel_api.post(comments_path(article, 1, "vote"), {"value": -1})
    seen = nikolai_api.get(comments_path(article, 1)).json()
    assert seen["my_vote"] == 0
    assert seen["score"] == -1


def test_a_banned_readers_token_reads_but_cannot_write(
    kestrel_api, kestrel, moderator, article, make_comment
):
    make_comment(article, kestrel, "Before the ban.")
    ban_reader(reader=kestrel, moderator=moderator, reason="abuse")
    assert kestrel_api.get(comments_path(article)).status_code == 200
    assert_problem(
        kestrel_api.post(comments_path(article), {"body": "After."}), 403, "may_not_take_part"
    )
    assert Comment.objects.count() == 1
