"""The JSON API against the pages it stands beside: reading one article's 200
comments, and posting a comment, on the same server in the same run.

    .venv/bin/python -m bench api [--runs N] [--seconds S]

One article with 200 comments (`broadsheet demo`), `serve --workers 2`, wrk with
8 connections for reads and 4 for posts (as `compare` posts). Reads: the article
page as a signed-out reader gets it (the front cache answers), the same page
rendered by Django (a session cookie bypasses both caches), and the API's
comment list, anonymous, 50 and 200 comments a request (the page shows 50
threads with their replies: all 200 here). Posts: the form (session and CSRF,
answered with a redirect) against the API (a Bearer token and JSON, answered
201 with the comment), and the API with a fresh Idempotency-Key each request,
which adds the key's row (claimed, then answered in the comment's transaction).
Each row is the median of --runs runs; ratios are against the rendered page and
against the form.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench import harness
from bench.broadsheet_site import (
    POSTER,
    BroadsheetServer,
    Part,
    Site,
    article_path,
    build,
    run,
    server_env,
    sign_in_poster,
)
from bench.harness import Request, median_of, run_request

ROOT = Path(__file__).resolve().parent.parent / "var" / "bench"
SITE = Site("api", (Part("api", 1, 200),))
SLUG = "api-0"
# Nothing in the way of a one-client flood: the API's per-caller limit is off, and
# a list may hold all 200 comments.
SETTINGS = {"BROADSHEET_API_REQUESTS_PER_MINUTE": "0", "BROADSHEET_API_PAGE_SIZE": "200"}


def _measure(server: BroadsheetServer, request: Request, *, connections: int, runs: int,
             seconds: float) -> harness.LoadResult:  # fmt: skip
    run_request(server.base_url, request, connections=connections, seconds=1)  # warm-up
    results = []
    for _ in range(runs):
        results.append(
            run_request(server.base_url, request, connections=connections, seconds=seconds)
        )
        time.sleep(0.5)
    return median_of(results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench api", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (median shown)")
    parser.add_argument("--seconds", type=float, default=5, help="seconds per run")
    options = parser.parse_args(argv)
    data_dir = build(SITE, ROOT)
    env = server_env(data_dir, **SETTINGS)
    sign_in_poster(env)  # makes the poster's account on first use
    token = run(["token", "create", POSTER, "--scope", "write", "--name", "bench"], env).split()[-1]
    server = BroadsheetServer(data_dir, harness.free_port(), workers=2, env=SETTINGS)
    server.start()
    page = server.page_request(article_path("api"))
    api_list = f"/api/v1/articles/{SLUG}/comments"
    bearer = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    json_body = '{"body": "Benchmark comment {n}, posted by wrk through the API."}'
    reads = [
        ("article page, signed out (front cache)", page),
        ("article page, rendered by Django", server.rendered(page)),
        ("API comment list, 50 a request", Request(api_list + "?limit=50")),
        ("API comment list, 200 a request", Request(api_list + "?limit=200")),
    ]
    posts = [
        ("form post (session + CSRF)", server.post_request(article_path("api"))),
        ("API post (Bearer + JSON)", Request(api_list, "POST", bearer, json_body)),
        (
            "API post with Idempotency-Key",
            Request(api_list, "POST", {**bearer, "Idempotency-Key": "{uuid}"}, json_body),
        ),
    ]
    rows = []
    try:
        for name, request in reads:
            print(f"  {name}...", flush=True)
            result = _measure(
                server, request, connections=8, runs=options.runs, seconds=options.seconds
            )
            rows.append(("read", name, result))
        for name, request in posts:
            print(f"  {name}...", flush=True)
            result = _measure(
                server, request, connections=4, runs=options.runs, seconds=options.seconds
            )
            rows.append(("post", name, result))
    finally:
        server.stop()
    rendered = rows[1][2].rps
    form = rows[4][2].rps
    print()
    print("| scenario | requests/s | p50 ms | p99 ms | errors | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, name, result in rows:
        base, against = (rendered, "rendered page") if kind == "read" else (form, "form post")
        print(
            f"| {name} | {result.rps:,.0f} | {result.p50_ms:.1f} | {result.p99_ms:.1f} | "
            f"{result.errors} | {result.rps / base:.2f}x {against} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
