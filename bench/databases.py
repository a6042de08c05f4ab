"""A throwaway PostgreSQL and Redis on loopback for the benchmarks that measure the
production set-up (`BROADSHEET_DATABASE_URL` + `BROADSHEET_REDIS_URL`), started as
scripts/test starts them for the test suite, but with PostgreSQL's durable defaults
(fsync and synchronous commit on): a benchmark's acknowledged comment must cost
what a real one costs.

    with throwaway_postgres_and_redis(Path("var/bench/pg")) as (database_url, redis_url):
        ...

Both live in `workdir` and are gone (stopped, files removed) when the block ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import harness


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian's layout), or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    return found[-1] if found and (found[-1] / "initdb").exists() else None


def available() -> str:
    """ "" when PostgreSQL and Redis are installed, else what is missing."""
    missing = []
    if postgres_bin() is None:
        missing.append("PostgreSQL (apt-get install postgresql)")
    if shutil.which("redis-server") is None:
        missing.append("Redis (apt-get install redis-server)")
    return ", ".join(missing)


def _as_postgres() -> list[str]:
    # PostgreSQL refuses to run as root; scripts/test does the same.
    if os.geteuid() != 0:
        return []
    if subprocess.run(["id", "postgres"], capture_output=True, check=False).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
    return ["runuser", "-u", "postgres", "--"]


def _wait_listening(port: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:g} s")
        time.sleep(0.1)


@dataclass(frozen=True)
class Servers:
    """A running throwaway PostgreSQL and Redis: where to reach them, their processes
    (for their CPU from /proc) and PostgreSQL's log."""

    database_url: str
    redis_url: str
    redis_port: int
    postgres_data: Path
    postgres_log: Path
    redis_pid: int

    def postgres_pids(self) -> list[int]:
        """The postmaster and every process it started (one backend per connection)."""
        postmaster = int((self.postgres_data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                    children.append(int(stat.parent.name))
        return [postmaster, *children]


@contextlib.contextmanager
def throwaway_postgres_and_redis(workdir: Path) -> Iterator[tuple[str, str]]:
    """(database URL, Redis URL) of a new PostgreSQL database and Redis, for the block."""
    with throwaway_servers(workdir) as servers:
        yield servers.database_url, servers.redis_url


@contextlib.contextmanager
def throwaway_servers(workdir: Path, *, log_statements: bool = False) -> Iterator[Servers]:
    """A new PostgreSQL database and Redis for the block. `log_statements` has
    PostgreSQL log every statement it runs (log_statement=all), so a benchmark can
    count its round trips from the log."""
    pg_bin = postgres_bin()
    if pg_bin is None or shutil.which("redis-server") is None:
        raise RuntimeError(f"missing: {available()}")
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    as_pg = _as_postgres()
    if as_pg:
        subprocess.run(["chown", "-R", "postgres", str(workdir)], check=True)
    data = workdir / "pg"
    log = workdir / "pg.log"
    subprocess.run(
        [*as_pg, str(pg_bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
         "--no-sync", "-E", "UTF8"],
        check=True, capture_output=True,
    )  # fmt: skip
    logging = " -c log_statement=all -c log_min_messages=warning" if log_statements else ""
    pg_port = harness.free_port()
    subprocess.run(
        [*as_pg, str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
         "-o", f"-h 127.0.0.1 -p {pg_port} -k {workdir} -c max_connections=200{logging}",
         "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    # Picked once PostgreSQL listens: with BENCH_PORTS, free_port() gives the first
    # free port of the range, which would otherwise be PostgreSQL's too.
    redis_port = harness.free_port()
    redis = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "",
         "--appendonly", "no", "--dir", str(workdir), "--logfile", str(workdir / "redis.log")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        subprocess.run(
            [str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres",
             "broadsheet"],
            check=True, capture_output=True,
        )  # fmt: skip
        _wait_listening(redis_port, timeout=10)
        yield Servers(
            database_url=f"postgres://postgres@127.0.0.1:{pg_port}/broadsheet",
            redis_url=f"redis://127.0.0.1:{redis_port}/0",
            redis_port=redis_port,
            postgres_data=data,
            postgres_log=log,
            redis_pid=redis.pid,
        )
    finally:
        redis.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            redis.wait(timeout=10)
        subprocess.run(
            [*as_pg, str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            capture_output=True, check=False,
        )  # fmt: skip
        shutil.rmtree(workdir, ignore_errors=True)
