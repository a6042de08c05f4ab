"""Readers hear of what concerns them, in the site and by e-mail, and only of
what they may see.

E-mail goes through a real SMTP server (aiosmtpd, tests/notifications/conftest.py),
sent by the task worker's own code (run_ready_tasks), never in the request.
"""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from broadsheet.background.worker import run_ready_tasks
from broadsheet.discussion.operations import delete_comment, edit_comment, post_comment
from broadsheet.moderation.operations import approve_comment, reject_comment
from broadsheet.notifications.models import Mailbox, Notification, OutboxMessage
from broadsheet.notifications.operations import (
    change_notification_settings,
    mark_seen_on_page,
)

pytestmark = pytest.mark.django_db(transaction=True)

DELAY = 300


@pytest.fixture(autouse=True)
def _mail_delay(settings):
    settings.BROADSHEET_NOTIFICATION_EMAIL_DELAY_SECONDS = DELAY
    settings.BROADSHEET_SITE_URL = "https://news.example.org"


def later(seconds: float = DELAY + 1):
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


def unread_count(client) -> str:
    page = client.get(reverse("articles:home")).content.decode()
    start = page.index("data-notification-count")
    return page[page.index(">", start) + 1 : page.index("<", start)]


# --- in the site ---------------------------------------------------------------------


def test_a_reply_is_told_in_the_site_after_the_worker_ran_and_read_when_seen(
    client, article, make_reader
):
    alice, bob = make_reader("alice"), make_reader("bob")
    first = post_comment(article=article, author=alice, body="The ferry is late.")
    post_comment(article=article, author=bob, parent=first, body="It was on time <b>today</b>.")
    assert Notification.objects.count() == 0  # the post only enqueued a task
    run_ready_tasks()
    [notification] = Notification.objects.all()
    assert (notification.recipient, notification.kind) == (alice, "reply")

    client.force_login(alice)
    assert unread_count(client) == "1"
    page = client.get(reverse("notifications:list")).content.decode()
    assert "replied to your comment" in page
    assert "&lt;b&gt;today&lt;/b&gt;" in page or "<b>today</b>" not in page
    assert f"/articles/{article.slug}/comments/2/" in page
    assert unread_count(client) == "0"  # the list page is where they are read


def test_notifications_of_a_comment_that_left_the_page_are_gone_everywhere(
    client, article, make_reader, moderator
):
    alice, bob = make_reader("alice"), make_reader("bob")
    first = post_comment(article=article, author=alice, body="The ferry is late.")
    deleted = post_comment(article=article, author=bob, parent=first, body="Deleted words")
    rejected = post_comment(article=article, author=bob, parent=first, body="Rejected words")
    held = post_comment(article=article, author=bob, parent=first, body="Held-later words")
    run_ready_tasks()
    assert Notification.objects.filter(recipient=alice).count() == 3

    delete_comment(comment=deleted, deleter=bob)
    reject_comment(comment=rejected, moderator=moderator, reason="Off topic")
    article.discussion.mode = "premoderated"
    article.discussion.save(update_fields=["mode"])
    edit_comment(comment=held, editor=bob, body="Held-later words, edited")
    run_ready_tasks()

    client.force_login(alice)
    page = client.get(reverse("notifications:list")).content.decode()
    for words in ("Deleted words", "Rejected words", "Held-later words"):
        assert words not in page
    assert unread_count(client) == "0"
    assert not Notification.objects.filter(recipient=alice).exists()
    # Bob hears of the moderator's decision on his own comment.
    assert Notification.objects.filter(recipient=bob, kind="decision").count() == 1


def test_a_held_comment_tells_no_one_until_a_moderator_publishes_it(
    article, make_reader, moderator
):
    alice, bob = make_reader("alice"), make_reader("bob")
    first = post_comment(article=article, author=alice, body="The ferry is late.")
    article.discussion.mode = "premoderated"
    article.discussion.save(update_fields=["mode"])
    reply = post_comment(article=article, author=bob, parent=first, body="Waiting words")
    assert reply.is_pending
    run_ready_tasks()
    assert not Notification.objects.filter(recipient=alice).exists()

    approve_comment(comment=reply, moderator=moderator)
    run_ready_tasks()
    assert Notification.objects.get(recipient=alice).kind == "reply"
    assert Notification.objects.get(recipient=bob).decision == "approved"


def test_a_reader_sees_only_their_own_notifications(client, article, make_reader):
    alice, bob, carol = make_reader("alice"), make_reader("bob"), make_reader("carol")
    first = post_comment(article=article, author=alice, body="Alice's private matter")
    post_comment(article=article, author=bob, parent=first, body="A reply for alice only")
    run_ready_tasks()
    client.force_login(carol)
    assert (
        "A reply for alice only" not in client.get(reverse("notifications:list")).content.decode()
    )
    assert unread_count(client) == "0"
    # Nor can Carol mark Alice's as seen.
    client.post(reverse("notifications:seen"), {"article": article.pk, "numbers": "2"})
    assert Notification.objects.get(recipient=alice).read_at is None
    client.logout()
    assert client.get(reverse("notifications:list")).status_code == 302  # to sign in


def test_the_seen_report_is_checked(client, article, make_reader):
    client.force_login(make_reader("alice"))
    for numbers in ("", "x", ",".join(["1"] * 101)):
        response = client.post(
            reverse("notifications:seen"), {"article": article.pk, "numbers": numbers}
        )
        assert response.status_code == 400
        assert b"numbers" in response.content


def test_following_a_discussion(client, article, make_reader):
    alice, bob = make_reader("alice"), make_reader("bob")
    client.force_login(alice)
    client.post(reverse("notifications:follow", args=[article.slug]))
    assert (
        "Stop following this discussion" in client.get(article.get_absolute_url()).content.decode()
    )
    post_comment(article=article, author=bob, body="News for followers")
    run_ready_tasks()
    assert Notification.objects.get(recipient=alice).kind == "followed"
    client.post(reverse("notifications:follow", args=[article.slug]), {"follow": "0"})
    post_comment(article=article, author=bob, body="More news")
    run_ready_tasks()
    assert Notification.objects.filter(recipient=alice).count() == 1


def test_settings_switch_kinds_per_channel(client, article, make_reader):
    alice, bob = make_reader("alice"), make_reader("bob")
    client.force_login(alice)
    response = client.post(
        reverse("notifications:settings"),
        {"site_kinds": ["mention"], "email_kinds": [], "cadence": "daily", "language": "ru"},
    )
    assert response.status_code == 302
    first = post_comment(article=article, author=alice, body="First.")
    post_comment(article=article, author=bob, parent=first, body="A reply, not wanted")
    post_comment(article=article, author=bob, body="Hello @alice")
    run_ready_tasks()
    assert list(Notification.objects.values_list("kind", flat=True)) == ["mention"]
    bad = client.post(
        reverse("notifications:settings"),
        {"site_kinds": ["everything"], "cadence": "weekly", "language": "fr"},
    )
    assert bad.status_code == 200
    assert "is not one of the available choices" in bad.content.decode()


# --- by e-mail ------------------------------------------------------------------------


def test_a_reply_is_emailed_after_the_delay_with_unsubscribe_headers(
    article, verified, mail_server
):
    alice, bob = verified("alice"), verified("bob")
    first = post_comment(article=article, author=alice, body="The ferry is late.")
    post_comment(
        article=article, author=bob, parent=first, body="@alice on time <script>x</script>"
    )
    run_ready_tasks()
    assert mail_server.received == []  # waiting, in case Alice sees it on the site
    with later():
        run_ready_tasks()
    [message] = mail_server.received
    assert message["To"] == "alice@example.org"
    assert "replied to your comment" in message["Subject"]
    unsubscribe = str(message["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith("<https://news.example.org/notifications/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    permalink = f"https://news.example.org/articles/{article.slug}/comments/2/"
    assert permalink in text and permalink in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="https://news.example.org/readers/alice/"' in html  # the mention's link
    assert unsubscribe.strip("<>") in text  # a visible link too
    assert OutboxMessage.objects.get().state == "sent"


def test_email_is_in_the_readers_language(article, verified, mail_server):
    alice, bob = verified("alice"), verified("bob")
    change_notification_settings(
        reader=alice, site_kinds=[], email_kinds=["reply"], cadence="soon", language="ru"
    )
    first = post_comment(article=article, author=alice, body="Паром опаздывает.")
    post_comment(article=article, author=bob, parent=first, body="Сегодня вовремя.")
    run_ready_tasks()
    with later():
        run_ready_tasks()
    [message] = mail_server.received
    assert "ответил" in message["Subject"]


def test_a_reply_the_open_page_showed_sends_no_email(article, verified, mail_server):
    alice, bob = verified("alice"), verified("bob")
    first = post_comment(article=article, author=alice, body="The ferry is late.")
    seen = post_comment(article=article, author=bob, parent=first, body="Shown live")
    unseen = post_comment(article=article, author=bob, body="@alice not on the page")
    run_ready_tasks()
    # notifications.js reports what the open page showed.
    mark_seen_on_page(reader=alice, article_id=article.pk, numbers=[seen.number])
    with later():
        run_ready_tasks()
    [message] = mail_server.received
    text = message.get_body(("plain",)).get_content()
    assert "not on the page" in text and "Shown live" not in text
    assert Notification.objects.get(comment=seen).email == "skipped"
    assert Notification.objects.get(comment=unseen).email == "emailed"


def test_several_replies_within_the_delay_become_one_email(article, verified, mail_server):
    alice, bob = verified("alice"), verified("bob")
    first = post_comment(article=article, author=alice, body="The ferry is late.")
    post_comment(article=article, author=bob, parent=first, body="Reply one")
    run_ready_tasks()
    with later(DELAY / 2):
        post_comment(article=article, author=bob, parent=first, body="Reply two")
        run_ready_tasks()
    with later():
        run_ready_tasks()
    with later(DELAY * 3):
        run_ready_tasks()
    [message] = mail_server.received
    text = message.get_body(("plain",)).get_content()
    assert "Reply one" in text and "Reply two" in text
    assert "2 new notifications" in message["Subject"]


def test_an_hourly_digest_waits_for_the_hour(article, verified, mail_server):
    alice, bob = verified("alice"), verified("bob")
    change_notification_settings(
        reader=alice, site_kinds=[], email_kinds=["reply"], cadence="hourly", language="en"
    )
    start = timezone.now().replace(minute=10, second=0, microsecond=0)
    with time_machine.travel(start, tick=False):
        first = post_comment(article=article, author=alice, body="The ferry is late.")
        post_comment(article=article, author=bob, parent=first, body="Reply one")
        run_ready_tasks()
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        post_comment(article=article, author=bob, parent=first, body="Reply two")
        run_ready_tasks()
    assert mail_server.received == []
    with time_machine.travel(start + timedelta(minutes=51), tick=False):
        run_ready_tasks()
    [message] = mail_server.received
    text = message.get_body(("plain",)).get_content()
    assert "Reply one" in text and "Reply two" in text


def test_unverified_addresses_get_no_email(article, make_reader, verified, mail_server):
    alice = make_reader("alice", email_verified_at=None)
    bob = verified("bob")
    first = post_comment(article=article, author=alice, body="The ferry is late.")
    post_comment(article=article, author=bob, parent=first, body="Reply one")
    run_ready_tasks()
    with later():
        run_ready_tasks()
    assert mail_server.received == []
    assert Notification.objects.get().email == "no"  # still told in the site


def test_one_click_unsubscribe_works_without_signing_in(client, article, verified, mail_server):
    alice, bob = verified("alice"), verified("bob")
    first = post_comment(article=article, author=alice, body="The ferry is late.")
    post_comment(article=article, author=bob, parent=first, body="Reply one")
    run_ready_tasks()
    with later():
        run_ready_tasks()
    url = (
        str(mail_server.received[0]["List-Unsubscribe"])
        .strip()
        .strip("<>")
        .removeprefix("https://news.example.org")
    )
    # A mail client's RFC 8058 one-click POST: no session, no CSRF token.
    client.handler.enforce_csrf_checks = True
    response = client.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    # The visible link shows a confirmation first.
    assert "Stop all notification e-mail" in client.get(url).content.decode()

    post_comment(article=article, author=bob, parent=first, body="Reply two")
    run_ready_tasks()
    with later(DELAY * 3):
        run_ready_tasks()
    assert len(mail_server.received) == 1
    assert client.get(url[:-5] + "xxxx/").status_code == 404


def test_an_address_refused_again_and_again_gets_no_more_mail(
    article, verified, mail_server, settings
):
    settings.BROADSHEET_EMAIL_FAILURES_BEFORE_SUPPRESSION = 2
    alice, bob = verified("alice"), verified("bob")
    mail_server.refused.add("alice@example.org")
    first = post_comment(article=article, author=alice, body="The ferry is late.")
    for n in range(3):
        with later(n * (DELAY + 10)):
            post_comment(article=article, author=bob, parent=first, body=f"Reply {n}")
            run_ready_tasks()
        with later(n * (DELAY + 10) + DELAY + 1):
            run_ready_tasks()
    assert list(OutboxMessage.objects.values_list("state", flat=True)) == ["failed", "failed"]
    mailbox = Mailbox.objects.get(address="alice@example.org")
    assert mailbox.failures == 2 and mailbox.suppressed_at is not None
    assert "550" in mailbox.last_failure
    assert mail_server.received == []


def test_a_mail_server_that_is_away_is_tried_again_later(article, verified, settings):
    from tests.servers import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = (
        "127.0.0.1",
        free_port(),
        False,
    )
    settings.BROADSHEET_EMAIL_TIMEOUT_SECONDS = 2
    alice, bob = verified("alice"), verified("bob")
    first = post_comment(article=article, author=alice, body="The ferry is late.")
    post_comment(article=article, author=bob, parent=first, body="Reply one")
    run_ready_tasks()
    with later():
        run_ready_tasks()
    message = OutboxMessage.objects.get()
    assert message.state == "pending" and message.attempts == 1
    assert "Connection refused" in message.last_error or "Errno" in message.last_error
    from django_tasks_db.models import DBTaskResult

    retry = DBTaskResult.objects.get(status="READY", task_path__endswith="deliver_email")
    assert retry.run_after > timezone.now()


def test_a_reply_deleted_or_rejected_before_its_email_is_due_is_never_emailed(
    article, verified, moderator, mail_server
):
    alice, bob = verified("alice"), verified("bob")
    first = post_comment(article=article, author=alice, body="The ferry is late.")
    regretted = post_comment(article=article, author=bob, parent=first, body="Regretted words")
    rejected = post_comment(article=article, author=bob, parent=first, body="Rejected words")
    run_ready_tasks()
    delete_comment(comment=regretted, deleter=bob)
    reject_comment(comment=rejected, moderator=moderator, reason="Off topic")
    run_ready_tasks()
    with later():
        run_ready_tasks()
    # Bob hears of the decision on his comment; Alice of nothing.
    assert mail_server.messages_to("alice@example.org") == []
    [decision] = mail_server.messages_to("bob@example.org")
    text = decision.get_body(("plain",)).get_content()
    assert "A moderator removed your comment" in text
    assert OutboxMessage.objects.count() == 1


def test_a_daily_digest_goes_out_at_the_digest_hour(article, verified, mail_server, settings):
    settings.BROADSHEET_DIGEST_HOUR = 8
    alice, bob = verified("alice"), verified("bob")
    change_notification_settings(
        reader=alice, site_kinds=[], email_kinds=["reply"], cadence="daily", language="en"
    )
    evening = timezone.now().replace(hour=20, minute=0, second=0, microsecond=0)
    with time_machine.travel(evening, tick=False):
        first = post_comment(article=article, author=alice, body="The ferry is late.")
        post_comment(article=article, author=bob, parent=first, body="Evening reply")
        run_ready_tasks()
    with time_machine.travel(evening + timedelta(hours=11, minutes=59), tick=False):
        run_ready_tasks()
    assert mail_server.received == []
    with time_machine.travel(evening + timedelta(hours=12, minutes=1), tick=False):
        run_ready_tasks()
    [message] = mail_server.received
    assert "Evening reply" in message.get_body(("plain",)).get_content()


def test_telling_readers_costs_the_same_queries_for_3_or_30_comments(article, make_reader):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from broadsheet.notifications.tasks import tell_readers_of_queued_comments

    def cost(count: int) -> int:
        writers = [make_reader() for _ in range(count)]
        firsts = [post_comment(article=article, author=w, body="A first word.") for w in writers]
        for n, first in enumerate(firsts):
            post_comment(
                article=article,
                author=writers[(n + 1) % count],
                parent=first,
                body=f"A reply, @{writers[n].handle}, and > #{first.number} quoted",
            )
        with CaptureQueriesContext(connection) as queries:
            tell_readers_of_queued_comments()
        return len(queries)

    small, large = cost(3), cost(30)
    assert small == large
    assert Notification.objects.count() == 33


def test_a_look_drains_a_backlog_in_full_batches_but_does_not_chase_new_comments(
    article, make_reader, monkeypatch
):
    """The worker's duty takes batch after batch while they come full, and stops at
    the first that took all there was: a comment queued meanwhile waits for the
    next look, where it joins a batch, not a batch of its own (docs/posting.md,
    round 7)."""
    from broadsheet.notifications import tasks
    from broadsheet.notifications.models import QueuedComment

    alice, bob = make_reader("alice"), make_reader("bob")
    first = post_comment(article=article, author=alice, body="The ferry is late.")
    for n in range(5):
        post_comment(article=article, author=bob, parent=first, body=f"Reply {n}")
    monkeypatch.setattr(tasks, "QUEUED_COMMENTS_PER_BATCH", 2)
    # 6 queued: full, full, full (the 6th), then one that finds none.
    assert tasks.tell_readers_of_queued_comments() == 3
    assert not QueuedComment.objects.exists()
    assert Notification.objects.filter(recipient=alice).count() == 5

    monkeypatch.setattr(tasks, "QUEUED_COMMENTS_PER_BATCH", 10)
    post_comment(article=article, author=bob, parent=first, body="Reply 5")
    scheduled = tasks._schedule_emails

    meanwhile = []

    def a_comment_posted_meanwhile(made):
        scheduled(made)
        if not meanwhile:
            meanwhile.append(
                post_comment(article=article, author=bob, parent=first, body="Posted meanwhile")
            )

    monkeypatch.setattr(tasks, "_schedule_emails", a_comment_posted_meanwhile)
    assert tasks.tell_readers_of_queued_comments() == 1
    assert QueuedComment.objects.count() == 1  # for the next look
    monkeypatch.setattr(tasks, "_schedule_emails", scheduled)
    assert tasks.tell_readers_of_queued_comments() == 1
    assert Notification.objects.filter(recipient=alice).count() == 7


def test_the_header_counts_up_to_99_plus(client, article, make_reader):
    alice, bob = make_reader("alice"), make_reader("bob")
    first = post_comment(article=article, author=alice, body="The ferry is late.")
    for n in range(101):
        post_comment(article=article, author=bob, parent=first, body=f"Reply {n}")
    run_ready_tasks()
    client.force_login(alice)
    assert unread_count(client) == "99+"
    page = client.get(reverse("articles:home")).content.decode()
    assert 'aria-label="Notifications, 99+ unread"' in page
