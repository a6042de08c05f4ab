"""The task queue keeps its promises: committed work runs, rolled-back work never
does, failures that may pass are retried later, and work a killed worker left
half-done is picked up again."""

import os
import signal
import subprocess
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from broadsheet.background.operations import requeue_stale_tasks
from broadsheet.background.worker import run_ready_tasks
from tests.background import sample_tasks
from tests.servers import BROADSHEET, cli_env

pytestmark = pytest.mark.django_db(transaction=True)


def lines(path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_a_task_enqueued_in_a_committed_transaction_runs(tmp_path):
    notes = tmp_path / "notes"
    with transaction.atomic():
        sample_tasks.note.enqueue(str(notes), "hello")
    assert lines(notes) == []  # enqueued, not run in the request
    assert run_ready_tasks() == 1
    assert lines(notes) == ["hello"]
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL


def test_a_task_enqueued_in_a_transaction_that_rolls_back_never_runs(tmp_path):
    notes = tmp_path / "notes"
    with pytest.raises(RuntimeError), transaction.atomic():
        sample_tasks.note.enqueue(str(notes), "never")
        raise RuntimeError("the write failed")
    assert DBTaskResult.objects.count() == 0
    assert run_ready_tasks() == 0
    assert lines(notes) == []


def test_a_failure_that_may_pass_is_tried_again_later_with_a_growing_delay(tmp_path, settings):
    settings.BROADSHEET_TASK_RETRY_SECONDS = 10
    notes = tmp_path / "notes"
    sample_tasks.fail_until.enqueue(str(notes), 3)
    start = timezone.now()
    assert run_ready_tasks() == 1
    assert lines(notes) == ["try 1"]
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert timedelta(seconds=9) < retry.run_after - start < timedelta(seconds=12)
    assert run_ready_tasks() == 0  # not before its time

    with time_machine.travel(retry.run_after + timedelta(seconds=1)):
        assert run_ready_tasks() == 1
        second_retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    # Doubled: 20 s after the second attempt.
    assert timedelta(seconds=19) < second_retry.run_after - retry.run_after < timedelta(seconds=23)
    with time_machine.travel(second_retry.run_after + timedelta(seconds=1)):
        assert run_ready_tasks() == 1
    assert lines(notes) == ["try 1", "try 2", "try 3"]
    statuses = sorted(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses == ["FAILED", "FAILED", "SUCCESSFUL"]  # every attempt on record


def test_retries_stop_after_the_last_attempt(tmp_path, settings):
    settings.BROADSHEET_TASK_ATTEMPTS = 2
    notes = tmp_path / "notes"
    sample_tasks.fail_until.enqueue(str(notes), 99)
    run_ready_tasks()
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        run_ready_tasks()
        assert run_ready_tasks() == 0
    assert lines(notes) == ["try 1", "try 2"]
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 0


def _database_url() -> str:
    """The test database, for a worker in another process."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    return (
        f"postgres://{config['USER']}:{config.get('PASSWORD') or ''}@{config['HOST']}:"
        f"{config['PORT']}/{config['NAME']}"
    )


def _wait_for(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.mark.slow
def test_work_a_killed_worker_left_half_done_runs_again_and_the_rest_is_not_lost(
    tmp_path, settings
):
    notes = tmp_path / "notes"
    hang = tmp_path / "hang"
    hang.touch()
    with transaction.atomic():
        sample_tasks.note_then_hang.enqueue(str(notes), "first", str(hang))
        sample_tasks.note.using(run_after=timezone.now() + timedelta(seconds=2)).enqueue(
            str(notes), "second"
        )
    worker = subprocess.Popen(
        [*BROADSHEET, "worker", "--interval", "0.1"],
        env=cli_env(tmp_path / "data", BROADSHEET_DATABASE_URL=_database_url()),
    )
    try:
        _wait_for(lambda: lines(notes) == ["first"])
        os.kill(worker.pid, signal.SIGKILL)  # mid-task, no chance to record anything
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    interrupted = DBTaskResult.objects.get(task_path__endswith="note_then_hang")
    assert interrupted.status == TaskResultStatus.RUNNING

    hang.unlink()
    settings.BROADSHEET_TASK_STALE_SECONDS = 1
    time.sleep(1.2)
    assert requeue_stale_tasks() == 1
    with time_machine.travel(timezone.now() + timedelta(seconds=3), tick=False):
        # The interrupted task is tried again (it is idempotent) and the one that
        # was waiting runs too.
        sample_tasks_ran = run_ready_tasks()
    assert sample_tasks_ran == 2
    assert sorted(lines(notes)) == ["first", "first", "second"]


@pytest.mark.slow
def test_the_worker_stops_cleanly_on_sigterm(tmp_path):
    worker = subprocess.Popen(
        [*BROADSHEET, "worker", "--interval", "0.1"],
        env=cli_env(tmp_path / "data", BROADSHEET_DATABASE_URL=_database_url()),
    )
    time.sleep(3)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=15) == 0


def _children(pid: int) -> list[tuple[int, str]]:
    """The ids and command lines of `pid`'s child processes (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            if parent == pid:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    found.append((int(entry), cmdline.read().replace(b"\0", b" ").decode()))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _workers_of(pid: int) -> list[int]:
    return [child for child, line in _children(pid) if " worker " in f"{line} "]


@pytest.mark.slow
def test_serve_runs_a_worker_unless_told_not_to_and_it_leaves_with_the_server(tmp_path):
    from tests.servers import Server

    server = Server(tmp_path / "with", "--no-demo")
    try:
        [worker] = _workers_of(server.process.pid)
    finally:
        server.stop()
    # Stopping the server stopped its worker too.
    _wait_for(lambda: not os.path.exists(f"/proc/{worker}"), timeout=15)

    quiet = Server(tmp_path / "without", "--no-demo", "--no-worker")
    try:
        assert _workers_of(quiet.process.pid) == []
    finally:
        quiet.stop()


def test_finished_tasks_are_forgotten_after_some_days(tmp_path, settings):
    from broadsheet.background.operations import prune_finished_tasks

    settings.BROADSHEET_TASK_RESULTS_KEEP_DAYS = 7
    notes = tmp_path / "notes"
    sample_tasks.note.enqueue(str(notes), "old")
    run_ready_tasks()
    waiting = sample_tasks.note.using(run_after=timezone.now() + timedelta(days=30)).enqueue(
        str(notes), "later"
    )
    assert prune_finished_tasks() == 0
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        assert prune_finished_tasks() == 1
    assert [str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)] == [waiting.id]
