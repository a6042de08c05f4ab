"""Load generation with wrk: one run, its throughput, latency percentiles and errors.

    run_wrk("http://127.0.0.1:8000/articles/x/", connections=16, seconds=10)
    run_request("http://127.0.0.1:8000", Request("/new?uri=/a/", "POST", body='{"t": "{n}"}'), ...)

wrk (Debian's `wrk` package) does the work; this module writes a Lua script for it
that sets the method, headers and body, and whose `done()` hook prints the numbers as
one JSON line, so nothing depends on the layout of wrk's human-readable report.

`{n}` in the body or the path becomes a token unique to each request of the run (the
run's nonce, the wrk thread's number and a per-thread counter), for scenarios that
post comments and must not repeat one.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

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


@dataclass(frozen=True)
class Request:
    """One scenario's request, as `run_wrk` needs it; `path` includes the query string."""

    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


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
    script = lua_script(method=method, path=path, headers=headers or {}, body=body)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-wrk-") as file:
        file.write(script)
        file.flush()
        command = [
            find_wrk(),
            "--latency",
            "-t", str(threads),
            "-c", str(connections),
            "-d", f"{seconds:g}s",
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
    )


def median_of(runs: list[LoadResult]) -> LoadResult:
    """The run with the median req/s (the lower middle one for an even count), with
    every run's errors added up so that an error in any run stays visible."""
    if not runs:
        raise ValueError("median_of needs at least one run")
    by_rps = sorted(runs, key=lambda run: run.rps)
    middle = by_rps[(len(by_rps) - 1) // 2]
    return LoadResult(
        requests=middle.requests,
        seconds=middle.seconds,
        rps=middle.rps,
        p50_ms=middle.p50_ms,
        p99_ms=middle.p99_ms,
        errors=sum(run.errors for run in runs),
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


def lua_script(*, method: str, path: str, headers: dict[str, str], body: str | None) -> str:
    header_table = (
        "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()) + "}"
    )
    dynamic = any(
        placeholder in path or (body is not None and placeholder in body)
        for placeholder in (PLACEHOLDER, UUID_PLACEHOLDER)
    )
    if dynamic:
        body_expr = "nil" if body is None else lua_template(body)
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
  return wrk.format(method, {lua_template(path)}, headers, {body_expr})
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
    done = f"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{RESULT_MARKER}{{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"errors": {{"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""
    return running + done


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
