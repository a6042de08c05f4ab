"""The worker: takes ready tasks from the database queue and runs them.

django-tasks-db brings a worker (`db_worker`); ours wraps its claiming and
running with what a long-lived process on a newsroom's one machine needs:
putting back tasks a killed worker left half-done, and leaving with the server
that started it.
"""

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable

from django.db import OperationalError, close_old_connections
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from broadsheet.background.operations import prune_finished_tasks, requeue_stale_tasks

logger = logging.getLogger(__name__)

STALE_CHECK_SECONDS = 30

# Standing duties the worker does on every look, registered by the apps that own
# them (AppConfig.ready), so this package imports no feature: each takes what has
# piled up since the last look and returns how much it did (0: nothing to do).
_duties: list[Callable[[], int]] = []


def register_duty(duty: Callable[[], int]) -> None:
    if duty not in _duties:
        _duties.append(duty)


def _do_duties() -> int:
    done = 0
    for duty in _duties:
        try:
            done += duty()
        except Exception:
            # The work stays where it was (its rows roll back) for the next look.
            logger.exception("worker: duty %s failed", getattr(duty, "__name__", duty))
    return done


def _runner(worker_id: str) -> Worker:
    return Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def _claim_next(worker_id: str) -> DBTaskResult | None:
    tasks = DBTaskResult.objects.ready().filter(backend_name="default")
    if not tasks.exists():
        # A plain read first: claiming takes SQLite's write lock, which an idle
        # worker must not hold against the comments being posted.
        return None
    try:
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(worker_id)
            return task_result
    except OperationalError as error:
        if is_locked_database_exception(error):
            return None  # another writer holds SQLite: try again next round
        raise


def run_ready_tasks(*, worker_id: str | None = None, max_tasks: int | None = None) -> int:
    """Do the standing duties, then run the tasks that are ready now, one after
    another (again while either finds more); how many tasks ran."""
    worker_id = worker_id or f"inline-{uuid.uuid4().hex[:8]}"
    runner = _runner(worker_id)
    ran = 0
    while True:
        did_duties, ran_now = _look(
            worker_id, runner, max_tasks=None if max_tasks is None else max_tasks - ran
        )
        ran += ran_now
        if (not did_duties and not ran_now) or (max_tasks is not None and ran >= max_tasks):
            return ran


def _look(worker_id: str, runner: Worker, *, max_tasks: int | None) -> tuple[int, int]:
    """One look: the standing duties once, then up to `max_tasks` ready tasks; what
    the duties did and how many tasks ran."""
    did_duties = _do_duties()
    ran = 0
    while max_tasks is None or ran < max_tasks:
        task_result = _claim_next(worker_id)
        if task_result is None:
            break
        runner.run_task(task_result)
        ran += 1
    return did_duties, ran


def run_worker(*, interval: float, exit_with: int | None = None) -> None:
    """Run tasks until SIGTERM/SIGINT (finishing the task at hand) or, with
    `exit_with`, until the process of that id (the server that started this
    one, which may be killed without the chance to stop it) is no longer its
    parent."""
    worker_id = f"{os.uname().nodename}-{os.getpid()}"[:64]
    stopping = threading.Event()

    def stop(_signum, _frame):
        stopping.set()  # nothing else: a signal handler must not take locks (logging's)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger.info("worker %s: started", worker_id)
    runner = _runner(worker_id)
    last_stale_check = 0.0
    while not stopping.is_set():
        if exit_with is not None and os.getppid() != exit_with:
            logger.info("worker %s: the server that started it is gone", worker_id)
            break
        close_old_connections()
        if time.monotonic() - last_stale_check >= STALE_CHECK_SECONDS:
            last_stale_check = time.monotonic()
            requeued = requeue_stale_tasks()
            if requeued:
                logger.warning("worker %s: put back %d interrupted tasks", worker_id, requeued)
            prune_finished_tasks()
        # One look, then the wait, unless tasks ran (more may be ready). The
        # duties are not looked at again at once: while comments are posted
        # their queue is never empty, and a look per comment cost the worker
        # about 0.8 ms of CPU a post in batches of one or two (docs/posting.md,
        # round 7); one look each interval takes what piled up, in one batch.
        _did_duties, ran = _look(worker_id, runner, max_tasks=50)
        close_old_connections()
        if not ran:
            stopping.wait(interval)
    logger.info("worker %s: stopped", worker_id)
