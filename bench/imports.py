"""Importing a Disqus export: Broadsheet's `broadsheet import disqus` against Isso's
own Disqus importer, on the same generated file, in the same run.

    .venv/bin/python -m bench import                   1,000,000 posts in 10,000 threads
    .venv/bin/python -m bench import --posts 20000     a quick run

The export is generated (fixed seed) into var/bench/imports/ and kept for the next
run with the same posts, threads and seed. It is the format Disqus exports
(<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">:
a category, every <thread>, then every <post>, linked by dsq:id attributes) and is
written as a stream, never held in memory: threads get their comments in the days
after they open, so posts of a few threads at a time interleave in the file as they
do in a real export. About a third of the posts answer an earlier post of their
thread; a few replies come before the post they answer; about 2% are deleted and 1%
marked spam.

Each importer runs as its own process, exactly as an operator runs it, into a new
database: Isso 0.14 (`isso -c CFG import --type disqus --empty-id FILE`, from the
venv bench/peers/isso.py installs) and Broadsheet (`broadsheet import disqus FILE`
into a new data folder on SQLite, migrated beforehand). For each the table shows
wall-clock seconds, CPU seconds, and peak memory: the largest resident size the
kernel recorded for the process and anything it waited for (wait4's ru_maxrss), or
the resident size of its whole process tree polled every 50 ms if that was larger.
Then it counts what each database holds, so a fast row cannot be fast by importing
less. `--isso-timeout` stops an Isso import that runs too long (its importer costs
grow with the square of the comments, see ISSO_COMMAND); the row then says how far
it got.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import harness
from bench.broadsheet_site import BROADSHEET, server_env
from bench.peers.isso import FIRST_NAMES, LAST_NAMES, SENTENCES, Isso

ROOT = Path(__file__).resolve().parent.parent / "var" / "bench"
WORKDIR = ROOT / "imports"

# Bumped whenever the generator changes what it writes: a cached file of an older
# version is not reused.
GENERATOR_VERSION = 1
SITE = "https://news.example.org"
FORUM = "broadsheet-bench"
START = datetime(2014, 3, 1, 8, 0, tzinfo=UTC)  # the first thread opens then
ACTIVE_THREADS = 16  # threads taking comments at one time (they interleave in the file)
REPLY_SHARE = 1 / 3
DELETED_SHARE = 0.02
SPAM_SHARE = 0.01
EARLY_REPLY_SHARE = 0.005  # replies written to the file before the post they answer
POST_ID_BASE = 1_200_000_000  # Disqus ids are large integers
THREAD_ID_BASE = 2_400_000_000
CATEGORY_ID = 3_100_000


# --- the export ---------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    posts: int
    threads: int
    seed: int

    @property
    def path(self) -> Path:
        return WORKDIR / (
            f"disqus-{self.posts}-posts-{self.threads}-threads-seed{self.seed}"
            f"-v{GENERATOR_VERSION}.xml"
        )

    @property
    def summary_path(self) -> Path:
        return self.path.with_suffix(".json")


def ensure_export(export: Export) -> tuple[dict[str, int], float | None]:
    """What the export's file holds (posts, replies, deleted, ...), generating the file
    unless it is already there; the seconds generating took (None when cached)."""
    if export.path.exists() and export.summary_path.exists():
        return json.loads(export.summary_path.read_text()), None
    WORKDIR.mkdir(parents=True, exist_ok=True)
    partial = export.path.with_suffix(".xml.partial")
    started = time.monotonic()
    summary: dict[str, int] = {}
    # 1 MiB of buffer: the file is written in large blocks, not per element.
    with partial.open("w", encoding="utf-8", buffering=1 << 20) as out:
        for chunk in export_chunks(export, summary):
            out.write(chunk)
    partial.rename(export.path)
    summary["bytes"] = export.path.stat().st_size
    export.summary_path.write_text(json.dumps(summary, indent=1) + "\n")
    return summary, time.monotonic() - started


def thread_sizes(rng: random.Random, posts: int, threads: int) -> list[int]:
    """Posts per thread adding up to `posts`, at least one each, skewed as comment
    counts are (log-normal: most threads get a few dozen, a few get thousands)."""
    if threads < 1 or posts < threads:
        raise ValueError("need at least one thread and one post per thread")
    weights = [rng.lognormvariate(0.0, 1.0) for _ in range(threads)]
    total = sum(weights)
    sizes = [1 + int((posts - threads) * weight / total) for weight in weights]
    # Rounding down left a few posts over: one more each for random threads.
    for i in rng.sample(range(threads), posts - sum(sizes)):
        sizes[i] += 1
    return sizes


def _cdata(html: str) -> str:
    return "<![CDATA[" + html.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


WORDS = [
    "ferry", "council", "harbour", "budget", "schools", "bridge", "winter", "timetable",
    "petition", "survey", "island", "subsidy", "crews", "minutes", "kiosk", "route",
]  # fmt: skip
LINKS = [
    "https://example.org/council/minutes",
    "https://example.org/harbour/timetable?season=winter&amp;lang=en",
    "https://example.net/survey-2014.pdf",
]


def message_html(rng: random.Random) -> str:
    """A Disqus message: paragraphs of HTML as Disqus stores it (links, emphasis,
    quotes, line breaks, entities and some non-ASCII)."""
    paragraphs = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        sentences = [_escape(s) for s in rng.sample(SENTENCES, rng.randint(1, 3))]
        roll = rng.random()
        if roll < 0.1:
            href = rng.choice(LINKS)
            sentences.append(f'See <a href="{href}" rel="nofollow noopener">{href}</a>')
        elif roll < 0.2:
            sentences[0] = f"<b>{sentences[0]}</b>"
        elif roll < 0.27:
            sentences[-1] = f"<i>{sentences[-1]}</i> &mdash; &quot;quoted&quot; &amp; more"
        elif roll < 0.3:
            sentences.append("Über die Fähre: «ça suffit», паром опять опоздал.")
        elif roll < 0.33:
            sentences.insert(1, "<br>")
        paragraph = " ".join(sentences)
        if rng.random() < 0.05:
            paragraphs.append(f"<blockquote>{paragraph}</blockquote>")
        else:
            paragraphs.append(f"<p>{paragraph}</p>")
    return "".join(paragraphs)


def author_xml(index: int, anonymous: bool) -> str:
    """The <author> of a post by reader `index` of the forum, or an anonymous guest
    (a name and an email, no username)."""
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[(index // len(FIRST_NAMES)) % len(LAST_NAMES)]
    name = f"{first} {last}"
    if anonymous:
        return (
            f"<author><email>{first.lower()}.guest{index}@example.org</email>"
            f"<name>{name}</name><isAnonymous>true</isAnonymous></author>"
        )
    return (
        f"<author><email>{first.lower()}.{last.lower()}{index}@example.org</email>"
        f"<name>{name}</name><isAnonymous>false</isAnonymous>"
        f"<username>{first.lower()}{last.lower()}{index}</username></author>"
    )


def thread_xml(number: int, opened: datetime, rng: random.Random) -> str:
    words = rng.sample(WORDS, 3)
    title = f"The {words[0]} and the {words[1]}: what comes next for the {words[2]}"
    return (
        f'<thread dsq:id="{THREAD_ID_BASE + number}">'
        f"<id>article-{number}</id>"
        f"<forum>{FORUM}</forum>"
        f'<category dsq:id="{CATEGORY_ID}"/>'
        f"<link>{SITE}/articles/disqus-{number}/</link>"
        f"<title>{_escape(title)}</title>"
        "<message/>"
        f"<createdAt>{_when(opened)}</createdAt>"
        "<author><name>Broadsheet desk</name><isAnonymous>false</isAnonymous>"
        "<username>broadsheet_desk</username></author>"
        "<isClosed>false</isClosed><isDeleted>false</isDeleted>"
        "</thread>\n"
    )


def thread_openings(threads: int) -> Iterator[datetime]:
    """When each thread opened: one every six hours from START."""
    for number in range(threads):
        yield START + timedelta(hours=6 * number)


def thread_posts(
    number: int,
    size: int,
    opened: datetime,
    first_id: int,
    rng: random.Random,
    authors: int,
    summary: dict[str, int],
) -> Iterator[str]:
    """The <post> elements of thread `number`, in file order.

    Ids and times ascend in the order posts were written; a reply answers one of
    the thread's earlier posts (recent ones more often). Now and then a reply is
    written to the file just before the post it answers (exports are not always in
    order), so the importer must look ahead.
    """
    ids: list[int] = []
    held: str | None = None  # a post whose reply is to come before it
    moment = opened
    for i in range(size):
        post_id = first_id + i
        moment += timedelta(seconds=rng.randint(30, 5400))
        parent = None
        if ids and rng.random() < REPLY_SHARE:
            parent = ids[max(0, len(ids) - 1 - int(rng.expovariate(0.3)))]
        if held is not None:
            parent = ids[-1]  # the held post: its reply goes out first
        ids.append(post_id)
        roll = rng.random()
        deleted = roll < DELETED_SHARE
        spam = DELETED_SHARE <= roll < DELETED_SHARE + SPAM_SHARE
        # Readers post often or rarely: low indexes are the regulars.
        reader = int(authors * rng.random() ** 3)
        anonymous = rng.random() < 0.08
        for key, counts in (
            ("replies", parent is not None),
            ("replies_before_parent", held is not None),
            ("deleted", deleted),
            ("spam", spam),
            ("anonymous", anonymous),
        ):
            summary[key] += counts
        post = (
            f'<post dsq:id="{post_id}">'
            "<id/>"
            f"<message>{_cdata(message_html(rng))}</message>"
            f"<createdAt>{_when(moment)}</createdAt>"
            f"<isDeleted>{'true' if deleted else 'false'}</isDeleted>"
            f"<isSpam>{'true' if spam else 'false'}</isSpam>"
            f"{author_xml(reader, anonymous)}"
            f"<ipAddress>203.0.113.{reader % 250 + 1}</ipAddress>"
            f'<thread dsq:id="{THREAD_ID_BASE + number}"/>'
            + (f'<parent dsq:id="{parent}"/>' if parent is not None else "")
            + "</post>\n"
        )
        if held is not None:
            yield post
            yield held
            held = None
        elif i + 1 < size and rng.random() < EARLY_REPLY_SHARE:
            held = post
        else:
            yield post
    if held is not None:
        yield held


def export_chunks(export: Export, summary: dict[str, int]) -> Iterator[str]:
    """The export, piece by piece, counting what it writes into `summary`. Memory
    holds the thread sizes (one int per thread) and the ids of the ACTIVE_THREADS
    threads open at a time, never the file."""
    summary.update({"posts": export.posts, "threads": export.threads})
    for key in ("replies", "replies_before_parent", "deleted", "spam", "anonymous"):
        summary[key] = 0
    rng = random.Random(export.seed)
    sizes = thread_sizes(rng, export.posts, export.threads)
    authors = max(50, export.posts // 20)
    yield (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<disqus xmlns="http://disqus.com" '
        'xmlns:dsq="http://disqus.com/disqus-internals" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://disqus.com/api/schemas/1.0/disqus.xsd '
        'http://disqus.com/api/schemas/1.0/disqus-internals.xsd">\n'
        f'<category dsq:id="{CATEGORY_ID}"><forum>{FORUM}</forum><title>General</title>'
        "<isDefault>true</isDefault></category>\n"
    )
    for number, opened in enumerate(thread_openings(export.threads)):
        yield thread_xml(number, opened, rng)

    # Threads open one after another; the posts of the ACTIVE_THREADS open ones
    # interleave, each next post drawn from a random open thread.
    first_ids = [0] * export.threads
    next_id = POST_ID_BASE
    for number, size in enumerate(sizes):
        first_ids[number] = next_id
        next_id += size
    openings = thread_openings(export.threads)
    waiting = iter(range(export.threads))
    active: list[Iterator[str]] = []

    def open_next() -> None:
        number = next(waiting, None)
        if number is not None:
            opened = next(openings)
            active.append(
                thread_posts(
                    number, sizes[number], opened, first_ids[number], rng, authors, summary
                )
            )

    for _ in range(ACTIVE_THREADS):
        open_next()
    batch: list[str] = []
    while active:
        i = rng.randrange(len(active))
        post = next(active[i], None)
        if post is None:
            active[i] = active[-1]
            active.pop()
            open_next()
            continue
        batch.append(post)
        if len(batch) >= 1000:
            yield "".join(batch)
            batch = []
    yield "".join(batch)
    yield "</disqus>\n"


# --- measuring one import -----------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    seconds: float  # wall clock, start to exit
    cpu_seconds: float  # user + system, the process and its waited-for children
    peak_kib: int
    returncode: int | None  # None: stopped at the time limit
    log: Path


def measure(command: list[str], *, env: dict[str, str], log: Path, timeout: float) -> Measured:
    """Run `command` to its end (or `timeout` seconds) and measure it.

    A thread polls the resident size of the process tree while the main thread waits
    in wait4, which hands back the exit status and the kernel's own accounting: CPU
    time and ru_maxrss, the peak of the process or of the largest child it waited
    for. The peak reported is the larger of that and the largest polled tree total
    (which catches children running at the same time, sampled).
    """
    log.unlink(missing_ok=True)
    started = time.monotonic()
    proc = harness.start(command, log=log, env=env)
    done = threading.Event()
    polled = {"peak": 0, "stopped": False}

    def poll() -> None:
        while not done.wait(0.05):
            pids = harness.descendants(proc.pid)
            polled["peak"] = max(polled["peak"], harness.rss_kib(pids))
            if time.monotonic() - started > timeout and not polled["stopped"]:
                polled["stopped"] = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    done.set()
    poller.join()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    # Whatever of its group outlived it (nothing, normally) goes too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    return Measured(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_kib=max(usage.ru_maxrss, polled["peak"]),  # ru_maxrss is in KiB on Linux
        returncode=None if polled["stopped"] else proc.returncode,
        log=log,
    )


@dataclass(frozen=True)
class Imported:
    """What an import left in its database."""

    threads: int
    comments: int  # rows
    shown: int  # visible to everyone (not deleted, not held)
    deleted: int  # kept as a placeholder
    held: int  # awaiting moderation (spam)
    replies: int


# --- Isso ---------------------------------------------------------------------------

# `--empty-id` is needed by every export, not only "weird" ones: Isso 0.14's
# Disqus.migrate tests `if not thread.find("{ns}id")`, and an ElementTree element
# with no child elements is false even when it holds text, so without the flag
# every thread counts as having an empty id and is skipped ("Isso couldn't import
# any thread, try again with --empty-id"). With it, threads are told apart by their
# dsq:id, as they should be. Isso parses the whole file with ElementTree.parse,
# then adds each comment with Comments.add, which opens a connection and commits
# per statement and ends with a `SELECT *, MAX(c.id) FROM comments AS c INNER JOIN
# threads ...` that reads the whole comments table: the import slows down as the
# table grows (about 1.7 ms a comment at 32,000, quadratic overall).
ISSO_COMMAND = ["import", "--type", "disqus", "--empty-id"]


def run_isso(export_path: Path, *, timeout: float) -> tuple[Measured, Imported]:
    isso = Isso(ROOT / "isso", port=0)  # the venv `bench compare` uses; no server here
    isso.install()
    run_dir = WORKDIR / "isso"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    db_path = run_dir / "comments.db"
    config = run_dir / "isso.cfg"
    config.write_text(f"[general]\ndbpath = {db_path}\n")
    env = {k: v for k, v in os.environ.items() if k != "ISSO_SETTINGS"}
    measured = measure(
        [str(isso.venv / "bin" / "isso"), "-c", str(config), *ISSO_COMMAND, str(export_path)],
        env=env,
        log=run_dir / "import.log",
        timeout=timeout,
    )
    return measured, isso_counts(db_path)


def isso_counts(db_path: Path) -> Imported:
    if not db_path.exists():
        return Imported(0, 0, 0, 0, 0, 0)
    con = sqlite3.connect(db_path)
    try:
        threads = con.execute("SELECT COUNT(*) FROM threads").fetchone()[0]
        # mode: 1 accepted, 2 awaiting moderation, 4 deleted (kept for its replies).
        comments, shown, held, deleted, replies = con.execute(
            "SELECT COUNT(*), COALESCE(SUM(mode = 1), 0), COALESCE(SUM(mode = 2), 0),"
            " COALESCE(SUM(mode = 4), 0), COALESCE(SUM(parent IS NOT NULL), 0) FROM comments"
        ).fetchone()
    finally:
        con.close()
    return Imported(threads, comments, shown, deleted, held, replies)


# --- Broadsheet ---------------------------------------------------------------------

BROADSHEET_COUNTS = """
import json
from django.db.models import Count, Q
from broadsheet.articles.models import Article
from broadsheet.discussion.models import Comment
counts = Comment.objects.aggregate(
    comments=Count("pk"),
    shown=Count("pk", filter=Q(status="visible", deleted_at__isnull=True)),
    deleted=Count("pk", filter=Q(deleted_at__isnull=False)),
    held=Count("pk", filter=Q(status="pending")),
    replies=Count("pk", filter=Q(parent__isnull=False)),
)
counts["threads"] = Article.objects.filter(comments__isnull=False).distinct().count()
print("COUNTS " + json.dumps(counts))
"""


def run_broadsheet(export_path: Path, *, timeout: float) -> tuple[Measured, Imported]:
    data_dir = WORKDIR / "broadsheet"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = server_env(data_dir)
    # A new site's database, migrated as `serve` would have left it: the import's
    # time is the import's alone.
    subprocess.run([BROADSHEET, "migrate"], env=env, check=True, capture_output=True, timeout=600)
    measured = measure(
        [BROADSHEET, "import", "disqus", str(export_path)],
        env=env,
        log=data_dir / "import.log",
        timeout=timeout,
    )
    counted = subprocess.run(
        [BROADSHEET, "manage", "shell", "-c", BROADSHEET_COUNTS],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if counted.returncode != 0 or "COUNTS " not in counted.stdout:
        raise RuntimeError(f"counting Broadsheet's comments failed:\n{counted.stderr[-3000:]}")
    counts = json.loads(counted.stdout.split("COUNTS ", 1)[1])
    return measured, Imported(**counts)


# --- the run ------------------------------------------------------------------------

SYSTEMS = {"broadsheet": ("Broadsheet", run_broadsheet), "isso": ("Isso 0.14", run_isso)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench import", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--posts", type=int, default=1_000_000, help="posts in the export")
    parser.add_argument(
        "--threads", type=int, default=0, help="threads in the export (default: posts / 100)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--only", choices=sorted(SYSTEMS), action="append", help="run this importer only"
    )
    parser.add_argument(
        "--timeout", type=float, default=3600, help="stop Broadsheet's import after S seconds"
    )
    parser.add_argument(
        "--isso-timeout", type=float, default=1800, help="stop Isso's import after S seconds"
    )
    options = parser.parse_args(argv)
    threads = options.threads or max(1, math.ceil(options.posts / 100))
    export = Export(options.posts, threads, options.seed)
    started = time.monotonic()

    print(f"== the export: {export.path}", flush=True)
    summary, took = ensure_export(export)
    made = "cached" if took is None else f"made in {took:.0f} s"
    print(
        f"   {summary['posts']:,} posts in {summary['threads']:,} threads,"
        f" {summary['bytes'] / 2**20:,.0f} MiB ({made}):"
        f" {summary['replies']:,} replies ({summary['replies_before_parent']:,} before the post"
        f" they answer), {summary['deleted']:,} deleted, {summary['spam']:,} spam,"
        f" {summary['anonymous']:,} by guests",
        flush=True,
    )
    results = {}
    for key in options.only or ["broadsheet", "isso"]:
        name, run = SYSTEMS[key]
        timeout = options.isso_timeout if key == "isso" else options.timeout
        print(f"== {name} importing", flush=True)
        measured, imported = run(export.path, timeout=timeout)
        if measured.returncode not in (0, None):
            print(f"   exited with {measured.returncode}; {measured.log}:")
            print(harness.tail(measured.log))
        results[key] = (name, measured, imported)

    print()
    rows = []
    for name, measured, imported in results.values():
        status = ""
        done = options.posts
        if measured.returncode is None:
            done = imported.comments
            status = f" (stopped at {measured.seconds:.0f} s)"
        elif measured.returncode != 0:
            status = f" (failed: exit {measured.returncode})"
        rows.append(
            (
                name + status,
                f"{options.posts:,}",
                f"{imported.comments:,}",
                f"{imported.shown:,}",
                f"{imported.deleted:,}",
                f"{imported.held:,}",
                f"{imported.replies:,}",
                harness.fmt(measured.seconds),
                # A stopped run: how fast it was going; a finished one: the file's posts.
                f"{done / measured.seconds:,.0f}",
                harness.fmt(measured.cpu_seconds),
                f"{measured.peak_kib / 1024:,.0f}",
            )
        )
    harness.print_table(
        (
            "system",
            "posts in file",
            "comments imported",
            "shown",
            "deleted",
            "held",
            "replies",
            "seconds",
            "posts/s",
            "CPU s",
            "peak MiB",
        ),
        rows,
    )
    if "broadsheet" in results and "isso" in results:
        _, ours, _ = results["broadsheet"]
        _, theirs, _ = results["isso"]
        bound = "<" if theirs.returncode is None else ""
        print(
            f"Broadsheet / Isso: time {bound}{ours.seconds / theirs.seconds:.2f},"
            f" CPU {bound}{ours.cpu_seconds / theirs.cpu_seconds:.2f},"
            f" peak memory {ours.peak_kib / theirs.peak_kib:.2f}"
            + (" (Isso had not finished: a bound)" if bound else "")
        )
    print(f"took {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
