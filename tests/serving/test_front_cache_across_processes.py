"""The front cache hears of changes made by other processes at once: an article
unpublished by `broadsheet publish`, run beside the server, is gone from the
server's very next answer (issue 10, point 8)."""

import os
from pathlib import Path

import pytest

from broadsheet.core.front_cache import ChangeJournal, clock
from tests.servers import BROADSHEET, Server, cli_env, fetch

SOURCE = """\
---
title: Ferry saved for one more summer
slug: ferry-saved
lead: The village raised the money itself.
author: Irina Lebedeva
language: en
published: 2023-06-20 09:00
status: {status}
---

The ferry leaves at ten past six.
"""


def publish(data_dir: Path, status: str, **env: str) -> None:
    import subprocess

    source = data_dir / f"{status}.md"
    source.write_text(SOURCE.format(status=status))
    result = subprocess.run(
        [*BROADSHEET, "publish", str(source)],
        env=cli_env(data_dir, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def unpublishing_from_another_process_takes_effect_at_once(data_dir: Path, **env: str):
    publish(data_dir, "published", **env)
    server = Server(data_dir, "--no-demo", env=env)
    try:
        url = server.base + "/articles/ferry-saved/"
        for _ in range(3):  # the repeats are answered from the front cache
            assert fetch(url)[0] == 200
        publish(data_dir, "draft", **env)
        assert fetch(url)[0] == 404
        publish(data_dir, "published", **env)
        assert fetch(url)[0] == 200
    finally:
        server.stop()


def test_an_article_unpublished_by_another_process_is_gone_at_once(tmp_path):
    unpublishing_from_another_process_takes_effect_at_once(tmp_path)


def test_an_article_unpublished_by_another_process_through_redis_is_gone_at_once(tmp_path):
    url = os.environ.get("BROADSHEET_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must run with Redis: scripts/test starts it")
        pytest.skip("needs a Redis server: run through scripts/test")
    unpublishing_from_another_process_takes_effect_at_once(tmp_path, BROADSHEET_REDIS_URL=url)


# --- the journal itself -------------------------------------------------------------


def write_as_another_process(path: Path, *article_ids: int) -> None:
    with open(path, "ab") as journal:
        for article_id in article_ids:
            journal.write(f"{os.getpid() + 1} {article_id}\n".encode())


def changed_since(moment: int) -> set[int] | str:
    """Which of articles 1..20 this process's front cache now counts as changed."""
    if not clock.unchanged_since(moment, frozenset()):
        return "everything"
    return {n for n in range(1, 21) if not clock.unchanged_since(moment, frozenset({n}))}


def test_a_process_reads_only_what_others_wrote_after_it_started(tmp_path):
    path = tmp_path / "changes.log"
    write_as_another_process(path, 1)
    reader = ChangeJournal(path)
    moment = clock.now()
    reader.catch_up()
    assert changed_since(moment) == set()  # from before this process served anything
    write_as_another_process(path, 2, 3)
    ChangeJournal(path).record(4)  # this process's own write, which it already acted on
    reader.catch_up()
    reader.catch_up()
    assert changed_since(moment) == {2, 3}


def test_a_line_still_being_written_waits_for_its_end(tmp_path):
    path = tmp_path / "changes.log"
    reader = ChangeJournal(path)
    reader.catch_up()
    moment = clock.now()
    with open(path, "ab") as journal:
        journal.write(f"{os.getpid() + 1} 1".encode())
    reader.catch_up()
    assert changed_since(moment) == set()
    with open(path, "ab") as journal:
        journal.write(b"2\n")
    reader.catch_up()
    assert changed_since(moment) == {12}


def test_a_journal_started_afresh_makes_every_process_forget_every_page(tmp_path):
    path = tmp_path / "changes.log"
    reader = ChangeJournal(path)
    reader.catch_up()
    write_as_another_process(path, 1)
    reader.catch_up()
    moment = clock.now()
    ChangeJournal(path, max_bytes=1).record(2)  # past the size: the writer starts a new file
    reader.catch_up()
    assert changed_since(moment) == "everything"
    assert path.read_bytes() == f"{os.getpid()} 2\n".encode()  # the change is not lost
