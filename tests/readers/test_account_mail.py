"""Account mail (verification links, notices, password reset) is sent by the
background worker, never while the reader's request waits, and a mail server
that is away delays it rather than failing the request."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from broadsheet.background.worker import run_ready_tasks
from tests.servers import free_port

pytestmark = pytest.mark.django_db

SIGN_UP = {
    "handle": "kestrel-7",
    "display_name": "Anna Petrova",
    "email": "anna@example.org",
    "password": "a long and unusual passphrase",
}


def test_the_verification_link_leaves_with_the_worker_not_the_request(client):
    assert client.post(reverse("readers:sign_up"), SIGN_UP).status_code == 302
    assert mail.outbox == []
    run_ready_tasks()
    [message] = mail.outbox
    assert message.to == ["anna@example.org"] and "/accounts/verify-email/" in message.body


def test_a_password_reset_link_leaves_with_the_worker(client, kestrel):
    client.post(reverse("readers:password_reset"), {"email": kestrel.email})
    assert mail.outbox == []
    # Only ids wait in the task table: the one-time link is made as the mail leaves.
    [queued] = DBTaskResult.objects.filter(task_path__endswith="send_account_email")
    assert "password-reset" not in str(queued.args_kwargs)
    run_ready_tasks()
    [message] = mail.outbox
    assert "/accounts/password-reset/" in message.body


def test_a_mail_server_that_is_away_does_not_fail_the_sign_up(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2
    assert client.post(reverse("readers:sign_up"), SIGN_UP).status_code == 302
    run_ready_tasks()
    retry = DBTaskResult.objects.get(status="READY", task_path__endswith="send_account_email")
    assert retry.run_after > timezone.now()
    assert retry.args_kwargs["kwargs"]["attempt"] == 2


def test_an_address_refused_for_good_is_not_tried_again(client, mail_server):
    mail_server.refused.add("anna@example.org")
    assert client.post(reverse("readers:sign_up"), SIGN_UP).status_code == 302
    run_ready_tasks()
    [attempt] = DBTaskResult.objects.filter(task_path__endswith="send_account_email")
    assert attempt.status == "FAILED"
    assert "550" in str(attempt.exception_class_path) + str(attempt.traceback)
    assert mail_server.received == []
