"""An edit is a post: the rules, the discussion's mode, the reader's standing and a
rate limit decide an edit as they decide a new comment (issue 10, point 2)."""

import datetime as dt

import pytest
from django.utils import timezone

from broadsheet.discussion.models import Comment, Discussion
from broadsheet.discussion.operations import CommentRejected, edit_comment
from broadsheet.discussion.refusals import EditRefused
from broadsheet.live.models import LiveEvent
from broadsheet.moderation.operations import (
    approve_comment,
    ban_reader,
    reject_comment,
    set_discussion_mode,
    suspend_reader,
)
from broadsheet.moderation.queries import list_queue

pytestmark = pytest.mark.django_db

PAGE = "/articles/the-last-ferry/"


@pytest.fixture
def posted(article, kestrel, make_comment) -> Comment:
    return make_comment(article, kestrel, "The ferry should keep running.")


def _newest_event() -> int:
    return LiveEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Whoever wrote this is a scumbag", "not allowed here"),
        ("Read [this](http://www.spam.example/offer)", r"spam\.example"),
    ],
)
def test_an_edit_the_rules_refuse_is_refused_and_the_text_stays(
    rules, posted, kestrel, body, message
):
    newest_before = _newest_event()
    with pytest.raises(CommentRejected, match=message):
        edit_comment(comment=posted, editor=kestrel, body=body)
    stored = Comment.objects.get(pk=posted.pk)
    assert stored.body_markdown == "The ferry should keep running."
    assert (stored.status, stored.edited_at) == ("visible", None)
    assert not LiveEvent.objects.filter(id__gt=newest_before).exists()


def test_an_edit_held_by_a_rule_leaves_the_public_page_and_open_pages(
    rules, client, posted, kestrel, nikolai
):
    # A signed-out page is stored before the edit: the edit must not leave it standing.
    assert "The ferry should keep running." in client.get(PAGE).content.decode()
    newest_before = _newest_event()

    edited = edit_comment(comment=posted, editor=kestrel, body="Only an idiot stops a ferry")

    assert (edited.status, edited.moderation_reason) == ("pending", "suspect_word")
    # Open pages are told to take it away, with no words; its public version's
    # events are gone from the replay.
    sent = list(LiveEvent.objects.filter(id__gt=newest_before))
    assert [(event.type, "html" in event.data) for event in sent] == [("comment.withdrawn", False)]
    stored = [str(event.data) for event in LiveEvent.objects.all()]
    assert not any("keep running" in data or "idiot" in data for data in stored)
    assert Discussion.objects.get(article=posted.article).comment_count == 0
    signed_out = client.get(PAGE).content.decode()
    assert "idiot" not in signed_out and "The ferry should keep running." not in signed_out
    client.force_login(nikolai)
    assert "idiot" not in client.get(PAGE).content.decode()
    client.force_login(kestrel)
    own = client.get(PAGE).content.decode()
    assert "Only an idiot stops a ferry" in own and "Awaiting moderation" in own


def test_a_held_edit_returns_to_the_queue_and_approval_publishes_it(
    rules, posted, kestrel, moderator
):
    edit_comment(comment=posted, editor=kestrel, body="Only an idiot stops a ferry")
    assert [c.pk for c in list_queue()] == [posted.pk]
    approve_comment(comment=posted, moderator=moderator)
    assert Discussion.objects.get(article=posted.article).comment_count == 1
    published = LiveEvent.objects.filter(type="comment.posted").order_by("-id").first()
    assert "Only an idiot stops a ferry" in published.data["html"]


def test_too_many_links_in_an_edit_hold_it(rules, posted, kestrel):
    body = "[a](https://a.example) <https://b.example> [c](//c.example)"
    edited = edit_comment(comment=posted, editor=kestrel, body=body)
    assert (edited.status, edited.moderation_reason) == ("pending", "too_many_links")


def test_an_edit_in_a_premoderated_discussion_waits_for_a_moderator(posted, kestrel, moderator):
    set_discussion_mode(article=posted.article, editor=moderator, mode="premoderated")
    newest_before = _newest_event()
    edited = edit_comment(comment=posted, editor=kestrel, body="Now with new words")
    assert (edited.status, edited.moderation_reason) == ("pending", "premoderated")
    sent = LiveEvent.objects.filter(id__gt=newest_before).values_list("type", flat=True)
    assert list(sent) == ["comment.withdrawn"]


def test_an_edit_of_a_held_comment_stays_held_and_sends_nothing(rules, article, kestrel):
    from broadsheet.discussion.operations import post_comment

    held = post_comment(article=article, author=kestrel, body="You idiot")
    newest_before = _newest_event()
    edited = edit_comment(comment=held, editor=kestrel, body="You are mistaken")
    assert (edited.status, edited.moderation_reason) == ("pending", "suspect_word")
    assert not LiveEvent.objects.filter(id__gt=newest_before).exists()
    assert Discussion.objects.get(article=article).comment_count == 0


def test_a_clean_edit_of_a_visible_comment_is_published_live(posted, kestrel):
    edited = edit_comment(comment=posted, editor=kestrel, body="The ferry must keep running.")
    assert edited.status == "visible"
    event = LiveEvent.objects.filter(type="comment.edited").get()
    assert "The ferry must keep running." in event.data["html"]


def test_saving_an_edit_unchanged_is_not_held_as_a_repeat(posted, kestrel):
    edited = edit_comment(comment=posted, editor=kestrel, body="The ferry should keep running.")
    assert edited.status == "visible"
    edited = edit_comment(comment=posted, editor=kestrel, body="The ferry should keep running!")
    assert edited.status == "visible"  # its own old text is not "the same text again"


def test_a_closed_discussion_takes_no_edits(posted, kestrel, moderator):
    set_discussion_mode(article=posted.article, editor=moderator, mode="closed")
    with pytest.raises(CommentRejected, match="closed"):
        edit_comment(comment=posted, editor=kestrel, body="One more thing")
    assert Comment.objects.get(pk=posted.pk).body_markdown == "The ferry should keep running."


def test_a_banned_or_suspended_reader_cannot_edit(posted, kestrel, moderator):
    suspend_reader(
        reader=kestrel,
        moderator=moderator,
        until=timezone.now() + dt.timedelta(days=1),
        reason="Flooding",
    )
    with pytest.raises(CommentRejected, match="suspended until"):
        edit_comment(comment=posted, editor=kestrel, body="Sneaky rewrite")
    ban_reader(reader=kestrel, moderator=moderator, reason="Abuse")
    with pytest.raises(CommentRejected, match="no longer"):
        edit_comment(comment=posted, editor=kestrel, body="Sneaky rewrite")
    assert Comment.objects.get(pk=posted.pk).body_markdown == "The ferry should keep running."


def test_a_rejected_comment_cannot_be_rewritten(posted, kestrel, moderator):
    reject_comment(comment=posted, moderator=moderator, reason="Off topic")
    with pytest.raises(EditRefused, match="removed by a moderator"):
        edit_comment(comment=posted, editor=kestrel, body="Harmless now, restore me")


def test_edits_per_reader_are_limited(signed_in_client, posted, settings):
    settings.BROADSHEET_EDITS_PER_MINUTE = "2"
    url = "/articles/the-last-ferry/comments/1/edit/"
    assert signed_in_client.post(url, {"body": "First change"}).status_code == 302
    assert signed_in_client.post(url, {"body": "Second change"}).status_code == 302
    response = signed_in_client.post(url, {"body": "Third change"})
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert Comment.objects.get(pk=posted.pk).body_markdown == "Second change"


def test_the_edit_form_shows_a_refusal_by_the_rules_beside_the_text(
    rules, signed_in_client, posted
):
    response = signed_in_client.post(
        "/articles/the-last-ferry/comments/1/edit/", {"body": "What a scumbag"}
    )
    assert response.status_code == 400
    assert "not allowed here" in response.content.decode()
