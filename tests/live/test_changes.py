"""The changes clock and the change journal: how the processes of one machine
without Redis tell each other which articles changed (issue 10, point 8).
tests/serving/test_front_cache_across_processes.py shows the result end to end."""

import os
from pathlib import Path

from broadsheet.live.changes import ChangeJournal, clock


def write_as_another_process(path: Path, *article_ids: int) -> None:
    with open(path, "ab") as journal:
        for article_id in article_ids:
            journal.write(f"{os.getpid() + 1} {article_id}\n".encode())


def changed_since(moment: int) -> set[int] | str:
    """Which of articles 1..20 this process's clock now counts as changed."""
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
