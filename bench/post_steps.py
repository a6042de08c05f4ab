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
`--postgres` runs the same rows on a throwaway PostgreSQL + Redis (bench/databases.py,
durable defaults: fsync and synchronous_commit on; the production settings: the
connection pool, the Redis cache and cached_db sessions). Each row then also gives
its wall time a post (CPU plus waiting for the two servers), the statements
PostgreSQL ran a post (counted in its log: log_statement=all, so BEGIN, COMMIT and
the pool's checks count too), the Redis commands a post (INFO commandstats), the
CPU the two servers used a post (/proc), and, for rows that post, how long the
discussion's row lock was held (from its SELECT ... FOR UPDATE to the end of the
COMMIT). `--statements FILE` writes the statements and commands of one post of each
row, to read what they are.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import io
import os
import pstats
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

from bench import databases, harness


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
    parser.add_argument(
        "--postgres", action="store_true",
        help="on a throwaway PostgreSQL + Redis, with round trips and the servers' CPU",
    )  # fmt: skip
    parser.add_argument("--statements", help="with --postgres: one post's statements, per row")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-post-steps-") as data_dir:
        if not options.postgres:
            setup(data_dir)
            return measure(options, None)
        if missing := databases.available():
            print(f"--postgres needs {missing}", file=sys.stderr)
            return 2
        # Not in the temporary folder: PostgreSQL runs as its own user, which must reach it.
        workdir = Path(__file__).resolve().parent.parent / "var" / "bench" / "pg-post-steps"
        with databases.throwaway_servers(workdir, log_statements=True) as servers:
            os.environ["BROADSHEET_DATABASE_URL"] = servers.database_url
            os.environ["BROADSHEET_REDIS_URL"] = servers.redis_url
            setup(data_dir)
            return measure(options, ServerCounters(servers))


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
        if not hasattr(wrapper, "_start_transaction_under_autocommit"):
            return  # not SQLite: --postgres times the row lock instead (watch_lock_holds)
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


_STATEMENT = re.compile(r" LOG:  (?:statement|execute [^:]*): ?(.*)")


class ServerCounters:
    """What PostgreSQL and Redis did between two readings: statements run (from
    PostgreSQL's log), Redis commands (INFO commandstats), their CPU (/proc)."""

    def __init__(self, servers: databases.Servers) -> None:
        import redis

        self.servers = servers
        self.redis = redis.Redis.from_url(servers.redis_url)
        self.lock_holds: list[float] = []

    def _commands(self) -> collections.Counter:
        stats = self.redis.info("commandstats")
        return collections.Counter(
            {name.removeprefix("cmdstat_"): row["calls"] for name, row in stats.items()}
        )

    def _cpu(self) -> float:
        return harness.cpu_seconds([*self.servers.postgres_pids(), self.servers.redis_pid])

    def start(self) -> None:
        time.sleep(0.2)  # PostgreSQL writes its log a moment after the statement
        self._log_at = self.servers.postgres_log.stat().st_size
        self._commands_at = self._commands()
        self._cpu_at = self._cpu()
        self.lock_holds.clear()

    def stop(self) -> tuple[list[str], collections.Counter, float]:
        cpu = self._cpu() - self._cpu_at
        commands = self._commands() - self._commands_at
        commands["info"] -= 1  # the reading itself
        time.sleep(0.2)
        with self.servers.postgres_log.open("rb") as log:
            log.seek(self._log_at)
            text = log.read().decode("utf-8", "replace")
        statements = [m.group(1) for m in map(_STATEMENT.search, text.splitlines()) if m]
        return statements, +commands, cpu


def watch_lock_holds(holds: list[float]) -> None:
    """Note, for every transaction that locks a row with SELECT ... FOR UPDATE, the
    wall time from that statement until its COMMIT has returned."""
    from django.db.backends.signals import connection_created

    def wrapper(execute, sql, params, many, context):
        connection = context["connection"]
        if connection.in_atomic_block and " FOR UPDATE" in sql:
            locked_at = time.perf_counter()
            connection.on_commit(lambda: holds.append(time.perf_counter() - locked_at))
        return execute(sql, params, many, context)

    def install(sender, connection, **kwargs):
        if wrapper not in connection.execute_wrappers:
            connection.execute_wrappers.append(wrapper)

    connection_created.connect(install, weak=False)
    from django.db import connections

    for connection in connections.all():
        install(None, connection)


def measure(options, counters: ServerCounters | None) -> int:
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
    if counters is not None:
        watch_lock_holds(counters.lock_holds)
    rows = []
    extra = []
    one_post = []
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
        if counters is not None and options.statements:
            counters.start()
            step(-100)
            statements, commands, _cpu = counters.stop()
            one_post.append((name, statements, commands))
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
        if counters is not None:
            counters.start()
        started, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for i in range(n):
            step(i)
        if profiler:
            profiler.disable()
        elapsed = time.process_time() - started - time_inside[0]
        wall = time.perf_counter() - wall  # the request-around row: post_comment included
        if thread_profiler:
            loop.run_until_complete(sync_to_async(thread_profiler.disable)())
        rows.append((name, 1000 * elapsed / n, 1000 * hold.wall / n, 1000 * hold.cpu / n))
        if counters is not None:
            holds = sorted(counters.lock_holds)
            statements, commands, cpu = counters.stop()
            extra.append(
                (1000 * wall / n, len(statements) / n, commands.total() / n, 1000 * cpu / n,
                 1000 * holds[len(holds) // 2] if holds else None)
            )  # fmt: skip
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
    unit = rows[-1][1]
    if counters is None:
        print(f"CPU per post, {n} posts a row, one process, SQLite (synchronous=FULL)")
        print()
        print("| step | CPU ms a post | x reference | write lock held: wall ms | of it CPU ms |")
        print("|---|---:|---:|---:|---:|")
        for name, ms, held_wall, held_cpu in rows:
            print(f"| {name} | {ms:.2f} | {ms / unit:.2f} | {held_wall:.2f} | {held_cpu:.2f} |")
        return 0
    print(f"Per post, {n} posts a row, one process, PostgreSQL + Redis (synchronous_commit on)")
    print()
    print("| step | CPU ms | x reference | wall ms | PostgreSQL statements | Redis commands "
          "| servers' CPU ms | row lock held ms (median) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for (name, ms, _held_wall, _held_cpu), (wall, statements, commands, cpu, hold) in zip(
        rows, extra, strict=True
    ):
        held = f"{hold:.2f}" if hold is not None else "-"
        print(f"| {name} | {ms:.2f} | {ms / unit:.2f} | {wall:.2f} | {statements:.1f} "
              f"| {commands:.1f} | {cpu:.2f} | {held} |")  # fmt: skip
    if options.statements:
        with open(options.statements, "w") as file:
            for name, statements, commands in one_post:
                file.write(f"## {name}\n\nPostgreSQL, {len(statements)} statements:\n\n")
                file.writelines(f"    {statement[:160]}\n" for statement in statements)
                file.write(f"\nRedis, {commands.total()} commands: {dict(commands)}\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
