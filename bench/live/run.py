"""Benchmark live updates: N open SSE streams on one article, comments fanned out to all.

Run:  .venv/bin/python -m bench live [--sizes 100,1000,2000] [--comments 20] [--port P]
(defaults take about a minute; --help lists every option)

It makes a fresh data folder in a temporary directory (`broadsheet demo`, then a
poster account), starts `broadsheet serve --no-demo --no-access-log` on 127.0.0.1,
signs the poster in over HTTP and then, for each size N:

1. opens N streams to /articles/last-ferry-on-the-kama/live/ (raw asyncio sockets,
   at most --parallel connecting at once) and waits for every ": connected";
2. reads the server's RSS (VmRSS of its pid and children) before and after: the
   difference over N is the memory one open page costs;
3. posts --comments comments, one every --interval seconds, noting the time just
   before each POST; every stream notes when the `comment.posted` event with that
   number arrives. Latency = arrival - send, so it includes the POST itself (the
   database write and rendering) as well as the fan-out;
4. waits (at most --drain seconds) for every stream to get every comment: what has
   not arrived by then counts as missing; closes the streams and waits for the
   server to let go of them.

One server serves every size, as a site would. The server keeps memory it once
used, so after a bigger round "RSS before" starts higher and "KiB per connection"
of later rounds comes out low: --server-per-size gives each size a fresh server
(and site) for a clean per-connection figure.

Client and server share the machine (and its cores): the client's own CPU time is
printed so a client-bound result can be told apart. Loopback only; every wait is
bounded. The server is stopped by its pid (SIGTERM, SIGKILL after 10 s) and the
temporary directory removed, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import math
import multiprocessing
import os
import platform
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bench import broadsheet_site, harness
from bench.broadsheet_site import BROADSHEET, POSTER, POSTER_PASSWORD
from bench.live import client

HOST = "127.0.0.1"
SLUG = "last-ferry-on-the-kama"
ARTICLE_PATH = f"/articles/{SLUG}/"
LIVE_PATH = f"{ARTICLE_PATH}live/"
COMMENTS_PATH = f"{ARTICLE_PATH}comments/"
SIGN_IN_PATH = "/accounts/sign-in/"

KEEPALIVE_SECONDS = "15"
MACHINE_NOTE = "2 cores, shared with other work; client and server run on the same machine"

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
COMMENT_NUMBER = re.compile(r"/comments/(\d+)/")


# --- minimal HTTP/1.1 over asyncio streams ------------------------------------------


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    def cookies(self) -> dict[str, str]:
        found = {}
        for key, value in self.headers:
            if key == "set-cookie":
                pair = value.split(";", 1)[0]
                cookie_name, _, cookie_value = pair.partition("=")
                found[cookie_name.strip()] = cookie_value.strip()
        return found


async def read_head(reader: asyncio.StreamReader) -> Response:
    status_line = await reader.readline()
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise ConnectionError(f"bad status line: {status_line[:80]!r}")
    headers = []
    for _ in range(200):
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip().lower(), value.strip()))
    else:
        raise ConnectionError("too many response headers")
    return Response(int(parts[1]), headers)


def is_chunked(response: Response) -> bool:
    return "chunked" in (response.header("transfer-encoding") or "").lower()


async def iter_body(reader: asyncio.StreamReader, response: Response):
    """The response body as it arrives, de-chunked."""
    if is_chunked(response):
        while True:
            size_line = await reader.readline()
            if not size_line:
                return
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                return
            data = await reader.readexactly(size + 2)  # the chunk and its CRLF
            yield data[:-2]
    elif response.header("content-length") is not None:
        length = int(response.header("content-length") or 0)
        if length:
            yield await reader.readexactly(length)
    else:
        while data := await reader.read(65536):
            yield data


async def request(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    timeout: float = 30.0,
) -> Response:
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
            lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
            if body or method == "POST":
                lines.append(f"Content-Length: {len(body)}")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
            response = await read_head(reader)
            response.body = b"".join([chunk async for chunk in iter_body(reader, response)])
            return response
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


class Session:
    """A cookie jar for one signed-in reader."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return headers

    async def get(self, path: str) -> Response:
        response = await request(self.port, "GET", path, headers=self._headers())
        self.cookies.update(response.cookies())
        return response

    async def post_form(self, path: str, fields: dict[str, str]) -> Response:
        origin = f"http://{HOST}:{self.port}"
        extra = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": origin,
            "Referer": origin + path,
        }
        body = urllib.parse.urlencode(fields).encode()
        response = await request(self.port, "POST", path, headers=self._headers(extra), body=body)
        self.cookies.update(response.cookies())
        return response


async def csrf_token(session: Session, path: str) -> str:
    page = await session.get(path)
    match = CSRF_INPUT.search(page.body)
    if page.status != 200 or match is None:
        raise RuntimeError(f"GET {path}: HTTP {page.status}, no csrfmiddlewaretoken")
    return match.group(1).decode()


async def sign_in(port: int) -> Session:
    session = Session(port)
    token = await csrf_token(session, SIGN_IN_PATH)
    fields = {"username": POSTER, "password": POSTER_PASSWORD}
    response = await session.post_form(SIGN_IN_PATH, {**fields, "csrfmiddlewaretoken": token})
    if response.status != 302 or "sessionid" not in session.cookies:
        raise RuntimeError(
            f"sign-in failed: HTTP {response.status}, cookies {list(session.cookies)}"
        )
    return session


# --- one size -------------------------------------------------------------------------


@dataclass
class ProcessResult:
    """What one server process did in one round."""

    port: int
    pid: int
    streams: int = 0
    connected: int = 0
    deliveries: int = 0
    missing: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    rss_closed_kib: int = 0
    connect_cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    threads_open: int = 0
    fds_open: dict[str, int] = field(default_factory=dict)

    @property
    def kib_per_stream(self) -> float | None:
        if not self.connected:
            return None
        return (self.rss_after_kib - self.rss_before_kib) / self.connected


@dataclass
class Result:
    n: int
    comments: int = 0
    posted: int = 0
    post_errors: list[str] = field(default_factory=list)
    connect_errors: int = 0
    connect_s: float = 0.0
    deliveries: int = 0
    missing: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)
    client_cpu_s: float = 0.0
    post_phase_s: float = 0.0
    release_s: float = 0.0
    ended_by_server: int = 0
    other_events: dict[str, int] = field(default_factory=dict)
    stream_errors: dict[str, int] = field(default_factory=dict)
    processes: list[ProcessResult] = field(default_factory=list)


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(share * len(ordered))))
    return ordered[rank - 1]


async def post_one(session: Session, token: str, index: int, n: int) -> tuple[Response, float]:
    fields = {
        "body": f"Benchmark comment {index + 1} for {n} open pages.",
        "submission_key": str(uuid.uuid4()),
        "csrfmiddlewaretoken": token,
    }
    sent = time.perf_counter()
    response = await session.post_form(COMMENTS_PATH, fields)
    return response, sent


async def wait_released(pid: int, sockets: int, threads: int, timeout: float) -> None:
    """Wait until the server is back to its idle sockets and threads, at most `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (
            harness.fd_kinds(harness.descendants(pid)).get("socket", 0) <= sockets + 2
            and harness.threads(harness.descendants(pid)) <= threads + 2
        ):
            return
        await asyncio.sleep(0.25)


class Clients:
    """The client processes (bench/live/client.py), driven over pipes."""

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes = []
        self.processes = []
        for _ in range(count):
            parent_end, child_end = context.Pipe()
            process = context.Process(target=client.client_main, args=(child_end,), daemon=True)
            process.start()
            self.pipes.append(parent_end)
            self.processes.append(process)

    async def ask(self, *command) -> list[tuple]:
        """Send `command` to every client; their answers, in order."""
        loop = asyncio.get_running_loop()
        for pipe in self.pipes:
            pipe.send(command)
        return [await loop.run_in_executor(None, pipe.recv) for pipe in self.pipes]

    async def ask_each(self, commands: list[tuple]) -> list[tuple]:
        loop = asyncio.get_running_loop()
        for pipe, command in zip(self.pipes, commands, strict=True):
            pipe.send(command)
        return [await loop.run_in_executor(None, pipe.recv) for pipe in self.pipes]

    def stop(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(("quit",))
        for process in self.processes:
            process.join(5)
            if process.is_alive():
                process.kill()


def split_streams(n: int, ports: list[int], clients: int) -> list[list[tuple[int, int]]]:
    """Stream j goes to server j mod S and client j mod K: per client, (port, count)."""
    counts = [dict.fromkeys(ports, 0) for _ in range(clients)]
    for j in range(n):
        counts[j % clients][ports[j % len(ports)]] += 1
    return [[(port, c) for port, c in per.items() if c] for per in counts]


async def run_size(
    n: int,
    args: argparse.Namespace,
    servers: list[tuple[int, int]],
    session: Session,
    clients: Clients,
) -> Result:
    """One round: n streams over `servers` ((port, pid) each), comments posted
    through the first."""
    result = Result(n=n, comments=args.comments)
    procs = {port: ProcessResult(port=port, pid=pid) for port, pid in servers}
    await asyncio.sleep(1.0)
    idle = {}
    for proc in procs.values():
        pids = harness.descendants(proc.pid)
        idle[proc.port] = (
            harness.fd_kinds(pids).get("socket", 0),
            harness.threads(pids),
        )
        proc.rss_before_kib = harness.rss_kib([proc.pid])
        proc.connect_cpu_s = harness.cpu_seconds([proc.pid])

    plan = split_streams(n, list(procs), len(clients.pipes))
    for per_client in plan:
        for port, count in per_client:
            procs[port].streams += count
    started = time.perf_counter()
    opened = await clients.ask_each(
        [("open", per, LIVE_PATH, args.parallel, args.connect_timeout) for per in plan]
    )
    result.connect_s = time.perf_counter() - started
    for _answer, _ok, errors, _seconds in opened:
        result.connect_errors += sum(errors.values())
        for kind, count in errors.items():
            result.stream_errors[kind] = result.stream_errors.get(kind, 0) + count
    await asyncio.sleep(1.0)  # let the servers settle before reading their memory
    for proc in procs.values():
        proc.connect_cpu_s = harness.cpu_seconds([proc.pid]) - proc.connect_cpu_s
        proc.rss_after_kib = harness.rss_kib([proc.pid])
        proc.threads_open = harness.threads([proc.pid])
        proc.fds_open = harness.fd_kinds([proc.pid])

    try:
        token = await csrf_token(session, ARTICLE_PATH)
        sent: dict[int, float] = {}
        await clients.ask("mark")
        cpu_before = {port: harness.cpu_seconds([proc.pid]) for port, proc in procs.items()}
        phase_started = time.perf_counter()
        for index in range(args.comments):
            at = time.perf_counter()
            try:
                response, at = await post_one(session, token, index, n)
            except (OSError, TimeoutError) as error:
                result.post_errors.append(f"{type(error).__name__}: {error}")
            else:
                result.post_ms.append((time.perf_counter() - at) * 1000)
                match = COMMENT_NUMBER.search(response.header("location") or "")
                if response.status == 302 and match:
                    sent[int(match.group(1))] = at
                else:
                    body = response.body[:200]
                    result.post_errors.append(f"HTTP {response.status}: {body!r}")
            await asyncio.sleep(max(0.0, at + args.interval - time.perf_counter()))
        result.posted = len(sent)

        # Bounded wait for every stream to have every comment.
        connected = sum(answer[1] for answer in opened)
        deadline = time.perf_counter() + args.drain
        while time.perf_counter() < deadline:
            counts = await clients.ask("count", list(sent))
            if sum(answer[1] for answer in counts) >= connected * len(sent):
                break
            await asyncio.sleep(0.1)
        result.post_phase_s = time.perf_counter() - phase_started
        for port, proc in procs.items():
            proc.server_cpu_s = harness.cpu_seconds([proc.pid]) - cpu_before[port]

        for _answer, streams, cpu in await clients.ask("report"):
            result.client_cpu_s += cpu
            for port, ok, received, other_events, _error, ended in streams:
                proc = procs[port]
                result.ended_by_server += ended
                for kind, count in other_events.items():
                    result.other_events[kind] = result.other_events.get(kind, 0) + count
                if not ok:
                    continue
                proc.connected += 1
                for number, at in sent.items():
                    arrived = received.get(number)
                    if arrived is None:
                        proc.missing += 1
                    else:
                        proc.deliveries += 1
                        proc.latencies_ms.append((arrived - at) * 1000)
        for proc in procs.values():
            # Comments that were never posted are missing for every page too.
            proc.missing += (args.comments - len(sent)) * proc.streams
            # A stream that never connected missed every comment.
            proc.missing += (proc.streams - proc.connected) * args.comments
            result.deliveries += proc.deliveries
            result.missing += proc.missing
            result.latencies_ms += proc.latencies_ms
    finally:
        closing = time.perf_counter()
        await clients.ask("close")
    for proc in procs.values():
        sockets, threads = idle[proc.port]
        await wait_released(proc.pid, sockets, threads, timeout=60)
    result.release_s = time.perf_counter() - closing
    await asyncio.sleep(1.0)
    for proc in procs.values():
        proc.rss_closed_kib = harness.rss_kib([proc.pid])
    result.processes = list(procs.values())
    return result


# --- the server -------------------------------------------------------------------------


def raise_nofile_limit() -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # An unlimited hard limit cannot be the soft one: the kernel caps it at fs.nr_open.
    target = 1_048_576 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def prepare_site(env: dict[str, str]) -> None:
    """A fresh data folder: the demo edition, then the poster's account."""
    broadsheet_site.run(["demo"], env)
    broadsheet_site.sign_in_poster(env)


def log_problems(log_path: Path, limit: int = 12) -> list[str]:
    if not log_path.exists():
        return []
    lines = log_path.read_text(errors="replace").splitlines()
    marks = ("Traceback", "ERROR", "Error", "WARNING", "Exception")
    return [line for line in lines if any(mark in line for mark in marks)][:limit]


# --- PostgreSQL and Redis ------------------------------------------------------------------


def find_postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts)
    if not found:
        raise RuntimeError("--postgres needs PostgreSQL (apt-get install postgresql)")
    if shutil.which("redis-server") is None:
        raise RuntimeError("--postgres needs Redis (apt-get install redis-server)")
    return found[-1].parent


@contextlib.contextmanager
def postgres_and_redis(first_port: int):
    """A throwaway PostgreSQL and Redis in a temporary directory (as scripts/test
    starts them): yields (database URL, Redis URL); both stopped at the end and
    the directory removed."""
    pg_bin = find_postgres_bin()
    # Its own directory: PostgreSQL's user must be able to reach it.
    work = Path(tempfile.mkdtemp(prefix="broadsheet-live-pg-"))
    pg_dir = work / "pg"
    pg_dir.mkdir(parents=True)
    as_pg: list[str] = []
    if os.getuid() == 0:  # PostgreSQL refuses to run as root
        if subprocess.run(["id", "postgres"], capture_output=True, check=False).returncode:
            subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
        subprocess.run(["chown", "-R", "postgres", str(work)], check=True)
        as_pg = ["runuser", "-u", "postgres", "--"]
    pg_port = first_port
    while not harness_port_free(pg_port):
        pg_port += 1
    redis_port = pg_port + 1
    while not harness_port_free(redis_port):
        redis_port += 1
    subprocess.run(
        [
            *as_pg,
            str(pg_bin / "initdb"),
            "-D",
            str(pg_dir / "data"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-h 127.0.0.1 -p {pg_port} -k {pg_dir} -c fsync=off -c max_connections=200"
    subprocess.run(
        [
            *as_pg,
            str(pg_bin / "pg_ctl"),
            "-D",
            str(pg_dir / "data"),
            "-l",
            str(pg_dir / "log"),
            "-w",
            "-o",
            options,
            "start",
        ],
        check=True,
        capture_output=True,
    )
    redis_pid = work / "redis.pid"
    try:
        subprocess.run(
            [
                str(pg_bin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(pg_port),
                "-U",
                "postgres",
                "broadsheet",
            ],
            check=True,
        )
        subprocess.run(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(redis_port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--pidfile",
                str(redis_pid),
                "--dir",
                str(work),
                "--logfile",
                str(work / "redis.log"),
            ],
            check=True,
        )
        for _ in range(50):
            if redis_pid.exists() and redis_pid.read_text().strip():
                break
            time.sleep(0.1)
        yield (
            f"postgres://postgres@127.0.0.1:{pg_port}/broadsheet",
            f"redis://127.0.0.1:{redis_port}/0",
        )
    finally:
        subprocess.run(
            [*as_pg, str(pg_bin / "pg_ctl"), "-D", str(pg_dir / "data"), "-m", "fast", "stop"],
            capture_output=True,
            check=False,
        )
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(redis_pid.read_text().strip()), 15)
        shutil.rmtree(work, ignore_errors=True)


def harness_port_free(port: int) -> bool:
    try:
        harness.check_port_free(port)
    except Exception:
        return False
    return True


# --- report -----------------------------------------------------------------------------

TARGET_STREAMS = 10_000
TARGET_P99_MS = 1000
TARGET_KIB = 20


def print_report(results: list[Result], args: argparse.Namespace) -> None:
    head = (
        "N connections",
        "processes",
        "comments",
        "deliveries",
        "missing",
        "p50 ms",
        "p99 ms",
        "max ms",
        "KiB per connection",
    )
    rows = []
    for r in results:
        growth = sum(p.rss_after_kib - p.rss_before_kib for p in r.processes)
        connected = sum(p.connected for p in r.processes)
        rows.append(
            (
                str(r.n),
                str(len(r.processes)),
                str(r.posted) + ("" if r.posted == r.comments else f"/{r.comments}"),
                str(r.deliveries),
                str(r.missing),
                harness.fmt(percentile(r.latencies_ms, 0.50)),
                harness.fmt(percentile(r.latencies_ms, 0.99)),
                harness.fmt(max(r.latencies_ms) if r.latencies_ms else None),
                harness.fmt(growth / connected if connected else None),
            )
        )
    harness.print_table(head, rows)

    print("\nPer server process (RSS and CPU of that process alone):")
    head = (
        "N",
        "port",
        "streams",
        "missing",
        "p50 ms",
        "p99 ms",
        "RSS before MiB",
        "RSS open MiB",
        "RSS closed MiB",
        "KiB per stream",
        "CPU ms/connect",
        "CPU ms/comment",
        "µs per stream per event",
        "threads",
        "fds open",
    )
    rows = []
    for r in results:
        for p in r.processes:
            per_comment = p.server_cpu_s / r.posted if r.posted else None
            rows.append(
                (
                    str(r.n),
                    str(p.port),
                    str(p.streams),
                    str(p.missing),
                    harness.fmt(percentile(p.latencies_ms, 0.50)),
                    harness.fmt(percentile(p.latencies_ms, 0.99)),
                    harness.fmt(p.rss_before_kib / 1024),
                    harness.fmt(p.rss_after_kib / 1024),
                    harness.fmt(p.rss_closed_kib / 1024),
                    harness.fmt(p.kib_per_stream),
                    harness.fmt(p.connect_cpu_s * 1000 / p.streams if p.streams else None, 2),
                    harness.fmt(per_comment * 1000 if per_comment is not None else None, 0),
                    harness.fmt(
                        per_comment * 1e6 / p.connected if per_comment and p.connected else None
                    ),
                    str(p.threads_open),
                    " ".join(f"{k} {v}" for k, v in sorted(p.fds_open.items())),
                )
            )
    harness.print_table(head, rows)

    print("\nDetails:")
    head = ("N", "connect s", "conn errors", "POST p50 ms", "POST max ms", "client CPU s")
    head += ("phase s", "close s")
    rows = []
    for r in results:
        rows.append(
            (
                str(r.n),
                harness.fmt(r.connect_s),
                str(r.connect_errors),
                harness.fmt(percentile(r.post_ms, 0.50)),
                harness.fmt(max(r.post_ms) if r.post_ms else None),
                harness.fmt(r.client_cpu_s, 2),
                harness.fmt(r.post_phase_s),
                harness.fmt(r.release_s),
            )
        )
    harness.print_table(head, rows)
    for r in results:
        notes = []
        if r.post_errors:
            notes.append(f"{len(r.post_errors)} POST errors, first: {r.post_errors[0]}")
        if r.stream_errors:
            notes.append(f"stream errors {r.stream_errors}")
        if r.ended_by_server:
            notes.append(f"{r.ended_by_server} streams ended by the server")
        if r.other_events:
            notes.append(f"other events received {r.other_events}")
        if notes:
            print(f"N={r.n}: " + "; ".join(notes))

    print("\nAgainst the targets (issue 17), largest round:")
    biggest = max(results, key=lambda r: r.n, default=None)
    if biggest is None:
        return
    for p in biggest.processes:
        p99 = percentile(p.latencies_ms, 0.99)
        kib = p.kib_per_stream
        checks = [
            (
                p.connected >= TARGET_STREAMS,
                f"{p.connected} open live pages in process :{p.port} "
                f"(target {TARGET_STREAMS:,} per process)",
            ),
            (
                p99 is not None and p99 < TARGET_P99_MS,
                f"p99 delivery {harness.fmt(p99)} ms at :{p.port} (target < {TARGET_P99_MS} ms)",
            ),
            (
                kib is not None and kib <= TARGET_KIB,
                f"{harness.fmt(kib)} KiB of server memory per stream at :{p.port} "
                f"(target <= {TARGET_KIB})",
            ),
            (p.missing == 0, f"{p.missing} missed deliveries at :{p.port} (target 0)"),
        ]
        for met, line in checks:
            print(f"- {'met' if met else 'NOT met'}: {line}")


# --- main -------------------------------------------------------------------------------


async def bench(
    args: argparse.Namespace,
    sizes: list[int],
    servers: list[tuple[int, subprocess.Popen]],
    clients: Clients,
) -> list[Result]:
    session = await sign_in(servers[0][0])
    results = []
    for n in sizes:
        print(f"  {n} connections ...", flush=True)
        result = await run_size(
            n, args, [(port, proc.pid) for port, proc in servers], session, clients
        )
        results.append(result)
        print(
            f"    connected in {result.connect_s:.1f} s, {result.deliveries} deliveries, "
            f"{result.missing} missing",
            flush=True,
        )
        for _port, proc in servers:
            if proc.poll() is not None:
                raise RuntimeError(f"a server exited with {proc.returncode}")
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench live", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument("--sizes", default="100,1000,2000", help="open connections per round")
    parser.add_argument("--comments", type=int, default=20, help="comments posted per round")
    parser.add_argument("--port", type=int, default=0, help="first server port (default: free)")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between posts")
    parser.add_argument("--drain", type=float, default=10.0, help="max wait for deliveries, s")
    parser.add_argument("--parallel", type=int, default=100, help="connections opening at once")
    parser.add_argument("--connect-timeout", type=float, default=180.0, help="per round, s")
    parser.add_argument(
        "--clients",
        type=int,
        default=0,
        help="client processes holding the streams (default: one per 5,000 streams)",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="PostgreSQL + Redis (started here, thrown away after) and --servers processes",
    )
    parser.add_argument(
        "--servers",
        type=int,
        default=0,
        help="server processes, streams split across them (default 1; 2 with --postgres)",
    )
    parser.add_argument(
        "--server-per-size",
        action="store_true",
        help="a fresh server for each size (RSS per connection not skewed by memory the "
        "server kept from a bigger earlier round)",
    )
    args = parser.parse_args(argv)
    args.sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    if not args.sizes or min(args.sizes) < 1 or not 1 <= args.comments <= 1000:
        parser.error("sizes must be positive integers and comments between 1 and 1000")
    args.servers = args.servers or (2 if args.postgres else 1)
    if args.servers > 1 and not args.postgres:
        parser.error("several server processes share live events through Redis: add --postgres")
    args.clients = args.clients or max(1, math.ceil(max(args.sizes) / 5000))
    return args


def run_with_server(args: argparse.Namespace, sizes: list[int], port: int) -> list[Result]:
    """A fresh site and servers, the rounds for `sizes` on them; always stopped and removed."""
    temp = Path(tempfile.mkdtemp(prefix="broadsheet-live-bench-"))
    servers: list[tuple[int, subprocess.Popen]] = []
    clients = None
    with contextlib.ExitStack() as stack:
        try:
            extra = {}
            if args.postgres:
                database_url, redis_url = stack.enter_context(postgres_and_redis(port + 50))
                extra = {"BROADSHEET_DATABASE_URL": database_url, "BROADSHEET_REDIS_URL": redis_url}
                print(f"PostgreSQL and Redis: {database_url}, {redis_url}", flush=True)
            env = broadsheet_site.server_env(
                temp / "data",
                BROADSHEET_LIVE_KEEPALIVE_SECONDS=KEEPALIVE_SECONDS,
                # Every stream comes from 127.0.0.1: the per-address cap (20) would
                # refuse all but the first few.
                BROADSHEET_LIVE_STREAMS_PER_ADDRESS="0",
                **extra,
            )
            print("preparing a fresh site (demo edition + poster account) ...", flush=True)
            started = time.monotonic()
            prepare_site(env)
            print(f"  done in {time.monotonic() - started:.1f} s", flush=True)
            for index in range(args.servers):
                server_port = port + index
                harness.check_port_free(server_port)
                log_path = temp / f"server-{server_port}.log"
                proc = harness.start(
                    [
                        BROADSHEET,
                        "serve",
                        "--port",
                        str(server_port),
                        "--no-access-log",
                        "--no-demo",
                    ],
                    log=log_path,
                    env=env,
                )
                servers.append((server_port, proc))
                print(f"server pid {proc.pid} on http://{HOST}:{server_port}/", flush=True)
                harness.wait_until_answering(
                    f"http://{HOST}:{server_port}/healthz", proc=proc, log=log_path, timeout=60
                )
            clients = Clients(args.clients)
            print(f"{args.clients} client process(es)", flush=True)
            return asyncio.run(bench(args, sizes, servers, clients))
        finally:
            if clients is not None:
                clients.stop()
            for server_port, proc in servers:
                started = time.monotonic()
                graceful = harness.stop(proc, signal_group=False)
                took = time.monotonic() - started
                print(
                    f"server :{server_port} stopped by SIGTERM in {took:.1f} s"
                    if graceful
                    else f"server :{server_port} did not stop within 10 s of SIGTERM: killed",
                    flush=True,
                )
                problems = log_problems(temp / f"server-{server_port}.log")
                if problems:
                    print("server log lines worth a look:")
                    for line in problems:
                        print("  " + line)
    shutil.rmtree(temp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    soft, hard = raise_nofile_limit()  # the servers and the clients inherit it
    per_process = math.ceil(max(args.sizes) / min(args.servers, args.clients)) + 200
    if soft < per_process:
        print(f"RLIMIT_NOFILE is {soft} (hard {hard}): too low for {per_process} per process")
        return 2
    port = args.port or harness.free_port()
    print("command:", shlex.join([sys.executable, *sys.argv]))
    print(
        f"machine: {MACHINE_NOTE}; os.cpu_count()={os.cpu_count()}; "
        f"Python {platform.python_version()}, uvicorn "
        f"{importlib.metadata.version('uvicorn')}, Django {importlib.metadata.version('django')}"
    )
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"RLIMIT_NOFILE {soft}; keep-alive {KEEPALIVE_SECONDS} s; {args.comments} comments "
        f"{args.interval} s apart per round; drain at most {args.drain} s; "
        f"{'PostgreSQL + Redis' if args.postgres else 'SQLite'}, {args.servers} server "
        f"process(es), {args.clients} client process(es)\n",
        flush=True,
    )
    results: list[Result] = []
    groups = [[n] for n in args.sizes] if args.server_per_size else [args.sizes]
    for sizes in groups:
        results += run_with_server(args, sizes, port)
    print()
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print_report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
