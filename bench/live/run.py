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
import json
import math
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


# --- SSE streams ----------------------------------------------------------------------


@dataclass(eq=False)
class Stream:
    """One open article page: when each comment number's event reached it."""

    received: dict[int, float] = field(default_factory=dict)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # connected or failed
    error: str | None = None
    ended_by_server: bool = False
    keepalives: int = 0
    other_events: dict[str, int] = field(default_factory=dict)
    writer: asyncio.StreamWriter | None = None
    task: asyncio.Task | None = None

    @property
    def ok(self) -> bool:
        return self.connected.is_set() and self.error is None


async def run_stream(stream: Stream, port: int) -> None:
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
        stream.writer = writer
        writer.write(
            (
                f"GET {LIVE_PATH} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        response = await read_head(reader)
        if response.status != 200:
            stream.error = f"HTTP {response.status}"
            return
        pending = b""
        event_type, data_lines = "", []
        async for chunk in iter_body(reader, response):
            arrived = time.perf_counter()  # one time for all that came in this read
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            for raw in lines:
                line = raw.rstrip(b"\r")
                if not line:  # a blank line completes an event
                    if event_type == "comment.posted" and data_lines:
                        number = json.loads("\n".join(data_lines))["number"]
                        stream.received.setdefault(number, arrived)
                    elif event_type:
                        others = stream.other_events
                        others[event_type] = others.get(event_type, 0) + 1
                    event_type, data_lines = "", []
                elif line.startswith(b":"):
                    if line.startswith(b": connected"):
                        stream.connected.set()
                        stream.settled.set()
                    else:
                        stream.keepalives += 1
                elif line.startswith(b"event:"):
                    event_type = line[6:].strip().decode()
                elif line.startswith(b"data:"):
                    data_lines.append(line[5:].removeprefix(b" ").decode())
        stream.ended_by_server = True
    except asyncio.CancelledError:
        raise
    except Exception as error:
        stream.error = f"{type(error).__name__}: {error}"
    finally:
        stream.settled.set()
        if stream.writer is not None:
            stream.writer.close()


async def open_streams(n: int, port: int, parallel: int, timeout: float) -> list[Stream]:
    """Open n streams, at most `parallel` of them still connecting at any moment."""
    streams = [Stream() for _ in range(n)]
    slots = asyncio.Semaphore(parallel)

    async def one(stream: Stream) -> None:
        async with slots:
            stream.task = asyncio.create_task(run_stream(stream, port))
            await stream.settled.wait()

    try:
        async with asyncio.timeout(timeout):
            await asyncio.gather(*(one(stream) for stream in streams))
    except TimeoutError:
        for stream in streams:
            if not stream.settled.is_set():
                stream.error = f"not connected within {timeout:.0f} s"
    return streams


async def close_streams(streams: list[Stream]) -> None:
    for stream in streams:
        if stream.writer is not None:
            stream.writer.transport.abort()
        if stream.task is not None:
            stream.task.cancel()
    tasks = [stream.task for stream in streams if stream.task is not None]
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):
            await asyncio.gather(*tasks, return_exceptions=True)


# --- one size -------------------------------------------------------------------------


@dataclass
class Result:
    n: int
    comments: int = 0
    posted: int = 0
    post_errors: list[str] = field(default_factory=list)
    connect_errors: int = 0
    connect_s: float = 0.0
    connect_cpu_s: float = 0.0
    deliveries: int = 0
    missing: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    rss_closed_kib: int = 0
    threads_before: int = 0
    threads_open: int = 0
    threads_closed: int = 0
    fds_open: dict[str, int] = field(default_factory=dict)
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    post_phase_s: float = 0.0
    release_s: float = 0.0
    ended_by_server: int = 0
    other_events: dict[str, int] = field(default_factory=dict)
    stream_errors: dict[str, int] = field(default_factory=dict)


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


async def run_size(n: int, args: argparse.Namespace, port: int, pid: int, session: Session):
    result = Result(n=n, comments=args.comments)
    await asyncio.sleep(1.0)
    sockets_before = harness.fd_kinds(harness.descendants(pid)).get("socket", 0)
    result.rss_before_kib = harness.rss_kib(harness.descendants(pid))
    result.threads_before = harness.threads(harness.descendants(pid))

    started, cpu_before = time.perf_counter(), harness.cpu_seconds(harness.descendants(pid))
    streams = await open_streams(n, port, args.parallel, args.connect_timeout)
    result.connect_s = time.perf_counter() - started
    result.connect_cpu_s = harness.cpu_seconds(harness.descendants(pid)) - cpu_before
    result.connect_errors = sum(1 for stream in streams if not stream.ok)
    await asyncio.sleep(1.0)  # let the server settle before reading its memory
    result.rss_after_kib = harness.rss_kib(harness.descendants(pid))
    result.threads_open = harness.threads(harness.descendants(pid))
    result.fds_open = harness.fd_kinds(harness.descendants(pid))

    try:
        token = await csrf_token(session, ARTICLE_PATH)
        sent: dict[int, float] = {}
        cpu_server, cpu_client = (
            harness.cpu_seconds(harness.descendants(pid)),
            harness.own_cpu_seconds(),
        )
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
        deadline = time.perf_counter() + args.drain
        while time.perf_counter() < deadline:
            if all(all(num in s.received for num in sent) for s in streams if s.ok):
                break
            await asyncio.sleep(0.05)
        result.post_phase_s = time.perf_counter() - phase_started
        result.server_cpu_s = harness.cpu_seconds(harness.descendants(pid)) - cpu_server
        result.client_cpu_s = harness.own_cpu_seconds() - cpu_client

        for stream in streams:
            for number, at in sent.items():
                arrived = stream.received.get(number)
                if arrived is None:
                    result.missing += 1
                else:
                    result.deliveries += 1
                    result.latencies_ms.append((arrived - at) * 1000)
        # Comments that were never posted are missing for every page too.
        result.missing += (args.comments - len(sent)) * n
        result.ended_by_server = sum(1 for s in streams if s.ended_by_server)
        for stream in streams:
            for kind, count in stream.other_events.items():
                result.other_events[kind] = result.other_events.get(kind, 0) + count
            if stream.error:
                kind = stream.error.split(":", 1)[0]
                result.stream_errors[kind] = result.stream_errors.get(kind, 0) + 1
    finally:
        closing = time.perf_counter()
        await close_streams(streams)
    await wait_released(pid, sockets_before, result.threads_before, timeout=60)
    result.release_s = time.perf_counter() - closing
    await asyncio.sleep(1.0)
    result.rss_closed_kib = harness.rss_kib(harness.descendants(pid))
    result.threads_closed = harness.threads(harness.descendants(pid))
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


# --- report -----------------------------------------------------------------------------


def print_report(results: list[Result], args: argparse.Namespace) -> None:
    head = (
        "N connections",
        "comments",
        "deliveries",
        "missing",
        "p50 ms",
        "p99 ms",
        "max ms",
        "RSS before MiB",
        "RSS after MiB",
        "KiB per connection",
    )
    rows = []
    for r in results:
        rows.append(
            (
                str(r.n),
                str(r.posted) + ("" if r.posted == r.comments else f"/{r.comments}"),
                str(r.deliveries),
                str(r.missing),
                harness.fmt(percentile(r.latencies_ms, 0.50)),
                harness.fmt(percentile(r.latencies_ms, 0.99)),
                harness.fmt(max(r.latencies_ms) if r.latencies_ms else None),
                harness.fmt(r.rss_before_kib / 1024),
                harness.fmt(r.rss_after_kib / 1024),
                harness.fmt((r.rss_after_kib - r.rss_before_kib) / r.n),
            )
        )
    harness.print_table(head, rows)

    print("\nDetails (server = the `broadsheet serve` process and its children):")
    head = (
        "N",
        "connect s",
        "conn errors",
        "CPU ms/connect",
        "POST p50 ms",
        "POST max ms",
        "threads idle/open/closed",
        "server fds open",
        "RSS closed MiB",
        "server CPU ms/comment",
        "client CPU s",
        "phase s",
        "close s",
    )
    rows = []
    for r in results:
        rows.append(
            (
                str(r.n),
                harness.fmt(r.connect_s),
                str(r.connect_errors),
                harness.fmt(r.connect_cpu_s * 1000 / r.n),
                harness.fmt(percentile(r.post_ms, 0.50)),
                harness.fmt(max(r.post_ms) if r.post_ms else None),
                f"{r.threads_before}/{r.threads_open}/{r.threads_closed}",
                " ".join(f"{k} {v}" for k, v in sorted(r.fds_open.items())),
                harness.fmt(r.rss_closed_kib / 1024),
                harness.fmt(r.server_cpu_s * 1000 / r.posted if r.posted else None, 0),
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
    biggest = max(results, key=lambda r: r.n, default=None)
    if biggest is not None:
        p99 = percentile(biggest.latencies_ms, 0.99)
        held = p99 is not None and p99 < 1000 and biggest.missing == 0
        print(
            f"\np99 < 1 s with no missing delivery at {biggest.n} connections: "
            f"{'yes' if held else 'NO'} (p99 {harness.fmt(p99)} ms, missing {biggest.missing})"
        )


# --- main -------------------------------------------------------------------------------


async def bench(
    args: argparse.Namespace, sizes: list[int], proc: subprocess.Popen, port: int
) -> list[Result]:
    session = await sign_in(port)
    results = []
    for n in sizes:
        print(f"  {n} connections ...", flush=True)
        result = await run_size(n, args, port, proc.pid, session)
        results.append(result)
        print(
            f"    connected in {result.connect_s:.1f} s, {result.deliveries} deliveries, "
            f"{result.missing} missing",
            flush=True,
        )
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench live", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument("--sizes", default="100,1000,2000", help="open connections per round")
    parser.add_argument("--comments", type=int, default=20, help="comments posted per round")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between posts")
    parser.add_argument("--drain", type=float, default=10.0, help="max wait for deliveries, s")
    parser.add_argument("--parallel", type=int, default=100, help="connections opening at once")
    parser.add_argument("--connect-timeout", type=float, default=120.0, help="per round, s")
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
    return args


def run_with_server(args: argparse.Namespace, sizes: list[int], port: int) -> list[Result]:
    """A fresh site and server, the rounds for `sizes` on it; always stopped and removed."""
    temp = Path(tempfile.mkdtemp(prefix="broadsheet-live-bench-"))
    log_path = temp / "server.log"
    proc = None
    try:
        env = broadsheet_site.server_env(
            temp / "data",
            BROADSHEET_LIVE_KEEPALIVE_SECONDS=KEEPALIVE_SECONDS,
            # Every stream comes from 127.0.0.1: the per-address cap (20) would refuse
            # all but the first few.
            BROADSHEET_LIVE_STREAMS_PER_ADDRESS="0",
        )
        print("preparing a fresh site (demo edition + poster account) ...", flush=True)
        started = time.monotonic()
        prepare_site(env)
        print(f"  done in {time.monotonic() - started:.1f} s", flush=True)
        harness.check_port_free(port)
        proc = harness.start(
            [BROADSHEET, "serve", "--port", str(port), "--no-access-log", "--no-demo"],
            log=log_path,
            env=env,
        )
        print(f"server pid {proc.pid} on http://{HOST}:{port}/", flush=True)
        started = time.monotonic()
        harness.wait_until_answering(
            f"http://{HOST}:{port}/healthz", proc=proc, log=log_path, timeout=60
        )
        print(f"  /healthz answered after {time.monotonic() - started:.1f} s", flush=True)
        return asyncio.run(bench(args, sizes, proc, port))
    finally:
        if proc is not None:
            started = time.monotonic()
            graceful = harness.stop(proc, signal_group=False)
            took = time.monotonic() - started
            print(
                f"server stopped by SIGTERM in {took:.1f} s"
                if graceful
                else "server did not stop within 10 s of SIGTERM: killed",
                flush=True,
            )
        problems = log_problems(log_path)
        if problems:
            print("server log lines worth a look:")
            for line in problems:
                print("  " + line)
        shutil.rmtree(temp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    soft, hard = raise_nofile_limit()  # the server inherits it
    needed = max(args.sizes) + 200
    if soft < needed:
        print(f"RLIMIT_NOFILE is {soft} (hard {hard}): too low for {max(args.sizes)} streams")
        return 2
    port = args.port or harness.free_port()
    print("command:", shlex.join([sys.executable, *sys.argv]))
    print(
        f"machine: {MACHINE_NOTE}; os.cpu_count()={os.cpu_count()}; "
        f"Python {platform.python_version()}, uvicorn "
        f"{importlib.metadata.version('uvicorn')}, Django {importlib.metadata.version('django')}"
    )
    print(
        f"RLIMIT_NOFILE {soft}; keep-alive {KEEPALIVE_SECONDS} s; {args.comments} comments "
        f"{args.interval} s apart per round; drain at most {args.drain} s\n",
        flush=True,
    )
    results: list[Result] = []
    groups = [[n] for n in args.sizes] if args.server_per_size else [args.sizes]
    for sizes in groups:
        results += run_with_server(args, sizes, port)
    print()
    print_report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
