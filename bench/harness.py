"""What every benchmark needs, in one place: ports, the processes of the servers
under test (start in their own group, wait until they answer, stop), what they
use (memory, CPU, threads, descriptors, from /proc), load with wrk, and tables.

    port = free_port()
    proc = start([...], log=Path("serve.log"))
    wait_until_answering(f"http://127.0.0.1:{port}/healthz", proc=proc, log=...)
    result = run_wrk(f"http://127.0.0.1:{port}/", connections=16, seconds=10)
    print(rss_mb(descendants(proc.pid)), result.rps)
    stop(proc)

Load: wrk (Debian's `wrk` package) does the work; `run_wrk` writes a Lua script for
it that sets the method, headers and body, and whose `done()` hook prints the
numbers as one JSON line, so nothing depends on the layout of wrk's human-readable
report. `{n}` in the body or the path becomes a token unique to each request of the
run (the run's nonce, the wrk thread's number and a per-thread counter), for
scenarios that post comments and must not repeat one.

`python -m bench.harness URL` makes one wrk run and prints its LoadResult.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

# --- processes, ports and what they use ------------------------------------------


def rss_kib(pids: list[int]) -> int:
    """Resident memory of `pids` added up, in KiB (from VmRSS; a vanished pid counts 0).

    Pages shared after a fork (a preloaded master and its workers) count once per
    process, as `ps` shows them: an upper bound of what the processes really use.
    """
    return sum(int(status_fields(pid).get("VmRSS", "0 kB").split()[0]) for pid in pids)


def rss_mb(pids: list[int]) -> float:
    """`rss_kib` in MiB."""
    return rss_kib(pids) / 1024


def status_fields(pid: int) -> dict[str, str]:
    """/proc/`pid`/status as a dict ({} for a vanished pid)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return {
        key: value.strip()
        for key, value in (line.split(":", 1) for line in text.splitlines() if ":" in line)
    }


def threads(pids: list[int]) -> int:
    """Threads of `pids` added up."""
    return sum(int(status_fields(pid).get("Threads", "0")) for pid in pids)


def fd_kinds(pids: list[int]) -> dict[str, int]:
    """Open descriptors of `pids` by kind: sockets, SQLite files, other."""
    kinds: dict[str, int] = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:"):
                        kind = "socket"
                    elif ".sqlite3" in target:
                        kind = "sqlite"
                    else:
                        kind = "other"
                    kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by `pids` (a vanished pid counts 0)."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """User + system CPU time this process (the benchmark's client) used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def wait_idle(
    pids: list[int],
    *,
    port: int | None = None,
    window: float = 0.5,
    quiet_windows: int = 3,
    timeout: float = 120.0,
) -> bool:
    """Wait until `pids` have used (almost) no CPU for `quiet_windows` windows in a row
    and, given `port`, no connection waits to be accepted there; False on timeout.

    When wrk stops, a slow server still has the requests of the connections wrk just
    closed, in its workers and its accept queue, and works them off for a while (for
    Isso on 2,000 comments, ten seconds and more): the next run must not start before.
    """
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        before = cpu_seconds(pids)
        time.sleep(window)
        busy = cpu_seconds(pids) - before >= 0.05 * window
        queued = port is not None and accept_queue(port) > 0
        quiet = 0 if busy or queued else quiet + 1
        if quiet >= quiet_windows:
            return True
    return False


def accept_queue(port: int) -> int:
    """Connections waiting to be accepted on the listening socket 127.0.0.1:`port`.

    For a socket in LISTEN state (st 0A) the rx_queue column of /proc/net/tcp is the
    length of its accept queue.
    """
    local = f"0100007F:{port:04X}"
    waiting = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[3] == "0A":
            waiting += int(fields[4].split(":")[1], 16)
    return waiting


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it, from /proc/*/stat parent links."""
    below: dict[int, list[int]] = {}
    for child, ppid, _ in _stats():
        below.setdefault(ppid, []).append(child)
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(below.get(current, []))
    return found


def children(pid: int) -> list[int]:
    """The direct children of `pid`, read from /proc."""
    return [child for child, ppid, _ in _stats() if ppid == pid]


def group_members(pgid: int) -> list[int]:
    """The processes of process group `pgid`, read from /proc."""
    return [pid for pid, _, group in _stats() if group == pgid]


def connections_by_process(pids: list[int], port: int) -> dict[int, int]:
    """How many established TCP connections to local `port` each of `pids` holds,
    from /proc (the kernel's socket table and each process's open files)."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == "01":  # 01: ESTABLISHED
                    established.add(fields[9])
    counts = {}
    for pid in pids:
        held = 0
        with contextlib.suppress(FileNotFoundError, PermissionError, ProcessLookupError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(FileNotFoundError, OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:[") and target[8:-1] in established:
                        held += 1
        counts[pid] = held
    return counts


def _stats() -> list[tuple[int, int, int]]:
    """(pid, ppid, pgrp) of every process."""
    rows = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            stat = (entry / "stat").read_text()
            # The command name in parentheses may hold spaces: split after its end.
            fields = stat.rsplit(")", 1)[1].split()
            rows.append((int(entry.name), int(fields[1]), int(fields[2])))
    return sorted(rows)


def free_port() -> int:
    """A free port on 127.0.0.1: the first free one of BENCH_PORTS ("18100-18199")
    when set (several people benchmarking on one machine keep to their ranges),
    else one the system picks."""
    wanted = os.environ.get("BENCH_PORTS", "")
    if wanted:
        low, _, high = wanted.partition("-")
        for port in range(int(low), int(high or low) + 1):
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
        raise RuntimeError(f"no free port in BENCH_PORTS={wanted}")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_port_free(port: int) -> None:
    """Fail when something already listens on 127.0.0.1:`port`: waiting for "our"
    server to answer would otherwise measure that one."""
    with socket.socket() as sock:
        sock.settimeout(1)
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} on 127.0.0.1 is already in use")


def start(command: list[str], *, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `command` in a new session (its own process group), output to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def wait_until_answering(
    url: str, *, proc: subprocess.Popen, log: Path, timeout: float = 30.0
) -> None:
    """Wait until `url` answers with any HTTP status; fail early if `proc` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; log {log}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own http URL)
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout:g} s; log {log}:\n{tail(log)}")


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The status `url` answers with, None when it does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, urllib.error.URLError):
        return None


def stop(proc: subprocess.Popen, *, grace: float = 10.0, signal_group: bool = True) -> bool:
    """Stop a server this module started (start_new_session, so its process group is
    its own): SIGTERM, then SIGKILL to the group after `grace` seconds. True when it
    exited on SIGTERM within `grace`.

    SIGTERM goes to the whole group, or with `signal_group=False` to the server's own
    pid only, as systemd or a container runtime sends it (to see whether the server
    stops its workers by itself).
    """
    graceful = proc.poll() is not None
    if not graceful:
        with contextlib.suppress(ProcessLookupError):
            if signal_group:
                os.killpg(proc.pid, signal.SIGTERM)
            else:
                proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
            graceful = True
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=grace)
    # Workers may outlive a master that died first: what is left of the group goes too.
    if group_members(proc.pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    return graceful


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


class StartedServer:
    """A server process this benchmark started (in `_proc`), stopped and measured
    the same way whoever it is: its master and the master's workers."""

    _proc: subprocess.Popen | None = None

    def stop(self) -> None:
        if self._proc is not None:
            stop(self._proc)
            self._proc = None

    def pids(self) -> list[int]:
        """The master and its workers."""
        if self._proc is None:
            return []
        return [self._proc.pid, *children(self._proc.pid)]


# --- load with wrk ------------------------------------------------------------------

PLACEHOLDER = "{n}"
# Like {n}, but shaped as a UUID (for forms whose idempotency key must be one).
UUID_PLACEHOLDER = "{uuid}"
RESULT_MARKER = "BENCH-WRK-RESULT "


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors (connect/read/write/timeout) + non-2xx/3xx responses
    # Page views, where one view may take two requests (a signed-in reader's page and,
    # when it did not come with it, the personal layer: `Request.also_path`).
    views: int | None = None

    @property
    def views_per_second(self) -> float | None:
        if self.views is None:
            return None
        return self.views / self.seconds if self.seconds > 0 else 0.0

    @property
    def rate(self) -> float:
        """Page views per second where they are counted, else requests per second."""
        views = self.views_per_second
        return self.rps if views is None else views


@dataclass(frozen=True)
class Request:
    """One scenario's request, as `run_wrk` needs it; `path` includes the query string."""

    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    # A signed-in reader's personal layer (docs/personal-layer.md), asked as the page
    # script asks it: after a page answer that came without the layer stitched in.
    # The result then counts page views (`LoadResult.views`).
    also_path: str | None = None


def find_wrk() -> str:
    path = shutil.which("wrk") or "/usr/bin/wrk"
    if not Path(path).exists():
        raise FileNotFoundError("wrk not found: install it with `apt-get install -y wrk`")
    return path


def run_request(
    base_url: str, request: Request, *, connections: int, seconds: float, threads: int = 2
) -> LoadResult:
    """`run_wrk` on `request` against the server at `base_url` ("http://127.0.0.1:8000")."""
    return run_wrk(
        base_url.rstrip("/") + request.path,
        connections=connections,
        seconds=seconds,
        threads=threads,
        method=request.method,
        headers=request.headers,
        body=request.body,
        also_path=request.also_path,
    )


def run_wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    threads: int = 2,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: str | None = None,
    timeout: float = 30.0,
    also_path: str | None = None,
) -> LoadResult:
    """Load `url` with wrk for `seconds` over `connections` keep-alive connections.

    `threads` is lowered to `connections` when larger (wrk refuses more threads than
    connections). `timeout` is wrk's per-request timeout: wrk's own default of 2 s
    would turn every slow response of a slow peer into an error and leave it out of
    the latency percentiles, so it is generous here.
    """
    if connections < 1 or seconds <= 0:
        raise ValueError("connections must be >= 1 and seconds > 0")
    threads = max(1, min(threads, connections))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    script = lua_script(
        method=method, path=path, headers=headers or {}, body=body, also_path=also_path
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-wrk-") as file:
        file.write(script)
        file.flush()
        command = [
            find_wrk(),
            "--latency",
            "-t", str(threads),
            "-c", str(connections),
            "-d", f"{max(1, round(seconds))}s",  # wrk takes whole seconds
            "--timeout", f"{timeout:g}s",
            "-s", file.name,
            # The path (which may hold the placeholder) is set by the script.
            f"{parts.scheme}://{parts.netloc}/",
        ]  # fmt: skip
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=seconds + timeout + 30,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(
            f"wrk exited with {completed.returncode}:\n{completed.stdout}{completed.stderr}"
        )
    return parse_result(completed.stdout)


def parse_result(output: str) -> LoadResult:
    """The LoadResult from the JSON line the script's `done()` printed."""
    for line in reversed(output.splitlines()):
        if line.startswith(RESULT_MARKER):
            raw = json.loads(line[len(RESULT_MARKER) :])
            break
    else:
        raise ValueError(f"no result line in wrk output:\n{output}")
    seconds = raw["duration_us"] / 1e6
    errors = raw["errors"]
    return LoadResult(
        requests=raw["requests"],
        seconds=seconds,
        rps=raw["requests"] / seconds if seconds > 0 else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        errors=sum(errors[kind] for kind in ("connect", "read", "write", "status", "timeout")),
        views=raw.get("views"),
    )


def median_of(runs: list[LoadResult]) -> LoadResult:
    """The run with the median req/s (the lower middle one for an even count), with
    every run's errors added up so that an error in any run stays visible."""
    if not runs:
        raise ValueError("median_of needs at least one run")
    by_rps = sorted(runs, key=lambda run: run.rate)
    middle = by_rps[(len(by_rps) - 1) // 2]
    return LoadResult(
        requests=middle.requests,
        seconds=middle.seconds,
        rps=middle.rps,
        p50_ms=middle.p50_ms,
        p99_ms=middle.p99_ms,
        errors=sum(run.errors for run in runs),
        views=middle.views,
    )


def lua_string(text: str) -> str:
    """A Lua string literal for `text`: printable ASCII as is, every other byte as a
    decimal escape, which LuaJIT reads back byte for byte (UTF-8 survives)."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if 32 <= byte < 127 and char not in '\\"':
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def lua_template(text: str) -> str:
    """A Lua expression for `text` with each placeholder replaced by the variable `n`."""
    return " .. u .. ".join(
        " .. n .. ".join(lua_string(part) for part in piece.split(PLACEHOLDER))
        for piece in text.split(UUID_PLACEHOLDER)
    )


def lua_script(
    *,
    method: str,
    path: str,
    headers: dict[str, str],
    body: str | None,
    also_path: str | None = None,
) -> str:
    header_table = (
        "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()) + "}"
    )
    if also_path is not None:
        return _page_view_script(method, path, also_path, header_table, body) + _done_script(
            views=True
        )
    templated = {
        name: value
        for name, value in headers.items()
        if PLACEHOLDER in value or UUID_PLACEHOLDER in value
    }
    dynamic = bool(templated) or any(
        placeholder in path or (body is not None and placeholder in body)
        for placeholder in (PLACEHOLDER, UUID_PLACEHOLDER)
    )
    if dynamic:
        body_expr = "nil" if body is None else lua_template(body)
        # Headers with placeholders (an Idempotency-Key per request) are made anew each time.
        header_lines = "".join(
            f"  headers[{lua_string(name)}] = {lua_template(value)}\n"
            for name, value in templated.items()
        )
        # setup() runs once per thread in wrk's main Lua state and numbers the threads;
        # request() runs in each thread's own state, hence the per-thread counter.
        # Building the request each time costs wrk some CPU, so static runs skip it.
        running = f"""
local next_thread = 1
function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

local counter = 0
local nonce = {lua_string(secrets.token_hex(3))}
local method = {lua_string(method)}
local headers = {header_table}

function request()
  counter = counter + 1
  local n = nonce .. "-" .. thread_id .. "-" .. counter
  local u = string.format("%s00-0000-4000-8000-%04x%08x", nonce, thread_id, counter)
{header_lines}  return wrk.format(method, {lua_template(path)}, headers, {body_expr})
end
"""
    else:
        body_line = "" if body is None else f"wrk.body = {lua_string(body)}\n"
        running = f"""
wrk.method = {lua_string(method)}
wrk.path = {lua_string(path)}
for name, value in pairs({header_table}) do
  wrk.headers[name] = value
end
{body_line}"""
    return running + _done_script()


def _done_script(*, views: bool = False) -> str:
    """The Lua that prints wrk's summary for `run_wrk` to read (with the page views
    every thread counted, for `_page_view_script`)."""
    if not views:
        return f"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{RESULT_MARKER}{{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"errors": {{"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""
    return f"""
function done(summary, latency, requests)
  local e = summary.errors
  local views = 0
  for _, thread in ipairs(threads) do
    views = views + thread:get("views")
  end
  io.write(string.format(
    '{RESULT_MARKER}{{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"views": %d, '
    .. '"errors": {{"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), views,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def _page_view_script(
    method: str, path: str, layer_path: str, header_table: str, body: str | None
) -> str:
    """Lua making page views as the page script does (personal-layer.js): ask the
    page; only when the answer came without the layer stitched in, ask the layer
    next. Views are counted per thread (the page answers) and added up in done().

    The page comes gzipped, so its body cannot be searched for the data block here:
    the sign read is the one the front cache gives every stitched answer and no
    shared one, `Cache-Control: private` (tests/serving/test_stitching.py pins it).
    """
    body_expr = "nil" if body is None else lua_string(body)
    return f"""
local page_path = {lua_string(path)}
local layer_path = {lua_string(layer_path)}
local method = {lua_string(method)}
local headers = {header_table}
threads = {{}}

function setup(thread)
  table.insert(threads, thread)
end

views = 0
local layers_due = 0

function request()
  if layers_due > 0 then
    layers_due = layers_due - 1
    return wrk.format(method, layer_path, headers, {body_expr})
  end
  return wrk.format(method, page_path, headers, {body_expr})
end

local function header(answer, name)
  -- uvicorn sends the names as the front cache wrote them, lowercase: look there
  -- first, as this runs for every answer on wrk's share of the same cores.
  local exact = answer[name]
  if exact then
    return exact
  end
  for key, value in pairs(answer) do
    if string.lower(key) == name then
      return value
    end
  end
  return ""
end

function response(status, answer, body)
  if string.find(header(answer, "content-type"), "text/html", 1, true) then
    views = views + 1
    if not string.find(header(answer, "cache-control"), "private", 1, true) then
      layers_due = layers_due + 1
    end
  end
end
"""


# --- tables -------------------------------------------------------------------------


def print_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Columns right-aligned under `head`, separated by bars."""
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    print(" | ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))


def fmt(value: float | None, digits: int = 1) -> str:
    """`value` with `digits` decimals, "-" for None."""
    return "-" if value is None else f"{value:.{digits}f}"


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="One wrk run, printed as a LoadResult.")
    parser.add_argument("url")
    parser.add_argument("-c", "--connections", type=int, default=16)
    parser.add_argument("-d", "--seconds", type=float, default=5)
    parser.add_argument("-t", "--threads", type=int, default=2)
    parser.add_argument("-m", "--method", default="GET")
    parser.add_argument("-H", "--header", action="append", default=[], help="Name: value")
    parser.add_argument("-b", "--body", help="request body; {n} becomes a unique token")
    args = parser.parse_args()
    print(
        run_wrk(
            args.url,
            connections=args.connections,
            seconds=args.seconds,
            threads=args.threads,
            method=args.method,
            headers=dict(h.split(": ", 1) for h in args.header),
            body=args.body,
        )
    )
