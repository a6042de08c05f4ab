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


@contextlib.contextmanager
def throwaway_postgres_and_redis(workdir: Path) -> Iterator[tuple[str, str]]:
    """(database URL, Redis URL) of a new PostgreSQL database and Redis, for the block."""
    pg_bin = postgres_bin()
    if pg_bin is None or shutil.which("redis-server") is None:
        raise RuntimeError(f"missing: {available()}")
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    as_pg = _as_postgres()
    if as_pg:
        subprocess.run(["chown", "-R", "postgres", str(workdir)], check=True)
    data = workdir / "pg"
    pg_port, redis_port = harness.free_port(), harness.free_port()
    subprocess.run(
        [*as_pg, str(pg_bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
         "--no-sync", "-E", "UTF8"],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [*as_pg, str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(workdir / "pg.log"), "-w",
         "-o", f"-h 127.0.0.1 -p {pg_port} -k {workdir} -c max_connections=200", "start"],
        check=True, capture_output=True,
    )  # fmt: skip
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
        yield (
            f"postgres://postgres@127.0.0.1:{pg_port}/broadsheet",
            f"redis://127.0.0.1:{redis_port}/0",
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
