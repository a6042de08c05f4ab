"""Nothing is sent twice: a worker killed while a batch of e-mail goes out leaves
the message it was sending marked as such, and the next worker sends the rest,
each once."""

import os
import signal
import subprocess
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from broadsheet.background.operations import requeue_stale_tasks
from broadsheet.background.worker import run_ready_tasks
from broadsheet.notifications import tasks
from broadsheet.notifications.models import OutboxMessage
from tests.background.test_worker import _database_url
from tests.servers import BROADSHEET, cli_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _outbox(reader, count: int) -> list[OutboxMessage]:
    now = timezone.now()
    with transaction.atomic():
        messages = [
            OutboxMessage.objects.create(
                reader=reader,
                to=reader.email,
                subject=f"Message {n}",
                text_body=f"Body {n}",
                html_body=f"<p>Body {n}</p>",
                headers={"Message-ID": f"<message-{n}@news.example.org>"},
                created_at=now,
            )
            for n in range(count)
        ]
        for message in messages:
            tasks.deliver_email.enqueue(message.pk)
    return messages


def test_a_worker_killed_mid_batch_sends_nothing_twice(tmp_path, verified, mail_server, settings):
    alice = verified("alice")
    messages = _outbox(alice, 5)
    mail_server.hold_subject = "Message 2"
    worker = subprocess.Popen(
        [*BROADSHEET, "worker", "--interval", "0.1"],
        env=cli_env(
            tmp_path / "data",
            BROADSHEET_DATABASE_URL=_database_url(),
            BROADSHEET_EMAIL_HOST=mail_server.host,
            BROADSHEET_EMAIL_PORT=str(mail_server.port),
            BROADSHEET_EMAIL_USE_TLS="false",
        ),
    )
    try:
        assert mail_server.holding.wait(timeout=60), "the worker never reached message 2"
        os.kill(worker.pid, signal.SIGKILL)  # while the server holds message 2
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    mail_server.release.set()
    states = dict(OutboxMessage.objects.values_list("subject", "state"))
    assert states["Message 0"] == states["Message 1"] == "sent"
    assert states["Message 2"] == "sending"  # it may or may not have gone: never again

    settings.BROADSHEET_TASK_STALE_SECONDS = 1
    time.sleep(1.2)
    requeue_stale_tasks()
    with time_machine.travel(timezone.now() + timedelta(seconds=5), tick=False):
        run_ready_tasks()
    received = [str(m["Message-ID"]) for m in mail_server.received]
    for n in range(5):
        assert received.count(f"<message-{n}@news.example.org>") == 1, received
    states = dict(OutboxMessage.objects.values_list("subject", "state"))
    assert [states[f"Message {n}"] for n in (3, 4)] == ["sent", "sent"]
    assert len(messages) == 5
