"""Benchmark the candidate ASGI servers for `broadsheet serve` on the same demo site.

Run:  .venv/bin/python -m bench asgi-servers [--duration 6] [--connections 32] [--rounds 2]
(or `python -m bench.asgi_servers`; defaults take about 2.5 minutes; --help lists
every option)

For each server in turn this starts one worker process on 127.0.0.1 (a free port),
waits for /healthz, warms it up, reads its idle RSS, then loads the article page
and /healthz with `wrk` and stops the server again (SIGTERM to the pid it started,
then SIGKILL to that process group). Every server serves the same SQLite data
folder, made fresh in a temporary directory with `broadsheet demo`. Loopback only;
every step has a time limit. Rounds are interleaved (A B C D A B C D) so that a
burst of background load hits every server rather than one.

The machine is shared and noisy: compare the ratios to uvicorn, not the raw numbers.
"CPU ms/req" (the server's own user+system CPU time per request served) depends much
less on what else the machine is doing than req/s does.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import broadsheet_site, harness

APP = "broadsheet.asgi:application"
HOST = "127.0.0.1"
ENDPOINTS = {
    "article": "/articles/last-ferry-on-the-kama/",
    "healthz": "/healthz",
}
BIN = Path(sys.executable).parent


def server_command(name: str, port: int) -> list[str]:
    """The command line for one server: one worker, no access log, warnings only."""
    if name == "uvicorn":
        return [
            str(BIN / "uvicorn"),
            APP,
            "--host", HOST,
            "--port", str(port),
            "--workers", "1",
            "--loop", "uvloop",
            "--http", "httptools",
            "--lifespan", "off",  # Django's ASGI handler has no lifespan support
            "--log-level", "warning",
            "--no-access-log",
        ]  # fmt: skip
    if name == "granian":
        return [
            str(BIN / "granian"),
            # "asginl" is ASGI without lifespan: with "asgi" Granian sends a lifespan
            # event, Django rejects it and Granian logs a warning and carries on.
            "--interface", "asginl",
            "--host", HOST,
            "--port", str(port),
            "--workers", "1",
            "--log-level", "warning",
            "--no-access-log",
            APP,
        ]  # fmt: skip
    if name == "hypercorn":
        return [
            str(BIN / "hypercorn"),
            APP,
            "--bind", f"{HOST}:{port}",
            "--workers", "1",
            # uvloop is installed anyway (uvicorn[standard]); give Hypercorn its
            # fastest loop too. The access log is off unless --access-logfile is set.
            "--worker-class", "uvloop",
            "--log-level", "warning",
        ]  # fmt: skip
    if name == "daphne":
        return [
            str(BIN / "daphne"),
            "-b", HOST,
            "-p", str(port),
            "-v", "0",  # verbosity 0: no access log
            APP,
        ]  # fmt: skip
    raise ValueError(name)


SERVERS = ["uvicorn", "granian", "hypercorn", "daphne"]
DISTRIBUTIONS = {
    "uvicorn": "uvicorn",
    "granian": "granian",
    "hypercorn": "hypercorn",
    "daphne": "daphne",
}


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx/3xx responses plus socket errors
    cpu_ms_per_request: float | None = None  # server CPU (user+sys, all its processes)


@dataclass
class Run:
    server: str
    version: str
    rss_mib: float | None = None
    boot_s: float | None = None
    stop_s: float | None = None
    graceful: bool | None = None
    loads: dict[str, list[Load]] = field(default_factory=dict)
    failure: str | None = None


# --- helpers -------------------------------------------------------------------------


def version_of(name: str) -> str:
    try:
        return importlib.metadata.version(DISTRIBUTIONS[name])
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def wrk(url: str, args: argparse.Namespace, seconds: float) -> Load:
    result = harness.run_wrk(
        url, connections=args.connections, seconds=seconds, threads=args.threads, timeout=5
    )
    return Load(result.rps, result.p50_ms, result.p99_ms, result.requests, result.errors)


# --- the benchmark -------------------------------------------------------------------


def make_site(data_dir: Path, env: dict[str, str]) -> None:
    broadsheet_site.run(["demo"], env)
    # `broadsheet serve` collects the static files by itself; the servers run bare
    # here, and pages name their files from the collection's manifest.
    broadsheet_site.run(["manage", "collectstatic", "--noinput", "--verbosity", "0"], env)


def bench_server(name: str, args: argparse.Namespace, env: dict[str, str], logs: Path) -> Run:
    run = Run(name, version_of(name))
    if run.version == "missing":
        run.failure = f"not installed (pip install {DISTRIBUTIONS[name]})"
        return run
    port = harness.free_port()
    base = f"http://{HOST}:{port}"
    log_path = logs / f"{name}.log"
    # Its own process group (harness.start), so stopping it reaches its workers.
    proc = harness.start(server_command(name, port), log=log_path, env=env)
    started = time.monotonic()
    try:
        try:
            harness.wait_until_answering(
                base + "/healthz", proc=proc, log=log_path, timeout=args.start_timeout
            )
        except (RuntimeError, TimeoutError):
            run.failure = f"did not answer /healthz (see {log_path})"
            return run
        run.boot_s = time.monotonic() - started
        for path in ENDPOINTS.values():
            status = harness.http_status(base + path)
            if status != 200:
                run.failure = f"GET {path} answered {status}"
                return run
        for path in ENDPOINTS.values():
            wrk(base + path, args, args.warmup)
        time.sleep(1)  # let the server settle before reading its idle memory
        run.rss_mib = harness.rss_mb(harness.descendants(proc.pid)) or None
        for endpoint, path in ENDPOINTS.items():
            cpu_before = harness.cpu_seconds(harness.descendants(proc.pid))
            load = wrk(base + path, args, args.duration)
            if load.requests:
                cpu_used = harness.cpu_seconds(harness.descendants(proc.pid)) - cpu_before
                load.cpu_ms_per_request = 1000 * cpu_used / load.requests
            run.loads.setdefault(endpoint, []).append(load)
            if proc.poll() is not None:
                run.failure = f"exited during the {endpoint} load (see {log_path})"
                return run
    except (RuntimeError, ValueError, OSError) as error:
        run.failure = f"{type(error).__name__}: {error}"
    finally:
        stopping = time.monotonic()
        # SIGTERM to the server's own pid, as systemd or a container runtime sends it.
        run.graceful = harness.stop(proc, grace=args.stop_grace, signal_group=False)
        run.stop_s = time.monotonic() - stopping
    return run


def median_load(loads: list[Load]) -> Load:
    return Load(
        statistics.median(x.rps for x in loads),
        statistics.median(x.p50_ms for x in loads),
        statistics.median(x.p99_ms for x in loads),
        sum(x.requests for x in loads),
        sum(x.errors for x in loads),
        statistics.median(x.cpu_ms_per_request or 0.0 for x in loads) or None,
    )


def print_table(runs: list[Run], args: argparse.Namespace) -> None:
    merged: dict[str, Run] = {}
    for run in runs:
        into = merged.setdefault(run.server, Run(run.server, run.version))
        if run.failure:
            into.failure = run.failure
        if run.rss_mib is not None:
            into.rss_mib = max(into.rss_mib or 0.0, run.rss_mib)
        for endpoint, loads in run.loads.items():
            into.loads.setdefault(endpoint, []).extend(loads)

    rounds = f", median of {args.rounds} rounds" if args.rounds > 1 else ""
    print(
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency, "
        f"one worker per server, {os.cpu_count()} CPUs{rounds}\n"
    )
    header = (
        f"{'server':<10} {'version':<8} {'endpoint':<8} {'req/s':>8} {'vs uvicorn':>10} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>10} {'errors':>6} {'idle RSS':>9}"
    )
    print(header)
    print("-" * len(header))
    baseline = {
        endpoint: median_load(loads).rps
        for endpoint, loads in merged.get("uvicorn", Run("", "")).loads.items()
    }
    for name in args.servers:
        run = merged.get(name)
        if run is None:
            continue
        rss = f"{run.rss_mib:.0f} MiB" if run.rss_mib is not None else "?"
        if not run.loads:
            print(f"{name:<10} {run.version:<8} FAILED: {run.failure}")
            continue
        for endpoint in ENDPOINTS:
            if endpoint not in run.loads:
                continue
            load = median_load(run.loads[endpoint])
            base = baseline.get(endpoint)
            ratio = f"{load.rps / base:.2f}" if base else "-"
            cpu = f"{load.cpu_ms_per_request:.2f}" if load.cpu_ms_per_request else "?"
            print(
                f"{name:<10} {run.version:<8} {endpoint:<8} {load.rps:>8.0f} {ratio:>10} "
                f"{load.p50_ms:>8.1f} {load.p99_ms:>8.1f} {cpu:>10} {load.errors:>6} {rss:>9}"
            )
        if run.failure:
            print(f"{'':<10} note: {run.failure}")
    print(
        "\nboot to first /healthz 200, and SIGTERM right after the load "
        f"(grace {args.stop_grace:g}s):"
    )
    for name in args.servers:
        mine = [run for run in runs if run.server == name]
        boots = ", ".join(f"{run.boot_s:.1f}s" for run in mine if run.boot_s is not None)
        stops = ", ".join(
            f"exited in {run.stop_s:.1f}s" if run.graceful else "did not exit, killed"
            for run in mine
            if run.stop_s is not None
        )
        print(f"  {name:<10} boot {boots or '?'}; {stops or 'not run'}")
    if args.rounds > 1:
        print("\nreq/s (server CPU ms/request) per round; the spread shows the noise:")
        for name in args.servers:
            run = merged.get(name)
            for endpoint, loads in (run.loads if run else {}).items():
                values = ", ".join(f"{x.rps:.0f} ({x.cpu_ms_per_request or 0:.2f})" for x in loads)
                print(f"  {name:<10} {endpoint:<8} {values}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench asgi-servers", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--duration", type=float, default=6, help="seconds of load per endpoint")
    parser.add_argument("--connections", type=int, default=32, help="wrk open connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--warmup", type=float, default=1, help="seconds of warm-up per endpoint")
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="run every server N times, interleaved; the table shows medians",
    )
    parser.add_argument(
        "--servers",
        type=lambda text: text.split(","),
        default=SERVERS,
        help=f"comma-separated subset of {','.join(SERVERS)}",
    )
    parser.add_argument("--start-timeout", type=float, default=30, help="seconds to wait for boot")
    parser.add_argument(
        "--stop-grace",
        type=float,
        default=5,
        help="seconds a server gets to exit on SIGTERM before SIGKILL",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    args = parser.parse_args(argv)
    unknown = set(args.servers) - set(SERVERS)
    if unknown:
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    if args.threads > args.connections:
        parser.error("--threads must not exceed --connections")

    try:
        harness.find_wrk()
    except FileNotFoundError as error:
        print(f"{error} (bench/run installs it)", file=sys.stderr)
        return 2
    data_dir = Path(tempfile.mkdtemp(prefix="broadsheet-bench-"))
    # The same SQLite site, production-like, for every server.
    env = broadsheet_site.server_env(data_dir, DJANGO_SETTINGS_MODULE="broadsheet.settings")
    try:
        make_site(data_dir, env)
        runs = []
        for round_number in range(1, args.rounds + 1):
            for name in args.servers:
                started = time.monotonic()
                print(f"[round {round_number}] {name} ...", end=" ", flush=True)
                run = bench_server(name, args, env, data_dir)
                runs.append(run)
                took = time.monotonic() - started
                outcome = f"FAILED: {run.failure}" if run.failure else "done"
                boot = f"boot {run.boot_s:.1f}s, " if run.boot_s is not None else ""
                stopped = ""
                if run.stop_s is not None:
                    stopped = (
                        f"stop {run.stop_s:.1f}s, " if run.graceful else "SIGTERM ignored, killed, "
                    )
                print(f"{outcome} ({boot}{stopped}total {took:.0f}s)")
        print_table(runs, args)
    finally:
        if args.keep:
            print(f"\ndata folder and server logs kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
