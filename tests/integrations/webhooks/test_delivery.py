"""Deliveries reach a real receiver signed, are retried with backoff after a
failure or a timeout, give up after the last attempt (switching a failing
endpoint off), and can be sent again. The worker's own task runs them."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from broadsheet.background.worker import run_ready_tasks
from broadsheet.integrations.webhooks import tasks
from broadsheet.integrations.webhooks.models import WebhookDelivery, WebhookEndpoint
from broadsheet.integrations.webhooks.sending import post
from tests.integrations.webhooks.conftest import verification_fails

pytestmark = pytest.mark.django_db(transaction=True)


def webhook_tasks():
    return DBTaskResult.objects.filter(task_path__endswith="send_webhook")


def test_a_posted_comment_reaches_the_receiver_signed(
    receiver, make_endpoint, article, kestrel, make_comment
):
    endpoint = make_endpoint(receiver.url)
    comment = make_comment(article, kestrel, "The ferry is late again.")
    assert receiver.received == []  # queued with the post, not sent while it waited
    assert run_ready_tasks() >= 1

    [request] = receiver.received
    message = receiver.verify(endpoint.secret)  # standardwebhooks' own check
    assert message["type"] == "comment.posted"
    assert message["data"]["comment"]["number"] == comment.number
    assert request.path == "/hooks/"
    assert request.headers["Content-Type"] == "application/json"
    delivery = WebhookDelivery.objects.get()
    assert request.headers["webhook-id"] == delivery.message_id
    assert delivery.message_id.startswith("msg_")
    assert request.body.decode() == delivery.body
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert delivery.attempts == 1
    [attempt] = delivery.attempt_log.all()
    assert (attempt.status_code, attempt.response_body, attempt.error) == (200, "ok", "")


def test_a_tampered_body_or_another_secret_fails_verification(
    receiver, make_endpoint, article, kestrel, make_comment
):
    endpoint = make_endpoint(receiver.url)
    make_comment(article, kestrel)
    run_ready_tasks()
    request = receiver.received[0]
    assert not verification_fails(receiver, endpoint.secret)
    request.body = request.body.replace(b"comment.posted", b"comment.postet")
    assert verification_fails(receiver, endpoint.secret)
    request.body = receiver.received[0].body.replace(b"comment.postet", b"comment.posted")
    assert not verification_fails(receiver, endpoint.secret)
    other = make_endpoint(receiver.url + "other")
    assert verification_fails(receiver, other.secret)


def test_after_a_rotation_both_secrets_verify_for_a_while(receiver, make_endpoint, settings):
    from broadsheet.integrations.webhooks.operations import rotate_webhook_secret

    endpoint = make_endpoint(receiver.url)
    old = endpoint.secret
    rotate_webhook_secret(endpoint=endpoint)
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")
    tasks.send_test_ping(endpoint=endpoint)
    run_ready_tasks()
    assert receiver.verify(endpoint.secret)["type"] == "webhook.ping"
    assert receiver.verify(old)["type"] == "webhook.ping"
    assert receiver.received[0].headers["webhook-signature"].count("v1,") == 2

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        tasks.send_test_ping(endpoint=endpoint)
        run_ready_tasks()
        assert receiver.verify(endpoint.secret)["type"] == "webhook.ping"
        assert verification_fails(receiver, old)


def test_a_failing_receiver_is_tried_again_later_then_given_up(
    receiver, make_endpoint, settings, article, kestrel, make_comment
):
    settings.BROADSHEET_WEBHOOK_RETRY_SCHEDULE = [5, 60]
    receiver.statuses = [500, 503, 500]
    receiver.answer = b"x" * 5000  # only the first KiB is kept
    make_endpoint(receiver.url)
    make_comment(article, kestrel)
    start = timezone.now()
    run_ready_tasks()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    retry = webhook_tasks().get(status=TaskResultStatus.READY)
    assert timedelta(seconds=4) < retry.run_after - start < timedelta(seconds=8)
    assert retry.run_after == delivery.next_attempt_at
    assert run_ready_tasks() == 0  # not before its time

    with time_machine.travel(retry.run_after + timedelta(seconds=1)):
        run_ready_tasks()
        second = webhook_tasks().get(status=TaskResultStatus.READY)
    assert timedelta(seconds=59) < second.run_after - retry.run_after < timedelta(seconds=64)
    with time_machine.travel(second.run_after + timedelta(seconds=1)):
        run_ready_tasks()
        assert run_ready_tasks() == 0  # no fourth attempt

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    attempts = list(delivery.attempt_log.all())
    assert [a.status_code for a in attempts] == [500, 503, 500]
    assert all(len(a.response_body) == 1024 for a in attempts)
    assert len(receiver.received) == 3
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.consecutive_failures, endpoint.failed_deliveries) == (1, 1)
    assert endpoint.active


def test_a_receiver_that_sleeps_past_the_timeout_is_a_failed_attempt(
    receiver, make_endpoint, settings, article, kestrel, make_comment
):
    settings.BROADSHEET_WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.BROADSHEET_WEBHOOK_RETRY_SCHEDULE = [0]
    receiver.sleep_seconds = 3
    make_endpoint(receiver.url)
    make_comment(article, kestrel)
    started = timezone.now()
    run_ready_tasks()  # both attempts: the retry is due at once
    assert timezone.now() - started < timedelta(seconds=2.5)  # not 2 x 3 s
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    for attempt in delivery.attempt_log.all():
        assert attempt.status_code is None
        assert "timed out" in attempt.error
        assert attempt.duration_ms < 1500


def test_a_receiver_that_drips_its_answer_is_cut_at_the_deadline(receiver, settings):
    """A per-read timeout alone would wait forever for an answer sent a byte at a time."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def drip():
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\n")
        while not stop.wait(0.1):
            try:
                connection.sendall(b"X-Slow: a\r\n")
            except OSError:
                break
        connection.close()

    threading.Thread(target=drip, daemon=True).start()
    settings.BROADSHEET_WEBHOOK_TIMEOUT_SECONDS = 1
    started = timezone.now()
    outcome = post(
        url=f"http://127.0.0.1:{port}/",
        body="{}",
        message_id="msg_x",
        timestamp=timezone.now(),
        secrets=["whsec_" + "A" * 44],
    )
    stop.set()
    listener.close()
    assert timezone.now() - started < timedelta(seconds=3)
    assert not outcome.succeeded
    assert "timed out" in outcome.error


def test_redirects_are_not_followed(receiver, make_endpoint, settings):
    settings.BROADSHEET_WEBHOOK_RETRY_SCHEDULE = []
    receiver.statuses = [302, 200]
    endpoint = make_endpoint(receiver.url)
    tasks.send_test_ping(endpoint=endpoint)
    run_ready_tasks()
    assert len(receiver.received) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.attempt_log.get().status_code == 302


def test_private_addresses_are_refused_unless_allowed(receiver, make_endpoint, settings):
    settings.BROADSHEET_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    settings.BROADSHEET_WEBHOOK_RETRY_SCHEDULE = []
    endpoint = make_endpoint(receiver.url.replace("127.0.0.1", "localhost"))
    tasks.send_test_ping(endpoint=endpoint)
    run_ready_tasks()
    assert receiver.received == []
    attempt = WebhookDelivery.objects.get().attempt_log.get()
    assert "no public address" in attempt.error


def test_an_endpoint_failing_delivery_after_delivery_is_switched_off(
    receiver, make_endpoint, settings, article, kestrel, make_comment
):
    settings.BROADSHEET_WEBHOOK_RETRY_SCHEDULE = []
    settings.BROADSHEET_WEBHOOK_FAILURES_BEFORE_DISABLING = 2
    receiver.statuses = [500]
    endpoint = make_endpoint(receiver.url)
    make_comment(article, kestrel)
    run_ready_tasks()
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.consecutive_failures == 1
    make_comment(article, kestrel)
    make_comment(article, kestrel)  # queued before the switch-off: not sent after it
    run_ready_tasks()
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert endpoint.disabled_at is not None
    assert endpoint.consecutive_failures == 2
    assert len(receiver.received) == 2
    statuses = sorted(WebhookDelivery.objects.values_list("status", flat=True))
    assert statuses == ["failed", "failed", "failed"]
    abandoned = WebhookDelivery.objects.order_by("pk").last().attempt_log.get()
    assert abandoned.error == "endpoint switched off"

    make_comment(article, kestrel)  # a switched-off endpoint is owed nothing
    assert WebhookDelivery.objects.count() == 3


def test_a_success_resets_the_count_of_failures(receiver, make_endpoint, settings):
    settings.BROADSHEET_WEBHOOK_RETRY_SCHEDULE = []
    receiver.statuses = [500, 204]
    endpoint = make_endpoint(receiver.url)
    tasks.send_test_ping(endpoint=endpoint)
    run_ready_tasks()
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1
    tasks.send_test_ping(endpoint=endpoint)
    run_ready_tasks()
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.failed_deliveries) == (0, 1)


def test_a_delivery_sent_again_carries_the_same_message(
    receiver, make_endpoint, settings, article, kestrel, make_comment
):
    settings.BROADSHEET_WEBHOOK_RETRY_SCHEDULE = []
    receiver.statuses = [500, 200]
    endpoint = make_endpoint(receiver.url)
    make_comment(article, kestrel)
    run_ready_tasks()
    failed = WebhookDelivery.objects.get()
    assert failed.status == "failed"

    again = tasks.redeliver(delivery=failed)
    run_ready_tasks()
    again.refresh_from_db()
    assert again.status == "succeeded"
    assert again.redelivery_of == failed
    assert again.message_id == failed.message_id
    first, second = receiver.received
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert receiver.verify(endpoint.secret)["type"] == "comment.posted"


def test_a_task_run_twice_sends_and_records_the_attempt_once(receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url)
    delivery = tasks.send_test_ping(endpoint=endpoint)
    run_ready_tasks()
    tasks.send_webhook.call(delivery.pk, 1)  # a stale copy of the same task
    assert len(receiver.received) == 1
    assert delivery.attempt_log.count() == 1


def test_a_rolled_back_post_sends_nothing(receiver, make_endpoint, article, kestrel, make_comment):
    make_endpoint(receiver.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_comment(article, kestrel)
        assert WebhookDelivery.objects.count() == 1
        raise RuntimeError("the request failed after posting")
    assert WebhookDelivery.objects.count() == 0
    assert webhook_tasks().count() == 0
    run_ready_tasks()
    assert receiver.received == []


def test_a_slow_receiver_does_not_slow_a_post(
    receiver, make_endpoint, settings, article, kestrel, make_comment
):
    receiver.sleep_seconds = 1.5
    settings.BROADSHEET_WEBHOOK_TIMEOUT_SECONDS = 5
    make_endpoint(receiver.url)
    started = timezone.now()
    make_comment(article, kestrel)
    assert timezone.now() - started < timedelta(seconds=1)
    assert receiver.received == []  # queued, not sent inline
    assert WebhookDelivery.objects.get().status == "pending"
    assert webhook_tasks().get().status == TaskResultStatus.READY
    run_ready_tasks()
    assert json.loads(receiver.received[0].body)["type"] == "comment.posted"


@pytest.mark.parametrize("how", ["deleted", "rejected"])
def test_a_comment_hidden_while_its_delivery_waits_is_not_sent(
    how, receiver, make_endpoint, settings, article, kestrel, moderator, make_comment
):
    from broadsheet.discussion.operations import delete_comment
    from broadsheet.moderation.operations import reject_comment

    settings.BROADSHEET_WEBHOOK_RETRY_SCHEDULE = [5]
    receiver.statuses = [503, 200]
    make_endpoint(receiver.url)
    comment = make_comment(article, kestrel, "My neighbour's address is 12 Pier Road.")
    run_ready_tasks()  # the receiver is away: a retry is due in 5 s
    if how == "deleted":
        delete_comment(comment=comment, deleter=kestrel)
    else:
        reject_comment(comment=comment, moderator=moderator, reason="private details")
    with time_machine.travel(timezone.now() + timedelta(seconds=10)):
        run_ready_tasks()
    assert len(receiver.received) == 1  # only the attempt made while it was public
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.attempt_log.last().error == "the comment is no longer public"
    tasks.redeliver(delivery=delivery)
    run_ready_tasks()
    assert len(receiver.received) == 1
