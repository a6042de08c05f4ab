"""Writes to the task queue's own rows that are not enqueueing a task."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult


def requeue_stale_tasks() -> int:
    """Put back tasks whose worker vanished mid-run (killed, machine lost).

    A claimed task is RUNNING until its worker records the outcome; one still
    RUNNING after BROADSHEET_TASK_STALE_SECONDS belongs to a worker that is gone
    (tasks here take seconds), so it is made READY again. Every task is
    idempotent, so running one twice is safe; the e-mail outbox makes sure a
    message whose sending was interrupted is not sent twice.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.BROADSHEET_TASK_STALE_SECONDS)
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).update(status=TaskResultStatus.READY, started_at=None)


def prune_finished_tasks() -> int:
    """Forget tasks finished more than BROADSHEET_TASK_RESULTS_KEEP_DAYS ago: the
    table would otherwise grow with every comment's e-mail, arguments and all."""
    cutoff = timezone.now() - timedelta(days=settings.BROADSHEET_TASK_RESULTS_KEEP_DAYS)
    pruned, _by_model = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=cutoff,
    ).delete()
    return pruned


def measure_task_backlog() -> tuple[int, float]:
    """How many tasks wait to run, and how long (seconds) the oldest has waited;
    one aggregate over the queue's partial index of ready tasks."""
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY).aggregate(
        count=Count("pk"), oldest=Min("enqueued_at")
    )
    oldest = waiting["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest is not None else 0.0
    return waiting["count"], max(age, 0.0)
