"""Posting a comment: the form post of a signed-in reader (session, CSRF, submission
key), 4 and 16 writers at once, against `broadsheet serve --workers 2` on SQLite and
on PostgreSQL + Redis, and Isso 0.14's post on the same machine in the same run.

    .venv/bin/python -m bench post                 # SQLite and PostgreSQL + Redis, 3 runs of 10 s
    .venv/bin/python -m bench post --quick         # 1 run of 2 s each
    .venv/bin/python -m bench post --isso          # with Isso's rows and the ratio to them
    .venv/bin/python -m bench post --profile DIR   # py-spy on each worker during the 4-writer run

Each database gets a new site (one article, no comments) so runs compare. Besides
wrk's numbers, each row gives the server's CPU per post: the CPU time all the
server's processes (workers and task worker) used during the runs, read from
/proc, divided by the posts made. That figure does not depend on what else loads
the machine the way requests a second do. PostgreSQL and Redis run throwaway on
loopback with their durable defaults (bench/databases.py). `--profile` writes
py-spy's folded stacks per worker (DIR/<database>-<pid>.txt) and a table of the
functions with the largest share of samples (DIR/<database>-top.txt).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import databases, harness
from bench.broadsheet_site import (
    BroadsheetServer,
    Part,
    Site,
    article_path,
    build,
    run,
    server_env,
)
from bench.harness import LoadResult, median_of, run_request

ROOT = Path(__file__).resolve().parent.parent / "var" / "bench"
SITE = Site("post", (Part("post", 1, 0),))
WRITERS = (4, 16)
SQLITE = "Broadsheet, SQLite"
POSTGRES = "Broadsheet, PostgreSQL + Redis"


@dataclass(frozen=True)
class PostRow:
    server: str
    writers: int
    result: LoadResult
    cpu_ms_per_post: float | None
    # PostgreSQL's and Redis's own CPU a post, when they run for this row.
    database_cpu_ms_per_post: float | None = None
    # Each run's wrk connections per server worker ("3/1"), read halfway through:
    # the workers share one listening socket and keep a connection for its life,
    # so the split is the accept race's at wrk's start, and a run with every
    # connection on one worker has one sync thread doing all the work.
    splits: tuple[str, ...] = ()


def fresh_site(name: str, **settings: str) -> Path:
    """A new data folder holding `SITE` (made with `broadsheet demo`), on the database
    `settings` name (SQLite in the folder by default)."""
    site = Site(name, SITE.parts)
    shutil.rmtree(ROOT / "sites" / name, ignore_errors=True)
    if settings:
        # build() runs `broadsheet demo` with the benchmark's environment only;
        # these settings (a database URL) must reach it too.
        data_dir = ROOT / "sites" / name
        data_dir.mkdir(parents=True)
        part = SITE.parts[0]
        run(
            ["demo", "--articles", str(part.articles), "--comments-per-article",
             str(part.comments), "--slug-prefix", part.prefix],
            server_env(data_dir, **settings),
        )  # fmt: skip
        return data_dir
    return build(site, ROOT)


def measure_posts(
    server: BroadsheetServer,
    name: str,
    *,
    runs: int,
    seconds: float,
    writers: tuple[int, ...] = WRITERS,
    profile: Path | None = None,
    database_pids: Callable[[], list[int]] | None = None,
) -> list[PostRow]:
    """Rows for `server` (started): a warm-up, then `runs` runs at each writer count,
    the median, and the server's CPU per post over all the runs (and the database
    servers' own, when `database_pids` names their processes)."""
    request = server.post_request(article_path(SITE.parts[0].prefix))
    port = server.port
    rows = []
    for connections in writers:
        run_request(server.base_url, request, connections=connections, seconds=1)
        harness.wait_idle(server.pids(), port=port, window=0.25)
        results, cpu, database_cpu, posts = [], 0.0, 0.0, 0
        splits: list[str] = []
        for index in range(runs):
            spies = []
            if profile is not None and connections == writers[0] and index == 0:
                spies = start_profiles(server.worker_pids(), profile, name, seconds)
            before = harness.cpu_seconds(server.pids())
            database_before = harness.cpu_seconds(database_pids()) if database_pids else 0.0
            split_reader = threading.Timer(
                seconds / 2, _read_split, (splits, server.worker_pids(), port, server.workers)
            )
            split_reader.start()
            result = run_request(server.base_url, request, connections=connections, seconds=seconds)
            split_reader.join()
            harness.wait_idle(server.pids(), port=port, window=0.25)
            cpu += harness.cpu_seconds(server.pids()) - before
            if database_pids:
                database_cpu += harness.cpu_seconds(database_pids()) - database_before
            posts += result.requests
            results.append(result)
            finish_profiles(spies, profile, name)
        row = PostRow(
            name, connections, median_of(results), 1000 * cpu / max(posts, 1),
            1000 * database_cpu / max(posts, 1) if database_pids else None,
            tuple(splits),
        )  # fmt: skip
        databases_part = (
            f" (PostgreSQL + Redis: {row.database_cpu_ms_per_post:.2f} ms more)"
            if database_pids else ""
        )  # fmt: skip
        print(f"  {name}, {connections} writers: {row.result.rps:,.0f} posts/s, "
              f"{row.cpu_ms_per_post:.2f} ms CPU a post{databases_part}", flush=True)  # fmt: skip
        rows.append(row)
    return rows


def _read_split(splits: list[str], pids: list[int], port: int, workers: int) -> None:
    # The server's children include the task worker, which serves no connection.
    counts = sorted(harness.connections_by_process(pids, port).values(), reverse=True)
    splits.append("/".join(str(n) for n in counts[:workers]))


def start_profiles(pids: list[int], folder: Path, name: str, seconds: float) -> list:
    py_spy = Path(sys.executable).parent / "py-spy"
    if not py_spy.exists():
        py_spy = Path(shutil.which("py-spy") or "py-spy")
    folder.mkdir(parents=True, exist_ok=True)
    spies = []
    for pid in pids:
        out = folder / f"{_file_name(name)}-{pid}.txt"
        command = [
            str(py_spy), "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
            "--duration", str(max(1, round(seconds))), "-o", str(out),
        ]  # fmt: skip
        spies.append(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
    return spies


def finish_profiles(spies: list, folder: Path | None, name: str) -> None:
    for spy in spies:
        spy.wait(timeout=120)
    if spies and folder is not None:
        top = summarize_profiles(sorted(folder.glob(f"{_file_name(name)}-[0-9]*.txt")))
        (folder / f"{_file_name(name)}-top.txt").write_text(top)


def _file_name(name: str) -> str:
    return "postgres" if "PostgreSQL" in name else "sqlite"


# Where a process waits rather than works: py-spy samples a waiting thread too
# (its idle detection does not see through these), so such samples are left out.
WAITING = {
    "Runner.run (asyncio/runners.py)",
    "_worker (concurrent/futures/thread.py)",
    "Connection._recv (multiprocessing/connection.py)",
    "Condition.wait (threading.py)",
    "main (multiprocessing/resource_tracker.py)",
    "BaseSelector.select (selectors.py)",
    "EpollSelector.select (selectors.py)",
    "sleep (time)",
}


def summarize_profiles(files: list[Path], top: int = 40) -> str:
    """The functions with the largest share of busy samples, inclusive (anywhere on
    the stack) and on top (where the CPU was), from py-spy's folded stacks."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for file in files:
        for line in file.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack:
                continue
            samples = int(count)
            frames = [_short(frame) for frame in stack.split(";")]
            if frames[-1] in WAITING:
                continue
            total += samples
            own[frames[-1]] += samples
            for frame in set(frames):
                inclusive[frame] += samples
    total = max(total, 1)
    lines = [f"{total} busy samples in {len(files)} process(es)", "", "inclusive %  function"]
    lines += [f"{100 * n / total:10.1f}  {frame}" for frame, n in inclusive.most_common(top)]
    lines += ["", "     self %  function"]
    lines += [f"{100 * n / total:10.1f}  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(lines) + "\n"


def _short(frame: str) -> str:
    # "post_comment (broadsheet/discussion/operations.py:199)" -> without the line.
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/broadsheet/", "lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    return f"{name} ({where})"


def run_sqlite(options) -> list[PostRow]:
    data_dir = fresh_site("post-sqlite")
    server = BroadsheetServer(data_dir, harness.free_port(), workers=2)
    server.start()
    try:
        return measure_posts(
            server, SQLITE, runs=options.runs, seconds=options.seconds,
            writers=tuple(options.writers), profile=options.profile,
        )  # fmt: skip
    finally:
        server.stop()


def run_postgres(options) -> list[PostRow]:
    missing = databases.available()
    if missing:
        print(f"  PostgreSQL + Redis skipped, missing: {missing}", flush=True)
        return []
    with databases.throwaway_servers(ROOT / "pg-post") as servers:
        settings = {
            "BROADSHEET_DATABASE_URL": servers.database_url,
            "BROADSHEET_REDIS_URL": servers.redis_url,
        }
        data_dir = fresh_site("post-postgres", **settings)
        server = BroadsheetServer(data_dir, harness.free_port(), workers=2, env=settings)
        server.start()
        try:
            return measure_posts(
                server, POSTGRES, runs=options.runs, seconds=options.seconds,
                writers=tuple(options.writers), profile=options.profile,
                database_pids=lambda: [*servers.postgres_pids(), servers.redis_pid],
            )  # fmt: skip
        finally:
            server.stop()


def run_isso(options) -> list[PostRow]:
    from bench.peers.isso import Isso

    isso = Isso(ROOT / "isso", harness.free_port())
    isso.install()
    path = article_path(SITE.parts[0].prefix)
    isso.seed({path: 0})
    isso.start(workers=2)
    rows = []
    try:
        request = isso.post_request(path)
        for connections in options.writers:
            run_request(isso.base_url, request, connections=connections, seconds=1)
            harness.wait_idle(isso.pids(), port=isso.port, window=0.25)
            results, cpu = [], 0.0
            for _ in range(options.runs):
                before = harness.cpu_seconds(isso.pids())
                results.append(
                    run_request(
                        isso.base_url, request, connections=connections, seconds=options.seconds
                    )
                )
                harness.wait_idle(isso.pids(), port=isso.port, window=0.25)
                cpu += harness.cpu_seconds(isso.pids()) - before
            posts = sum(result.requests for result in results)
            cpu_ms = 1000 * cpu / max(posts, 1)
            rows.append(PostRow("Isso 0.14", connections, median_of(results), cpu_ms))
            print(f"  Isso, {connections} writers: {rows[-1].result.rps:,.0f} posts/s", flush=True)
    finally:
        isso.stop()
    return rows


def table(rows: list[PostRow]) -> str:
    isso = {row.writers: row.result.rps for row in rows if row.server.startswith("Isso")}
    lines = [
        "| writers | server | posts/s | p50 ms | p99 ms | errors | CPU ms a post "
        "| database CPU ms a post | x Isso | connections per worker |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in sorted(rows, key=lambda row: row.writers):
        result = row.result
        ratio = f"{result.rps / isso[row.writers]:.2f}x" if isso.get(row.writers) else ""
        cpu = f"{row.cpu_ms_per_post:.2f}" if row.cpu_ms_per_post is not None else ""
        database = row.database_cpu_ms_per_post
        database_cpu = f"{database:.2f}" if database is not None else ""
        if row.server.startswith("Isso"):
            ratio = ""
        lines.append(
            f"| {row.writers} | {row.server} | {result.rps:,.0f} | {result.p50_ms:.1f} "
            f"| {result.p99_ms:.1f} | {result.errors} | {cpu} | {database_cpu} | {ratio} "
            f"| {', '.join(row.splits)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench post", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 run of 2 s")
    parser.add_argument("--runs", type=int, help="runs per row (median shown; default 3)")
    parser.add_argument("--seconds", type=float, help="seconds per run (default 10)")
    parser.add_argument("--isso", action="store_true", help="also Isso 0.14's post")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL + Redis")
    parser.add_argument(
        "--writers", type=int, nargs="+", default=list(WRITERS), help="connections (4 16)"
    )
    parser.add_argument("--profile", type=Path, help="py-spy each worker into this folder")
    options = parser.parse_args(argv)
    options.runs = options.runs or (1 if options.quick else 3)
    options.seconds = options.seconds or (2 if options.quick else 10)
    if shutil.which("wrk") is None:
        print("wrk is missing: bench/run installs it", file=sys.stderr)
        return 2
    started = time.monotonic()
    rows: list[PostRow] = []
    if not options.no_sqlite:
        rows += run_sqlite(options)
    if not options.no_postgres:
        rows += run_postgres(options)
    if options.isso:
        rows += run_isso(options)
    print()
    print(f"`python -m bench post` ({options.runs} run(s) of {options.seconds:g} s, "
          "`serve --workers 2`)\n")  # fmt: skip
    print(table(rows))
    print(f"\ntook {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
