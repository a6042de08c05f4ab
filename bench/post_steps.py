"""Where a post's CPU goes, measured in one process with nothing else in the way:
`time.process_time` around N posts, through each layer in turn.

    .venv/bin/python -m bench post-steps [--posts N] [--profile FILE]

A new data folder (SQLite, production settings: WAL, synchronous=FULL), one article
and one signed-in reader. Rows, each N posts of a different text:

- the whole request: Django's test client posting the form as a browser does
  (session cookie, CSRF cookie and token checked, submission key), through every
  middleware, the view and the redirect;
- `post_comment` alone, as the view calls it;
- the parts of `post_comment` a post pays for on its own: judging the text
  (Markdown, sanitizer, rules) and the live event's HTML;
- the reads of the request around it: the session, the signed-in reader and the
  article posted under (docs/posting.md, round 3);
- the request around `post_comment`: the ASGI row again, less the CPU spent inside
  `post_comment` (timed where the view calls it), so the steadiest figure of what
  the middleware, the form, the reads and the answer cost (round 5).

Each row also gives how long its transactions held the database's write lock, a
post's share: wall time and CPU from `BEGIN IMMEDIATE` to the end of `COMMIT`
(fsync included), summed over the row and divided by its posts (docs/posting.md,
round 4). On SQLite that hold caps posts a second at 1 / hold, whatever the cores.

The difference between the ASGI row and `post_comment` alone was the old estimate of
the request around the operation; the request-around row measures it in one run.
`--profile FILE` writes cProfile's top functions of one row (`--profile-row K`; for the
ASGI row both the event loop's thread and the sync thread) and the raw statistics to
FILE.pstats; with BENCH_CALLEES=NAME set, also what the functions matching NAME called.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
import uuid
from urllib.parse import urlencode


def setup(data_dir: str) -> None:
    os.environ["BROADSHEET_DATA_DIR"] = data_dir
    for name in ("COMMENTS_PER_MINUTE", "COMMENTS_PER_ARTICLE_PER_MINUTE",
                 "BREAKING_NEWS_PER_MINUTE", "PREMODERATE_FIRST_COMMENTS"):  # fmt: skip
        os.environ[f"BROADSHEET_{name}"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broadsheet.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench post-steps", description=__doc__)
    parser.add_argument("--posts", type=int, default=300, help="posts per row")
    parser.add_argument("--profile", help="cProfile one row into this file")
    parser.add_argument(
        "--profile-row", type=int, default=0, help="which row --profile profiles (0: the first)"
    )
    parser.add_argument(
        "--only", type=int, action="append", help="run only this row (repeat for more)"
    )
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-post-steps-") as data_dir:
        setup(data_dir)
        return measure(options)


class LockHold:
    """Time from each transaction's BEGIN to the end of its COMMIT or ROLLBACK on the
    default connection, summed: the write lock's hold on SQLite (BEGIN IMMEDIATE)."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        self.transactions = 0
        self._began: tuple[float, float] | None = None

    def install(self) -> None:
        from django.db import connections

        wrapper = type(connections["default"])
        begin, commit, rollback = (
            wrapper._start_transaction_under_autocommit, wrapper._commit, wrapper._rollback
        )  # fmt: skip
        hold = self

        def timed_begin(conn):
            hold._began = (time.perf_counter(), time.process_time())
            return begin(conn)

        def ended(end):
            def timed_end(conn):
                try:
                    return end(conn)
                finally:
                    if hold._began is not None:
                        wall, cpu = hold._began
                        hold.wall += time.perf_counter() - wall
                        hold.cpu += time.process_time() - cpu
                        hold.transactions += 1
                        hold._began = None

            return timed_end

        wrapper._start_transaction_under_autocommit = timed_begin
        wrapper._commit = ended(commit)
        wrapper._rollback = ended(rollback)

    def reset(self) -> None:
        self.wall = self.cpu = 0.0
        self.transactions = 0


def measure(options) -> int:
    from django.conf import settings
    from django.test import Client

    from broadsheet.articles.operations import save_article
    from broadsheet.discussion import events
    from broadsheet.discussion.operations import judge_comment_text, post_comment
    from broadsheet.readers.operations import sign_up_reader

    article, _created = save_article(
        slug="post-steps", title="Posting", body_markdown="A paragraph.\n\nAnother one."
    )
    reader = sign_up_reader(
        handle="steps-poster", display_name="Steps Poster", email="steps@example.invalid",
        password="steps-poster-password-1", site_url=None,  # noqa: S106 (a throwaway account)
    )  # fmt: skip
    n = options.posts
    text = "Benchmark comment {}, with *emphasis* and a [link](https://example.org/)."

    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    client.force_login(reader)
    token = "BenchCsrfSecretBenchCsrfSecret32"  # noqa: S105 (as bench/broadsheet_site.py)
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    url = f"/articles/{article.slug}/comments/"

    def post_form(i: int) -> None:
        # Encoded as a browser encodes a form (the test client's default is
        # multipart, whose parser costs several times more).
        response = client.post(
            url,
            urlencode({"body": text.format(i), "submission_key": str(uuid.uuid4()),
                       "csrfmiddlewaretoken": token}),
            content_type="application/x-www-form-urlencoded",
        )  # fmt: skip
        assert response.status_code == 302, (response.status_code, response.content[:500])

    from asgiref.sync import sync_to_async

    from broadsheet.asgi import application

    cookie = (
        f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}; "
        f"{settings.CSRF_COOKIE_NAME}={token}"
    ).encode()
    loop = asyncio.new_event_loop()

    def post_asgi(i: int) -> None:
        body = urlencode(
            {"body": text.format(i), "submission_key": str(uuid.uuid4()),
             "csrfmiddlewaretoken": token}
        ).encode()  # fmt: skip
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": url, "raw_path": url.encode(),
            "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "headers": [
                (b"host", b"127.0.0.1:8000"), (b"cookie", cookie),
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"content-length", str(len(body)).encode()),
            ],
        }  # fmt: skip
        sent = []
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive():
            if messages:
                return messages.pop()
            await asyncio.sleep(3600)  # no disconnect: the client waits for its answer

        async def send(message):
            sent.append(message)

        loop.run_until_complete(application(scope, receive, send))
        status = sent[0]["status"]
        assert status == 302, (status, sent)

    def post_operation(i: int) -> None:
        post_comment(
            article=article, edition=article, author=reader, body=text.format(i),
            submission_key=uuid.uuid4(), language="en",
        )  # fmt: skip

    def judge(i: int) -> None:
        judge_comment_text(article=article, author=reader, body=text.format(i))

    sample = post_comment(article=article, author=reader, body=text.format("sample"))

    def live_html(i: int) -> None:
        events.comment_posted(sample)

    from importlib import import_module

    from django.contrib.auth import load_backend

    from broadsheet.articles.access import get_article_to_post_under_or_404

    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    session_engine = import_module(settings.SESSION_ENGINE)
    reader_backend = load_backend(settings.AUTHENTICATION_BACKENDS[-1])

    def request_reads(i: int) -> None:
        # What every signed-in post reads before the operation: its session, its
        # reader (as django.contrib.auth.get_user does) and the article.
        assert session_engine.SessionStore(session_key).load()
        assert reader_backend.get_user(reader.pk) is not None
        get_article_to_post_under_or_404(article.slug)

    def reference(i: int) -> None:
        # Fixed pure-Python work: the machine's speed at this moment, to divide by
        # (CPU time per operation swings with what else runs on shared cores).
        sum(j * j for j in range(20_000))

    import broadsheet.discussion.views as discussion_views

    time_inside = [0.0]

    def timed_post_comment(**arguments):
        started = time.process_time()
        try:
            return post_comment(**arguments)
        finally:
            time_inside[0] += time.process_time() - started

    def request_around(i: int) -> None:
        # The ASGI row again, with the CPU spent inside post_comment (the same
        # function, timed where the view calls it) taken out after the loop.
        discussion_views.post_comment = timed_post_comment
        try:
            post_asgi(i)
        finally:
            discussion_views.post_comment = post_comment

    hold = LockHold()
    hold.install()
    rows = []
    for index, (name, step) in enumerate(
        (
            ("whole request (ASGI application, in process)", post_asgi),
            ("whole request (test client, CSRF enforced)", post_form),
            ("post_comment alone", post_operation),
            ("  of which: judge the text (render, sanitize, rules)", judge),
            ("  of which: the live event (comment HTML)", live_html),
            ("the request's reads: session, reader, article", request_reads),
            ("the request around post_comment (ASGI row minus post_comment)", request_around),
            ("reference: fixed pure-Python work", reference),
        )
    ):
        if options.only and index not in options.only and step is not reference:
            continue
        for i in range(20):  # warm-up: imports, template loading, caches
            step(-i)
        time_inside[0] = 0.0
        profiled = options.profile and index == options.profile_row
        profiler = cProfile.Profile() if profiled else None
        # The ASGI row runs Django's synchronous part on asgiref's one sync thread:
        # a profiler is per thread, so that thread gets its own, added in after.
        thread_profiler = (
            cProfile.Profile() if profiled and step in (post_asgi, request_around) else None
        )
        if thread_profiler:
            loop.run_until_complete(sync_to_async(thread_profiler.enable)())
        hold.reset()
        started = time.process_time()
        if profiler:
            profiler.enable()
        for i in range(n):
            step(i)
        if profiler:
            profiler.disable()
        elapsed = time.process_time() - started - time_inside[0]
        if thread_profiler:
            loop.run_until_complete(sync_to_async(thread_profiler.disable)())
        rows.append((name, 1000 * elapsed / n, 1000 * hold.wall / n, 1000 * hold.cpu / n))
        if profiler:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            if thread_profiler:
                stats.add(thread_profiler)
            stats.dump_stats(options.profile + ".pstats")
            stats.sort_stats("cumulative").print_stats(70)
            stats.sort_stats("tottime").print_stats(30)
            if os.environ.get("BENCH_CALLEES"):
                stats.sort_stats("cumulative").print_callees(os.environ["BENCH_CALLEES"])
            with open(options.profile, "w") as file:
                file.write(out.getvalue())
    print(f"CPU per post, {n} posts a row, one process, SQLite (synchronous=FULL)")
    print()
    unit = rows[-1][1]
    print("| step | CPU ms a post | x reference | write lock held: wall ms | of it CPU ms |")
    print("|---|---:|---:|---:|---:|")
    for name, ms, held_wall, held_cpu in rows:
        print(f"| {name} | {ms:.2f} | {ms / unit:.2f} | {held_wall:.2f} | {held_cpu:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
