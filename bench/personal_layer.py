"""What a signed-in reader's page view costs the server, in CPU, against a signed-out one.

    .venv/bin/python -m bench.personal_layer            # 5 turns of 2,000 requests of each kind
    .venv/bin/python -m bench.personal_layer --requests 500 --rounds 3

CPU per request read from /proc (the server's own processes), not requests per
second: the number holds on a machine shared with other work, where a throughput
figure would not. One server process (`serve --workers 1`), the bench's 200-comment
article (bench/compare.py's data set, built if missing), requests one at a time over
one keep-alive connection, each kind warmed first:

- signed out: the shared page (front cache);
- signed in, script runs (docs/personal-layer.md): the shared page, then the
  reader's personal layer, both from the front cache: one page view, two requests
  (what a view costs when the layer is not stitched in);
- signed in, script runs, as the script does now (ADR 0024): the page, which comes
  with the kept layer stitched in, and the layer only when it did not (after 30 s,
  or a change): one request per view nearly always;
- signed in, the page Django draws for the reader (no marker: no JavaScript), as
  every signed-in page view was drawn before the personal layer;
- the personal layer drawn by Django, as on a front-cache miss (after a change
  to the discussion or the reader).
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import statistics
import time

from bench import harness
from bench.broadsheet_site import CSRF_SECRET, BroadsheetServer, article_path, build, server_env
from bench.broadsheet_site import sign_in_poster as new_session
from bench.compare import MAIN_SITE, ROOT

DATA_BLOCK = b'id="personal-layer-data"'


def cpu_per_request(server: BroadsheetServer, paths: list[str], headers: dict, count: int) -> float:
    """Server CPU milliseconds per request, asking `paths` in turn `count` times in all."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        for path in paths * 20:  # warm: fills the caches, loads the code
            _ask(connection, path, headers)
        before = harness.cpu_seconds(server.pids())
        for n in range(count):
            _ask(connection, paths[n % len(paths)], headers)
        spent = harness.cpu_seconds(server.pids()) - before
    finally:
        connection.close()
    return spent * 1000 / count


def cpu_per_view(server: BroadsheetServer, page: str, headers: dict, count: int) -> float:
    """Server CPU milliseconds per page view made as personal-layer.js makes it: the
    page, and the layer only when the page came without it stitched in."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        for _ in range(20):
            _view(connection, page, headers)
        # Once, not per view: the client's own work between requests (decompressing
        # a page to look for the block) would change what the server spends per
        # request (it goes idle and is woken more), so the views below only read
        # the header the front cache gives every stitched answer.
        body, encoding = _ask(connection, page, headers)
        plain = gzip.decompress(body) if encoding == "gzip" else body
        if DATA_BLOCK not in plain:
            raise RuntimeError("the layer was kept but the page came without it")
        before = harness.cpu_seconds(server.pids())
        asked = sum(_view(connection, page, headers) for _ in range(count))
        spent = harness.cpu_seconds(server.pids()) - before
    finally:
        connection.close()
    print(f"  stitched views: {count} views took {asked} requests", flush=True)
    return spent * 1000 / count


def _view(connection: http.client.HTTPConnection, page: str, headers: dict) -> int:
    """One page view; how many requests it took. A stitched answer, and only that,
    is `Cache-Control: private` (tests/serving/test_stitching.py)."""
    connection.request("GET", page, headers=headers)
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"{page}: HTTP {response.status}")
    if "private" in (response.getheader("cache-control") or ""):
        return 1
    _ask(connection, "/layer" + page, headers)
    return 2


def _ask(connection: http.client.HTTPConnection, path: str, headers: dict) -> tuple[bytes, str]:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status}")
    return body, response.getheader("content-encoding") or ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.personal_layer")
    parser.add_argument("--requests", type=int, default=2000, help="requests of each kind")
    parser.add_argument("--rounds", type=int, default=5, help="turns of each kind (median)")
    args = parser.parse_args(argv)
    data_dir = build(MAIN_SITE, ROOT)
    server = BroadsheetServer(data_dir, harness.free_port(), workers=1)
    server.start()
    page = article_path("page-200")
    gzipped = {"Accept-Encoding": "gzip"}
    try:
        session = new_session(server_env(data_dir))
        signed_in = {**gzipped, "Cookie": f"sessionid={session}; csrftoken={CSRF_SECRET}"}
        marked = {**gzipped, "Cookie": signed_in["Cookie"] + "; broadsheet_layer=1"}
        started = time.monotonic()
        # Taken in turns, the median of each: a process's CPU per request drifts by
        # tens of percent from one stretch to the next on a shared machine.
        signed_out, layered, stitched = [], [], []
        for _ in range(args.rounds):
            signed_out.append(cpu_per_request(server, [page], gzipped, args.requests))
            layered.append(cpu_per_request(server, [page, "/layer" + page], marked, args.requests))
            stitched.append(cpu_per_view(server, page, marked, args.requests))
        signed_out_ms, layered_ms = statistics.median(signed_out), statistics.median(layered)
        stitched_ms = statistics.median(stitched)
        drawn_ms = cpu_per_request(server, [page], signed_in, max(50, args.requests // 20))
        # Without the marker the front cache keeps nothing: each one is drawn.
        layer_drawn_ms = cpu_per_request(
            server, ["/layer" + page], signed_in, max(50, args.requests // 20)
        )
    finally:
        server.stop()
    view = layered_ms * 2  # a page view is the page and the layer
    rows = [
        ("signed out: shared page (front cache)", signed_out_ms, signed_out_ms),
        ("signed in, script: shared page + personal layer", layered_ms, view),
        ("signed in, script: the page with the layer stitched in", None, stitched_ms),
        ("signed in, no script: page drawn by Django", drawn_ms, drawn_ms),
        ("the personal layer drawn by Django (a front-cache miss)", layer_drawn_ms, None),
    ]
    print("\n| page view of the 200-comment article | CPU ms / request | CPU ms / page view |")
    print("|---|---:|---:|")
    for label, per_request, per_view in rows:
        request_shown = "" if per_request is None else f"{per_request:.3f}"
        view_shown = "" if per_view is None else f"{per_view:.3f}"
        print(f"| {label} | {request_shown} | {view_shown} |")
    for name, cost in (("page + layer", view), ("stitched", stitched_ms)):
        ratio = signed_out_ms / cost
        verdict = "met" if ratio >= 0.5 else "NOT met"
        print(
            f"\n- {verdict} ({name}): a signed-in page view costs {cost / signed_out_ms:.2f}x a "
            f"signed-out one in server CPU, so about {ratio:.2f}x its rate on the same cores "
            "(target ≥ 0.5x)"
        )
    print(f"- the page Django draws costs {drawn_ms / stitched_ms:.0f}x the stitched page")
    print(f"took {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
