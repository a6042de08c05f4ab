import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from broadsheet.discussion.models import Comment, Discussion
from broadsheet.discussion.operations import CommentRejected, post_comment, vote_on_comment
from broadsheet.live.models import LiveEvent
from broadsheet.moderation.models import AuditEntry, Report
from broadsheet.moderation.operations import (
    ModerationRefused,
    approve_comment,
    ban_reader,
    lift_restrictions,
    reject_comment,
    report_comment,
    set_discussion_mode,
    suspend_reader,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


@pytest.fixture
def comment(article, nikolai):
    return post_comment(article=article, author=nikolai, body="Buy cheap watches here")


@pytest.mark.parametrize("url", ["/moderation/", "/moderation/comments/1/decide/"])
def test_a_reader_gets_404_on_every_moderation_url(signed_in_client, client, comment, url):
    assert signed_in_client.get(url).status_code == 404
    assert signed_in_client.post(url, {"action": "reject", "reason": "x"}).status_code == 404
    assert client.get(url).status_code == 404  # and so does someone signed out
    assert Comment.objects.get(pk=comment.pk).status == "visible"


def test_a_reader_reports_a_comment_once_and_it_enters_the_queue(
    signed_in_client, moderator_client, comment
):
    html = signed_in_client.get("/articles/the-last-ferry/").content.decode()
    assert ">Report</button>" in html
    page = signed_in_client.get("/articles/the-last-ferry/comments/1/report/")
    assert page.status_code == 200 and "Spam" in page.content.decode()
    response = signed_in_client.post(
        "/articles/the-last-ferry/comments/1/report/", {"reason": "spam", "text": "watches"}
    )
    assert response.status_code == 302
    again = signed_in_client.post("/articles/the-last-ferry/comments/1/report/", {"reason": "spam"})
    assert again.status_code == 400
    assert "already reported" in again.content.decode()
    assert Report.objects.count() == 1
    queue = moderator_client.get("/moderation/").content.decode()
    assert "Buy cheap watches here" in queue and "1 report" in queue and "Spam" in queue


def test_a_report_needs_a_reason_and_cannot_target_your_own_comment(kestrel, nikolai, comment):
    with pytest.raises(ModerationRefused, match="choose a reason"):
        report_comment(comment=comment, reporter=kestrel, reason="because")
    with pytest.raises(ModerationRefused, match="your own"):
        report_comment(comment=comment, reporter=nikolai, reason="spam")


def test_rejecting_leaves_a_placeholder_that_keeps_the_number_and_is_audited(
    client, moderator, article, comment, kestrel
):
    post_comment(article=article, author=kestrel, body="Next one")
    reject_comment(comment=comment, moderator=moderator, reason="Spam")
    html = client.get("/articles/the-last-ferry/").content.decode()
    assert "Comment removed by a moderator." in html and 'id="comment-1"' in html
    assert "Buy cheap watches here" not in html
    assert Discussion.objects.get(article=article).comment_count == 1
    entry = AuditEntry.objects.get(action="comment.rejected")
    assert (entry.actor, entry.reason) == (moderator, "Spam")
    assert entry.target == "comment 1 on the-last-ferry"
    assert LiveEvent.objects.filter(type="comment.removed").exists()


def test_a_rejection_needs_a_reason(moderator, comment):
    with pytest.raises(ModerationRefused, match="Say why"):
        reject_comment(comment=comment, moderator=moderator, reason="  ")


def test_the_queue_decides_by_form_and_by_script(moderator_client, comment, kestrel):
    report_comment(comment=comment, reporter=kestrel, reason="spam")
    response = moderator_client.post(
        f"/moderation/comments/{comment.pk}/decide/",
        {"action": "approve"},
        HTTP_ACCEPT="application/json",
    )
    assert response.json()["done"] == "Approved comment 1."
    assert Comment.objects.get(pk=comment.pk).report_count == 0
    assert "Buy cheap watches" not in moderator_client.get("/moderation/").content.decode()
    response = moderator_client.post(
        f"/moderation/comments/{comment.pk}/decide/", {"action": "ban", "reason": "Spam"}
    )
    assert response.status_code == 302
    comment.author.refresh_from_db()
    assert comment.author.is_banned
    assert Comment.objects.get(pk=comment.pk).status == "rejected"


def test_a_premoderated_discussion_holds_comments_until_approved(
    client, article, kestrel, nikolai, moderator
):
    set_discussion_mode(article=article, editor=moderator, mode="premoderated")
    held = post_comment(article=article, author=kestrel, body="Wait for me")
    assert held.status == "pending"
    assert Discussion.objects.get(article=article).comment_count == 0
    assert not LiveEvent.objects.filter(type="comment.posted").exists()
    client.force_login(kestrel)
    own_view = client.get("/articles/the-last-ferry/").content.decode()
    assert "Wait for me" in own_view and "Awaiting moderation" in own_view
    client.force_login(nikolai)
    assert "Wait for me" not in client.get("/articles/the-last-ferry/").content.decode()
    assert client.get("/articles/the-last-ferry/comments/1/").status_code == 404
    approve_comment(comment=held, moderator=moderator)
    assert "Wait for me" in client.get("/articles/the-last-ferry/").content.decode()
    assert Discussion.objects.get(article=article).comment_count == 1
    assert LiveEvent.objects.filter(type="comment.posted").exists()
    assert AuditEntry.objects.filter(action="discussion.mode").exists()


def test_a_wrongly_rejected_comment_comes_back_counted_and_live(
    client, article, kestrel, moderator
):
    comment = post_comment(article=article, author=kestrel, body="Fair point, wrongly removed")
    reject_comment(comment=comment, moderator=moderator, reason="Misclick")
    assert Discussion.objects.get(article=article).comment_count == 0
    approve_comment(comment=comment, moderator=moderator, reason="Restored")
    assert Discussion.objects.get(article=article).comment_count == 1
    # The rejection erased the first posting from the replay; approval posts it anew.
    assert LiveEvent.objects.filter(type="comment.posted").count() == 1
    assert "Fair point, wrongly removed" in client.get("/articles/the-last-ferry/").content.decode()


def test_a_closed_discussion_takes_no_comments_and_says_so(signed_in_client, article, moderator):
    set_discussion_mode(article=article, editor=moderator, mode="closed")
    html = signed_in_client.get("/articles/the-last-ferry/").content.decode()
    assert "The discussion of this article is closed" in html and "<textarea" not in html
    response = signed_in_client.post("/articles/the-last-ferry/comments/", {"body": "Hello?"})
    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_a_new_readers_first_comments_wait_when_the_setting_asks(
    article, kestrel, moderator, settings
):
    settings.BROADSHEET_PREMODERATE_FIRST_COMMENTS = 1
    first = post_comment(article=article, author=kestrel, body="Hello, first time")
    assert (first.status, first.moderation_reason) == ("pending", "new_reader")
    assert first.moderation_params == {"count": 1}
    approve_comment(comment=first, moderator=moderator)
    assert post_comment(article=article, author=kestrel, body="Again").status == "visible"


def test_a_banned_reader_cannot_post_or_vote_until_reinstated(
    signed_in_client, article, kestrel, moderator, comment, make_reader
):
    ban_reader(reader=kestrel, moderator=moderator, reason="Abuse")
    response = signed_in_client.post("/articles/the-last-ferry/comments/", {"body": "Let me in"})
    assert response.status_code == 400
    assert "may no longer post or vote" in response.content.decode()
    with pytest.raises(CommentRejected, match="may no longer post or vote"):
        vote_on_comment(comment=comment, voter=kestrel, value=1)
    administrator = make_reader("boss-1", "Boris Boss")
    call_command("grant", "boss-1", "admin")  # lifting a ban is above a moderator
    administrator.refresh_from_db()
    lift_restrictions(reader=kestrel, moderator=administrator, reason="Appeal accepted")
    kestrel.refresh_from_db()
    assert post_comment(article=article, author=kestrel, body="Thank you").number == 2
    assert list(AuditEntry.objects.values_list("action", flat=True))[:3] == [
        "reader.reinstated",
        "role.granted",
        "reader.banned",
    ]


def test_a_suspended_reader_is_told_until_when(article, kestrel, moderator):
    until = timezone.now() + dt.timedelta(days=2)
    suspend_reader(reader=kestrel, moderator=moderator, until=until, reason="Flooding")
    with pytest.raises(CommentRejected, match="suspended until"):
        post_comment(article=article, author=kestrel, body="Still here")
    with pytest.raises(ModerationRefused, match="must end in the future"):
        suspend_reader(
            reader=kestrel, moderator=moderator, until=timezone.now() - dt.timedelta(1), reason="x"
        )


def test_roles_are_granted_and_revoked_from_the_shell_and_audited(kestrel):
    call_command("grant", "kestrel-7", "admin")
    kestrel.refresh_from_db()
    assert kestrel.is_superuser and kestrel.is_staff
    call_command("revoke", "kestrel-7", "admin")
    kestrel.refresh_from_db()
    assert not kestrel.is_superuser and not kestrel.is_staff
    call_command("grant", "kestrel-7", "moderator")
    kestrel.refresh_from_db()
    assert kestrel.has_perm("discussion.moderate_comment")
    assert [e.action for e in AuditEntry.objects.order_by("id")] == [
        "role.granted",
        "role.revoked",
        "role.granted",
    ]


def test_the_audit_log_is_read_only_in_the_admin(client, kestrel, moderator, comment):
    reject_comment(comment=comment, moderator=moderator, reason="Spam")
    call_command("grant", "kestrel-7", "admin")
    client.force_login(kestrel)
    page = client.get("/admin/moderation/auditentry/?action=comment.rejected")
    assert page.status_code == 200 and "comment 1 on the-last-ferry" in page.content.decode()
    entry = AuditEntry.objects.get(action="comment.rejected")
    assert client.post(f"/admin/moderation/auditentry/{entry.pk}/delete/").status_code == 403


def test_roles_granted_in_the_admin_are_audited(client, kestrel, nikolai):
    from django.contrib.auth.models import Group

    call_command("grant", "kestrel-7", "admin")
    call_command("grant", "unc-2", "moderator")  # makes the Moderators group exist
    call_command("revoke", "unc-2", "moderator")
    client.force_login(kestrel)
    moderators = Group.objects.get(name="Moderators")
    page = client.get(f"/admin/readers/reader/{nikolai.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "groups"}
    data.update(
        {
            "groups": [moderators.pk],
            "date_joined_0": nikolai.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": nikolai.date_joined.strftime("%H:%M:%S"),
        }
    )
    data.pop("last_seen_at", None)
    data.pop("suspended_until", None)
    data.pop("banned_at", None)
    response = client.post(f"/admin/readers/reader/{nikolai.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = AuditEntry.objects.filter(action="role.granted", target="reader unc-2").first()
    assert entry.actor == kestrel and entry.reason == "Moderators"


def test_the_queue_tells_moderators_about_breaking_news(moderator_client, article):
    Discussion.objects.filter(article=article).update(breaking_news_since=timezone.now())
    html = moderator_client.get("/moderation/").content.decode()
    assert "Breaking news" in html and article.title in html
