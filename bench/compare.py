"""Broadsheet against Isso and the machine's ceiling, on the same machine, in one run.

    .venv/bin/python -m bench compare          # the full run: 3 runs of 15 s each (~25 min)
    .venv/bin/python -m bench compare --quick  # 1 run of 2 s, a 100,000-comment site (< 3 min)

(`python -m bench.compare` and plain `python -m bench`, which bench/run calls, are the same.)

Builds the data sets (kept under var/bench/ for the next run), starts Broadsheet as
production runs it (`broadsheet serve --workers 2`, SQLite; the posting rows also
on a throwaway PostgreSQL + Redis, unless --no-postgres), installs Isso 0.14
from PyPI into its own virtual environment and seeds it with the same discussions,
serves the same page bytes as a static file through nginx, loads each with wrk from
another process and prints one table: req/s, p50, p99, errors, server memory, and
the ratio to Isso. The same table goes to var/bench/results.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import databases, harness
from bench.broadsheet_site import BroadsheetServer, Part, Site, article_path, build
from bench.harness import LoadResult, Request, median_of, run_request
from bench.peers.isso import Isso
from bench.peers.nginx import Nginx
from bench.post import fresh_site

ROOT = Path(__file__).resolve().parent.parent / "var" / "bench"
COUNTED = 20  # articles whose comment counts are asked for at once

MAIN_SITE = Site(
    "main",
    (
        Part("page-200", 1, 200),
        Part("page-2000", 1, 2_000),
        Part("page-100000", 1, 100_000),
        Part("count", COUNTED, 10),
        Part("post", 1, 0),
    ),
)
SMALL_SITE = Site("site-1k", (Part("site", 10, 100),))
LARGE_SITE = Site("site-1m", (Part("site", 10_000, 100),))
QUICK_LARGE_SITE = Site("site-100k", (Part("site", 1_000, 100),))


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    connections: int
    broadsheet: Callable[[BroadsheetServer], Request]
    isso: Callable[[Isso], Request] | None  # None: Isso has nothing like it
    # An article page: also measured with the caches bypassed, as a signed-in
    # reader's page is rendered, to show what rendering costs at each size.
    page: bool = False


def main_scenarios() -> list[Scenario]:
    return [
        Scenario("page-200", "(a) article page, 200 comments", 16, *_page("page-200"), page=True),
        Scenario(
            "signed-in-200",
            "(a) signed-in reader's page views, 200 comments: the page, and the personal "
            "layer only when not stitched in (page views/s)",
            16,
            lambda server: server.signed_in_page_request(article_path("page-200")),
            None,
        ),
        Scenario(
            "page-2000", "(b) first page of 2,000 comments", 16, *_page("page-2000"), page=True
        ),
        Scenario(
            "page-100000",
            "(b) first page of 100,000 comments",
            16,
            *_page("page-100000"),
            page=True,
        ),
        Scenario(
            "counts",
            f"(d) comment counts of {COUNTED} articles",
            16,
            lambda server: server.count_request([f"count-{n}" for n in range(COUNTED)]),
            lambda isso: isso.count_request([article_path("count", n) for n in range(COUNTED)]),
        ),
        Scenario("post-4", "(c) post a comment, 4 at once", 4, *_post()),
        Scenario("post-16", "(c) post a comment, 16 at once", 16, *_post()),
    ]


def _page(prefix: str):
    return (
        lambda server: server.page_request(article_path(prefix)),
        lambda isso: isso.fetch_request(article_path(prefix)),
    )


def _post():
    return (
        lambda server: server.post_request(article_path("post")),
        lambda isso: isso.post_request(article_path("post")),
    )


def site_scenario(site: Site) -> Scenario:
    comments = sum(part.articles * part.comments for part in site.parts)
    articles = sum(part.articles for part in site.parts)
    label = f"(e) article page, site of {comments:,} comments in {articles:,} articles"
    return Scenario(site.name, label, 16, *_page("site"), page=True)


def isso_discussions(site: Site) -> dict[str, int]:
    return {
        article_path(part.prefix, n): part.comments
        for part in site.parts
        for n in range(part.articles)
    }


# --- measuring ----------------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    label: str
    server: str
    result: LoadResult | None
    memory_mb: float
    worker_max_mb: float = 0.0
    note: str = ""
    runs: list[LoadResult] = field(default_factory=list)


@dataclass
class Settings:
    runs: int
    seconds: float
    warmup: float
    quick: bool
    probe_timeout: float = 600
    idle_window: float = 0.5


# A server this slow on one request would spend minutes working off a loaded run's
# queue: it is timed on one request instead, and the table says so.
TOO_SLOW_TO_LOAD = 3.0


def time_one(base_url: str, request: Request, *, timeout: float) -> tuple[float, str]:
    """Seconds one request took, and what went wrong with it ("" if nothing)."""
    started = time.perf_counter()
    ask = urllib.request.Request(base_url + request.path, headers=request.headers)  # noqa: S310
    try:
        with urllib.request.urlopen(ask, timeout=timeout) as response:  # noqa: S310 (loopback)
            response.read()
    except urllib.error.HTTPError as error:
        return time.perf_counter() - started, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return time.perf_counter() - started, str(getattr(error, "reason", error))
    return time.perf_counter() - started, ""


def measure(
    base_url: str,
    request: Request,
    scenario: Scenario,
    pids: Callable[[], list[int]],
    settings: Settings,
) -> tuple[LoadResult, list[LoadResult], str]:
    """A warm-up, then `settings.runs` runs; the median. Between runs the server must
    have worked off what the last run left queued."""
    port = int(base_url.rsplit(":", 1)[1])
    if request.method == "GET":
        seconds, failure = time_one(base_url, request, timeout=settings.probe_timeout)
        if failure or seconds > TOO_SLOW_TO_LOAD:
            ms = seconds * 1000
            one = LoadResult(1, seconds, 0 if failure else 1 / seconds, ms, ms, int(bool(failure)))
            if failure == "timed out":
                note = f"no answer within {seconds:.0f} s: not loaded"
            elif failure:
                note = f"one request failed with {failure} after {seconds:.1f} s: not loaded"
            else:
                note = f"one request took {seconds:.1f} s: not loaded"
            return one, [one], note
    run_request(base_url, request, connections=scenario.connections, seconds=settings.warmup)
    harness.wait_idle(pids(), port=port, window=settings.idle_window)
    runs = []
    for _ in range(settings.runs):
        runs.append(
            run_request(
                base_url, request, connections=scenario.connections, seconds=settings.seconds
            )
        )
        harness.wait_idle(pids(), port=port, window=settings.idle_window)
    return median_of(runs), runs, ""


def measure_row(
    server: str,
    base_url: str,
    request: Request,
    scenario: Scenario,
    settings: Settings,
    *,
    pids: Callable[[], list[int]],
    workers: Callable[[], list[int]],
) -> Row:
    """One row of the table: the measurement, and the server's memory after it."""
    result, runs, note = measure(base_url, request, scenario, pids, settings)
    if result.views is None:
        print(f"  {server} {scenario.label}: {number(result.rps)} req/s", flush=True)
    else:
        print(
            f"  {server} {scenario.label}: {number(result.rate)} page views/s "
            f"({number(result.rps)} req/s)",
            flush=True,
        )
    return Row(
        scenario.key,
        scenario.label,
        server,
        result,
        harness.rss_mb(pids()),
        max(harness.rss_mb([pid]) for pid in workers()),
        note=note,
        runs=runs,
    )


BROADSHEET = "Broadsheet"
RENDERED = "Broadsheet, rendered (caches bypassed)"
POSTGRES = "Broadsheet, PostgreSQL + Redis"


def run_broadsheet(
    site: Site, scenarios: list[Scenario], settings: Settings, rows: list[Row]
) -> bytes | None:
    data_dir = build(site, ROOT)
    server = BroadsheetServer(data_dir, harness.free_port(), workers=2)
    server.start()
    page_bytes = None
    try:
        for scenario in scenarios:
            request = scenario.broadsheet(server)
            variants = [(BROADSHEET, request)]
            if scenario.page:
                variants.append((RENDERED, server.rendered(request)))
            for name, variant in variants:
                rows.append(
                    measure_row(
                        name, server.base_url, variant, scenario, settings,
                        pids=server.pids, workers=server.worker_pids,
                    )
                )  # fmt: skip
            if scenario.key == "page-200":
                ask = urllib.request.Request(server.base_url + request.path)  # noqa: S310
                with urllib.request.urlopen(ask) as response:  # noqa: S310 (loopback)
                    page_bytes = response.read()
    finally:
        server.stop()
    return page_bytes


def run_broadsheet_postgres(scenarios: list[Scenario], settings: Settings, rows: list[Row]) -> None:
    """The posting rows again on production's larger set-up: `serve --workers 2` on a
    throwaway PostgreSQL with Redis for the cache, sessions and live fan-out
    (bench/databases.py), a new site with the same empty article to post under."""
    missing = databases.available()
    if missing:
        print(f"  PostgreSQL + Redis rows skipped, missing: {missing}", flush=True)
        return
    with databases.throwaway_postgres_and_redis(ROOT / "pg-compare") as (database, redis):
        env = {"BROADSHEET_DATABASE_URL": database, "BROADSHEET_REDIS_URL": redis}
        data_dir = fresh_site("compare-postgres", **env)
        server = BroadsheetServer(data_dir, harness.free_port(), env=env)
        server.start()
        try:
            for scenario in scenarios:
                if scenario.key.startswith("post-"):
                    rows.append(
                        measure_row(
                            POSTGRES, server.base_url, scenario.broadsheet(server), scenario,
                            settings, pids=server.pids, workers=server.worker_pids,
                        )
                    )  # fmt: skip
        finally:
            server.stop()


def run_isso(
    isso: Isso, site: Site, scenarios: list[Scenario], settings: Settings, rows: list[Row]
) -> None:
    isso.seed(isso_discussions(site))
    isso.start(workers=2)
    try:
        for scenario in scenarios:
            if scenario.isso is None:
                continue
            request = scenario.isso(isso)
            rows.append(
                measure_row(
                    "Isso 0.14", isso.base_url, request, scenario, settings,
                    pids=isso.pids, workers=isso.pids,
                )
            )  # fmt: skip
    finally:
        isso.stop()


def run_nginx(page_bytes: bytes, settings: Settings, rows: list[Row]) -> None:
    nginx = Nginx(ROOT / "nginx", harness.free_port())
    nginx.ensure_installed()
    nginx.serve_file(page_bytes, gzip_too=True)
    try:
        base, _, path = nginx.url.partition("://")[2].partition("/")
        request = Request("/" + path, headers={"Accept-Encoding": "gzip"})
        scenario = Scenario("page-200", "(a) article page, 200 comments", 16, None, None)
        result, runs, note = measure(f"http://{base}", request, scenario, nginx.pids, settings)
        rows.append(
            Row(
                "page-200",
                scenario.label,
                "nginx, the same bytes as a file",
                result,
                harness.rss_mb(nginx.pids()),
                note=note,
                runs=runs,
            )
        )
        print(f"  nginx static file: {result.rps:,.0f} req/s", flush=True)
    finally:
        nginx.stop()


# --- the table ------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    isso_rps = {row.scenario: row.result.rate for row in rows if row.server.startswith("Isso")}
    lines = [
        "| scenario | server | req/s | p50 ms | p99 ms | errors | memory MB | x Isso |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        result = row.result
        ratio = ""
        if not row.server.startswith("Isso") and row.scenario in isso_rps:
            peer = isso_rps[row.scenario]
            ratio = f"{number(result.rate / peer)}x" if peer > 0 else "Isso: 0 req/s"
        server = f"{row.server} ({row.note})" if row.note else row.server
        # A row that counts page views shows page views/s (its label says so).
        lines.append(
            f"| {row.label} | {server} | {number(result.rate)} | {number(result.p50_ms)} "
            f"| {number(result.p99_ms)} | {result.errors} | {row.memory_mb:.0f} | {ratio} |"
        )
    return "\n".join(lines)


def number(value: float) -> str:
    """Three significant digits or so, with thousands separated."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.2f}"


def targets(rows: list[Row], large: Site) -> str:
    """The issue's targets, read off this run's numbers."""
    ours = {row.scenario: row for row in rows if row.server == BROADSHEET}
    rendered = {row.scenario: row for row in rows if row.server == RENDERED}
    isso = {row.scenario: row for row in rows if row.server.startswith("Isso")}
    lines = []

    def rps(table: dict[str, Row], key: str) -> float | None:
        return table[key].result.rps if key in table else None

    def line(text: str, ok: bool) -> None:
        lines.append(f"- {'met' if ok else 'NOT met'}: {text}")

    page, peer = rps(ours, "page-200"), rps(isso, "page-200")
    if page and peer:
        line(f"200-comment page {page / peer:,.0f}x Isso (target ≥ 50x)", page >= 50 * peer)
    if page:
        line(
            f"200-comment page {page:,.0f} req/s "
            "(Remark42 with a large cache: ~6,300 in the issue)",
            page >= 6300,
        )
        p99 = ours["page-200"].result.p99_ms
        line(f"200-comment page p99 {p99:.1f} ms at 16 connections (target < 20 ms)", p99 < 20)
    if page and "signed-in-200" in ours:
        # Page views, counted by wrk: a view is one request when the layer came
        # stitched into the page, two when the layer had to be asked for.
        signed_in = ours["signed-in-200"].result
        views = signed_in.rate
        line(
            f"signed-in reader's 200-comment page: {views:,.0f} page views/s "
            f"({signed_in.rps:,.0f} req/s) = {views / page:.2f}x the signed-out page's "
            f"{page:,.0f} req/s (target ≥ 0.5x)",
            views >= 0.5 * page,
        )
    for key in ("page-2000", "page-100000"):
        other = rps(ours, key)
        if page and other:
            line(
                f"{key}: 200-comment page / this = {page / other:.2f} (target ≤ 1.5)",
                page <= 1.5 * other,
            )
    small, big = rps(ours, SMALL_SITE.name), rps(ours, large.name)
    if small and big:
        line(
            f"{large.name} vs {SMALL_SITE.name}: {small / big:.2f} (target ≤ 1.2)",
            small <= 1.2 * big,
        )
    page_rendered = rps(rendered, "page-200")
    for key in ("page-2000", "page-100000"):
        other = rps(rendered, key)
        if page_rendered and other:
            line(
                f"rendered {key}: 200-comment page / this = {page_rendered / other:.2f} "
                "(target ≤ 1.5)",
                page_rendered <= 1.5 * other,
            )
    small, big = rps(rendered, SMALL_SITE.name), rps(rendered, large.name)
    if small and big:
        line(
            f"rendered {large.name} vs {SMALL_SITE.name}: {small / big:.2f} (target ≤ 1.2)",
            small <= 1.2 * big,
        )
    post, peer_post = rps(ours, "post-4"), rps(isso, "post-4")
    if post and peer_post:
        line(f"posting at 4: {post / peer_post:.1f}x Isso (target ≥ 2x)", post >= 2 * peer_post)
    if "post-16" in ours:
        result = ours["post-16"].result
        line(
            f"posting at 16: {result.errors} errors, p99 {result.p99_ms:.0f} ms "
            "(target 0 errors, p99 < 100 ms)",
            result.errors == 0 and result.p99_ms < 100,
        )
    postgres = {row.scenario: row for row in rows if row.server == POSTGRES}
    post, peer_post = rps(postgres, "post-4"), rps(isso, "post-4")
    if post and peer_post:
        line(
            f"posting at 4, PostgreSQL + Redis: {post / peer_post:.1f}x Isso (target ≥ 2x)",
            post >= 2 * peer_post,
        )
    if "post-16" in postgres:
        result = postgres["post-16"].result
        line(
            f"posting at 16, PostgreSQL + Redis: {result.errors} errors, p99 "
            f"{result.p99_ms:.0f} ms (target 0 errors, p99 < 100 ms)",
            result.errors == 0 and result.p99_ms < 100,
        )
    if large.name in ours:
        worst = ours[large.name].worker_max_mb
        line(
            f"largest worker after the {large.name} run: {worst:.0f} MB (target < 150 MB)",
            worst < 150,
        )
    return "\n".join(lines)


# --- the run --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench compare", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="1 run of 2 s, a 100,000-comment site")
    parser.add_argument("--runs", type=int, help="runs per scenario (median is shown)")
    parser.add_argument("--seconds", type=float, help="seconds per run")
    parser.add_argument("--no-isso", action="store_true", help="skip the Isso peer")
    parser.add_argument(
        "--no-postgres", action="store_true", help="skip the posting rows on PostgreSQL + Redis"
    )
    parser.add_argument(
        "--only",
        help="comma-separated scenario keys to run (page-200, signed-in-200, page-2000, "
        "page-100000, counts, post-4, post-16, site-1k, site-1m); the rest are skipped",
    )
    args = parser.parse_args(argv)
    settings = Settings(
        runs=args.runs or (1 if args.quick else 3),
        seconds=args.seconds or (2 if args.quick else 15),
        warmup=1 if args.quick else 3,  # wrk takes whole seconds
        quick=args.quick,
        probe_timeout=5 if args.quick else 600,
        idle_window=0.25 if args.quick else 0.5,
    )
    large = QUICK_LARGE_SITE if args.quick else LARGE_SITE
    wanted = set(args.only.split(",")) if args.only else None
    scenarios = [s for s in main_scenarios() if wanted is None or s.key in wanted]
    sites = [site for site in (SMALL_SITE, large) if wanted is None or site.name in wanted]
    for tool in ("wrk",):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: bench/run installs it", file=sys.stderr)
            return 2
    started = time.monotonic()
    rows: list[Row] = []
    print(f"== data sets in {ROOT}", flush=True)
    for site in (MAIN_SITE, *sites):
        build(site, ROOT)
    print(f"   ready after {time.monotonic() - started:.0f} s", flush=True)

    print("== Broadsheet", flush=True)
    page_bytes = run_broadsheet(MAIN_SITE, scenarios, settings, rows)
    for site in sites:
        run_broadsheet(site, [site_scenario(site)], settings, rows)
    if not args.no_postgres:
        print("== Broadsheet on PostgreSQL + Redis", flush=True)
        run_broadsheet_postgres(scenarios, settings, rows)

    if not args.no_isso:
        print("== Isso", flush=True)
        isso = Isso(ROOT / "isso", harness.free_port())
        isso.install()
        run_isso(isso, MAIN_SITE, scenarios, settings, rows)
        for site in sites:
            run_isso(isso, site, [site_scenario(site)], settings, rows)

    if page_bytes is not None:
        print("== nginx", flush=True)
        run_nginx(page_bytes, settings, rows)

    order = [s.key for s in main_scenarios()] + [SMALL_SITE.name, large.name]
    rows.sort(key=lambda row: order.index(row.scenario))
    mode = (
        "--quick: 1 run of 2 s"
        if args.quick
        else f"median of {settings.runs} runs of {settings.seconds:g} s"
    )
    report = (
        f"`.venv/bin/python -m bench compare{' --quick' if args.quick else ''}"
        f"{' --only ' + args.only if args.only else ''}` ({mode}; "
        f"2 worker processes each; wrk from another process on the same 2-core machine)\n\n"
        f"{table(rows)}\n\n{targets(rows, large)}\n"
    )
    print()
    print(report)
    (ROOT / "results.md").write_text(report)
    (ROOT / "results.json").write_text(
        json.dumps([asdict(row) for row in rows], indent=1, default=str)
    )
    print(f"took {time.monotonic() - started:.0f} s; written to {ROOT / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
