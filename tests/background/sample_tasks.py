"""Tasks the background tests enqueue: each leaves a line in a file, so a worker
in another process shows what it ran."""

import time
from pathlib import Path

from django_tasks import task

from broadsheet.background.retries import TryAgainLater, retrying_task


@task()
def note(path: str, text: str) -> None:
    with Path(path).open("a") as file:
        file.write(text + "\n")


@task()
def note_then_hang(path: str, text: str, hang_while: str) -> None:
    """Notes, then hangs while the file `hang_while` exists (at most two minutes)."""
    with Path(path).open("a") as file:
        file.write(text + "\n")
    deadline = time.monotonic() + 120
    while Path(hang_while).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@retrying_task()
def fail_until(path: str, succeed_on: int, attempt: int) -> None:
    """Fails (may pass) until it has been tried `succeed_on` times."""
    notes = Path(path)
    tries = len(notes.read_text().splitlines()) + 1 if notes.exists() else 1
    with notes.open("a") as file:
        file.write(f"try {tries}\n")
    assert tries == attempt
    if tries < succeed_on:
        raise TryAgainLater(f"try {tries} of {succeed_on}")
