"""Tasks that try again: django-tasks records a failure and stops there (as
Django 6's framework does), so a task that talks to something outside (a mail
server) re-enqueues itself with a growing delay until it runs out of attempts.

A retry is a new task row, enqueued in the worker's own autocommit: it is as
durable as the first, and the failed attempt stays visible in the admin with
its error.
"""

import functools
import smtplib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task


class TryAgainLater(Exception):
    """Raised by a task for a failure that may pass (a refused connection, a
    temporary SMTP answer): the task runs again later."""


def mail_failure_may_pass(error: OSError) -> bool:
    """Whether a failure to send mail is worth another try later: the server away
    (no connection, a timeout) or a 4xx answer; not a 5xx refusal, which says
    "never to this address". (smtplib's errors are OSErrors.)"""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return not (codes and all(500 <= code < 600 for code in codes))
    code = getattr(error, "smtp_code", None)
    return not (isinstance(code, int) and 500 <= code < 600)


def backoff_delay(attempt: int) -> timedelta:
    """How long to wait before attempt `attempt + 1`: doubling from
    BROADSHEET_TASK_RETRY_SECONDS, at most an hour."""
    base = settings.BROADSHEET_TASK_RETRY_SECONDS
    return timedelta(seconds=min(base * 2 ** (attempt - 1), 3600))


def retrying_task(*, queue_name: str = "default", priority: int = 0) -> Callable:
    """Like `@task()`, for a task that raises `TryAgainLater` when it should run
    again: up to BROADSHEET_TASK_ATTEMPTS attempts, further apart each time.

    The wrapped function takes an `attempt` keyword (1 for the first) and must
    be idempotent (every task here is): a retry may follow an attempt that did
    part of its work."""

    def decorate(function: Callable[..., Any]) -> Task:
        @functools.wraps(function)
        def run(*args: Any, attempt: int = 1, **kwargs: Any) -> Any:
            try:
                return function(*args, attempt=attempt, **kwargs)
            except TryAgainLater:
                if attempt >= settings.BROADSHEET_TASK_ATTEMPTS:
                    raise
                the_task.using(run_after=timezone.now() + backoff_delay(attempt)).enqueue(
                    *args, attempt=attempt + 1, **kwargs
                )
                raise

        the_task = task(queue_name=queue_name, priority=priority)(run)
        return the_task

    return decorate
