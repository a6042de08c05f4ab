"""The CPU time of rendering a page from nothing (a page-cache miss), in one process.

    .venv/bin/python -m bench render [--renders N] [--kinds K,...] [--profile FILE]

Builds (or reuses, under var/bench/sites/render/) a `broadsheet demo` site with one
200-comment article and one 2,000-comment article, then, in this one process, with
Django set up as `serve` runs it (no debug, SQLite), times N renders of each kind
with `time.process_time` after a warm-up, and counts their queries:

- shared: the article page as every signed-out reader gets it, the page cache
  never holding it (BROADSHEET_PAGE_CACHE_SECONDS=0: each request is a miss, as
  the first one after a comment is);
- shared, cold: the same with every cache emptied before each render (comment
  fragments included), what the very first visit after a restart costs;
- signed in: the same page for a signed-in reader (the personal render: CSRF
  token, their votes and controls, the account header);
- page-2000: the first page of the 2,000-comment article, shared;
- live event: the `comment.posted` event of one comment (its HTML, as every
  open page receives it).

The requests go through Django's whole handler and middleware (django.test.Client),
not through the HTTP server or the front cache, which answer hits and are not what
is measured here. CPU time, not wall time: the machine may be shared.

`--profile FILE` runs the same measurement under py-spy and writes FILE: the
functions that take the largest share of the samples (inclusive and self).
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.broadsheet_site import Part, Site, article_path, build, server_env

ROOT = Path(__file__).resolve().parent.parent / "var" / "bench"
SITE = Site("render", (Part("render", 1, 200), Part("render-big", 1, 2000)))
TARGET_MS = 7.0
KINDS = ("shared", "shared-cold", "signed-in", "page-2000", "live-event")
READER = "bench-render-reader"


def _set_up_django(data_dir: Path) -> None:
    for key in [key for key in os.environ if key.startswith("BROADSHEET_")]:
        del os.environ[key]
    os.environ.update(server_env(data_dir, BROADSHEET_PAGE_CACHE_SECONDS="0"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "broadsheet.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from broadsheet.serving.static_files import collect_static_files

    # A kept bench site made by an older tree: brought to this tree's schema, as
    # `serve` does when it starts.
    call_command("migrate", interactive=False, verbosity=0)

    collect_static_files()  # as `serve` does before it starts: pages name hashed files


def _reader():
    from broadsheet.readers.models import Reader
    from broadsheet.readers.operations import sign_up_reader

    reader = Reader.objects.filter(handle=READER).first()
    if reader is None:
        reader = sign_up_reader(
            handle=READER,
            display_name="Bench Reader",
            email=f"{READER}@example.invalid",
            password="bench-render-password-1",  # noqa: S106 (a throwaway account)
            site_url=None,
        )
    return reader


def _renders(kinds: list[str]):
    """kind -> a function that renders once and returns what it made."""
    from django.core.cache import caches
    from django.test import Client

    from broadsheet.discussion.events import comment_posted

    try:
        from broadsheet.discussion.fragments import forget_kept_html
        from broadsheet.serving.kept_html import forget_kept_parts
    except ImportError:  # a tree from before ADR 0025, measured for comparison

        def forget_kept_html():
            pass

        forget_kept_parts = forget_kept_html

    from broadsheet.discussion.models import Comment

    # As `serve` is asked for its pages (the host is one ALLOWED_HOSTS names).
    anonymous = Client(SERVER_NAME="127.0.0.1")
    signed_in = Client(SERVER_NAME="127.0.0.1")
    signed_in.force_login(_reader())
    page = article_path("render")
    big_page = article_path("render-big")
    one_comment = (
        Comment.objects.select_related("article", "author", "parent")
        .filter(article__slug="render-0", deleted_at__isnull=True)
        .order_by("number")[7:8]
        .get()
    )

    def get(client, path):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.content

    def cold():
        for cache in caches.all():
            cache.clear()
        forget_kept_html()  # what a process remembers of them too (absent before ADR 0025)
        forget_kept_parts()
        return get(anonymous, page)

    every = {
        "shared": lambda: get(anonymous, page),
        "shared-cold": cold,
        "signed-in": lambda: get(signed_in, page),
        "page-2000": lambda: get(anonymous, big_page),
        "live-event": lambda: comment_posted(one_comment),
    }
    return {kind: every[kind] for kind in kinds}


def measure(kinds: list[str], renders: int) -> list[tuple[str, float, float]]:
    """(kind, ms of CPU per render, queries per render) for each kind."""
    from django.db import connection

    rows = []
    for kind, render in _renders(kinds).items():
        for _ in range(max(3, renders // 10)):  # warm-up: templates, URL patterns, caches
            render()
        # Counted by a wrapper, not CaptureQueriesContext: each request empties the
        # connection's query log when it starts.
        queries: list[str] = []

        def count(execute, sql, *arguments, queries=queries):
            queries.append(sql)
            return execute(sql, *arguments)

        with connection.execute_wrapper(count):
            render()
        started = time.process_time()
        for _ in range(renders):
            render()
        spent = time.process_time() - started
        rows.append((kind, spent / renders * 1000, len(queries)))
    return rows


def _print_table(rows: list[tuple[str, float, float]], renders: int) -> None:
    print(f"\nCPU per render, {renders} renders each after a warm-up, one process\n")
    print(f"{'render':<14} {'ms CPU':>8} {'queries':>8}")
    for kind, ms, queries in rows:
        print(f"{kind:<14} {ms:>8.2f} {queries:>8.0f}")
    shared = dict((kind, ms) for kind, ms, _ in rows).get("shared")
    if shared is not None:
        verdict = "met" if shared <= TARGET_MS else "NOT met"
        print(f"\n- {verdict}: shared 200-comment page from nothing {shared:.2f} ms CPU "
              f"(target <= {TARGET_MS:g} ms)")  # fmt: skip


# The frame every sampled request passes through: shares of a render are of its samples.
_REQUEST_FRAME = "BaseHandler.get_response (django/core/handlers/base.py)"


def _summarise_profile(raw: Path, out: Path, title: str) -> None:
    """Fold py-spy's raw stacks into the functions with the largest shares."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    request_inclusive: collections.Counter[str] = collections.Counter()
    request_own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(frame) for frame in stack.split(";")]
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
        if _REQUEST_FRAME in frames:
            for frame in set(frames):
                request_inclusive[frame] += count
            request_own[frames[-1]] += count
    lines = [title, "", f"{total} samples", "", "inclusive share (the function or what it calls):"]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in inclusive.most_common(45)]
    lines += ["", "inclusive share of Broadsheet's own functions:"]
    ours = [(frame, n) for frame, n in inclusive.most_common() if "(broadsheet/" in frame]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in ours[:30]]
    lines += ["", "self share (the function itself):"]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in own.most_common(25)]
    # The same within the requests alone: start-up (imports, building the site) left out.
    requests = request_inclusive.get(_REQUEST_FRAME, 0)
    if requests:
        share = f"{requests} samples, {requests / total:.1%} of all"
        lines += ["", f"within Django's handler ({share}): inclusive share of the request"]
        lines += [f"  {n / requests:6.1%}  {f}" for f, n in request_inclusive.most_common(70)]
        lines += ["self share of the request:"]
        lines += [f"  {n / requests:6.1%}  {frame}" for frame, n in request_own.most_common(30)]
    out.write_text("\n".join(lines) + "\n")


def _short(frame: str) -> str:
    # "render (django/template/base.py:1005)" -> without the line number, and the
    # path from the package folder on, so one function is one row.
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/broadsheet/", "/bench/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"


def _profile(argv: list[str], out: Path, kinds: list[str]) -> int:
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "raw.txt"
        command = [py_spy, "record", "--format", "raw", "--rate", "250", "-o", str(raw), "--",
                   sys.executable, "-m", "bench.render", *argv]  # fmt: skip
        finished = subprocess.run(command, check=False)
        if finished.returncode != 0 or not raw.exists():
            print("py-spy failed", file=sys.stderr)
            return 1
        title = f"py-spy profile of `python -m bench render {' '.join(argv)}` ({', '.join(kinds)})"
        _summarise_profile(raw, out, title)
    print(f"profile summary written to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench render", description=__doc__)
    parser.add_argument("--renders", type=int, default=200, help="timed renders of each kind")
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"some of {','.join(KINDS)}")
    parser.add_argument("--profile", type=Path, help="run under py-spy; write a summary here")
    options = parser.parse_args(argv)
    kinds = [kind for kind in options.kinds.split(",") if kind]
    if unknown := set(kinds) - set(KINDS):
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    data_dir = build(SITE, ROOT)
    if options.profile:
        rest = [f"--renders={options.renders}", f"--kinds={','.join(kinds)}"]
        return _profile(rest, options.profile, kinds)
    _set_up_django(data_dir)
    rows = measure(kinds, options.renders)
    _print_table(rows, options.renders)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
