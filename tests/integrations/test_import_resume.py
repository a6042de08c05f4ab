"""An import killed half-way: whole threads or nothing, and the next run finishes the job."""

import os
import signal
import subprocess
import time
from collections import Counter

import pytest

from broadsheet.discussion.models import Comment
from broadsheet.integrations.models import ImportedRecord
from tests.integrations.exports import DisqusExport, DisqusPost, DisqusThread
from tests.live.test_across_processes import database_url
from tests.servers import BROADSHEET, cli_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

THREADS, PER_THREAD = 120, 40


def big_export() -> DisqusExport:
    export = DisqusExport(
        threads=[
            DisqusThread(id=f"t{t}", link=f"https://old.example.org/{t}/", title=f"Page {t}")
            for t in range(THREADS)
        ]
    )
    for n in range(THREADS * PER_THREAD):
        thread = n % THREADS  # interleaved, as exports are: no thread's posts sit together
        export.posts.append(
            DisqusPost(
                id=f"p{n}",
                thread=f"t{thread}",
                parent=f"p{n - THREADS}" if n >= THREADS and n % 3 == 0 else "",
                created=f"2019-03-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z",
                message=f"<p>Comment {n} on <b>page</b> {thread}</p>",
                name=f"Reader {n % 50}",
                email=f"r{n % 50}@example.org",
            )
        )
    return export


def start_import(path, data_dir) -> subprocess.Popen:
    env = cli_env(data_dir, BROADSHEET_DATABASE_URL=database_url())
    return subprocess.Popen(
        [*BROADSHEET, "import", "disqus", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def imported_threads() -> int:
    return ImportedRecord.objects.filter(kind="thread").count()


def test_a_killed_import_leaves_whole_threads_and_the_next_run_finishes(tmp_path):
    path = big_export().write(tmp_path / "disqus.xml")
    first = start_import(path, tmp_path / "data")
    deadline = time.monotonic() + 90
    while imported_threads() < 10 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.poll() is None, "the import ended before it could be killed: make it bigger"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)

    per_thread = Counter(Comment.objects.values_list("article_id", flat=True))
    assert 10 <= imported_threads() < THREADS
    # Every thread that has comments has all of them: threads commit whole.
    assert set(per_thread.values()) <= {PER_THREAD}

    second = start_import(path, tmp_path / "data")
    output, _ = second.communicate(timeout=300)
    assert second.returncode == 0, output
    assert Comment.objects.count() == THREADS * PER_THREAD
    assert ImportedRecord.objects.filter(kind="comment").count() == THREADS * PER_THREAD
    assert set(Counter(Comment.objects.values_list("article_id", flat=True)).values()) == {
        PER_THREAD
    }
    assert "threads imported before" in output
