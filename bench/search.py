"""Full-text search against a plain `LIKE '%word%'` scan, on the same site, same run.

    .venv/bin/python -m bench search            the million-comment site (10,000 x 100)
    .venv/bin/python -m bench search --quick    the 100,000-comment site

The site is built by `broadsheet demo` (bench/broadsheet_site.py; its comments are
indexed as they are inserted). A few comments with rare words, in English and
Russian, are posted through post_comment, the way readers post them. Then, in one
`broadsheet manage shell` process, each query kind is run `--repeat` times both
ways, alternating, and timed:

- search: broadsheet.search.queries.search, the read the /search/ page makes: one
  page of 20 results an anonymous reader may see, with their snippets;
- LIKE: the comments an anonymous reader may see whose text holds each word
  (`icontains`, LIKE '%word%' on SQLite), newest first, 20 of them; no stemming,
  so it finds "zeppelins" but not "zeppelin" for "zeppelin" the other way round.

The table shows median and 95th-percentile milliseconds per kind and how many
times faster search was (LIKE median / search median). Point
BROADSHEET_DATABASE_URL at PostgreSQL (`--database-url`) to measure it there.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench import harness
from bench.broadsheet_site import build, run, server_env
from bench.compare import LARGE_SITE, QUICK_LARGE_SITE

ROOT = Path(__file__).resolve().parent.parent / "var" / "bench"

# (kind, query): the rare words are in RARE_COMMENTS below, the common ones in
# every fifth generated comment (broadsheet/demo/generator.py BODIES).
QUERIES = [
    ("one common word (1 in 5 comments)", "ministry"),
    ("two common words", "ministry point"),
    ("rare word (3 comments)", "zeppelin"),
    ("rare word, other form (Russian, 2)", "дирижабли"),
    ("rare word + article filter", "zeppelin @article"),
    ("no match", "xylophone"),
]

RARE_COMMENTS = [
    "A zeppelin flew over the pier this morning.",
    "Zeppelins again? The council should say something.",
    "Над пристанью пролетел дирижабль.",
    "Дирижабль видели все, кроме министерства.",
    "The zeppelin was silver, not grey.",
]

POST_RARE = """
from broadsheet.articles.models import Article
from broadsheet.discussion.models import Comment
from broadsheet.discussion.operations import post_comment
from broadsheet.readers.models import Reader
article = Article.objects.published().order_by("-id").first()
author = Reader.objects.filter(handle__startswith="gen-reader-").order_by("pk").first()
bodies = {bodies!r}
if not Comment.objects.filter(article=article, body_markdown=bodies[0]).exists():
    for body in bodies:
        post_comment(article=article, author=author, body=body)
print(article.slug)
"""

MEASURE = """
import json, statistics, time
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils import timezone
from broadsheet.articles.models import Article
from broadsheet.discussion.models import Comment
from broadsheet.search.queries import SearchFilters, query_words, search

anonymous = AnonymousUser()
queries = {queries!r}
rare_slug = {rare_slug!r}
repeat = {repeat}

def by_search(query, slug):
    page = search(viewer=anonymous, query=query, filters=SearchFilters(article_slug=slug))
    return len(page.results)

def by_like(query, slug):
    now = timezone.now()
    comments = Comment.objects.filter(
        status=Comment.Status.VISIBLE, deleted_at__isnull=True,
        article__status=Article.Status.PUBLISHED, article__published_at__lte=now,
    )
    if slug:
        comments = comments.filter(article__slug=slug)
    for word in query_words(query):
        comments = comments.filter(body_markdown__icontains=word)
    return len(list(comments.select_related("article", "author").order_by("-id")[:20]))

rows = []
for kind, query in queries:
    slug = rare_slug if "@article" in query else ""
    query = query.replace("@article", "").strip()
    times = {{"search": [], "like": []}}
    found = {{}}
    for n in range(repeat + 1):
        for name, way in (("search", by_search), ("like", by_like)):
            started = time.perf_counter()
            found[name] = way(query, slug)
            elapsed = (time.perf_counter() - started) * 1000
            if n:  # the first round warms the caches
                times[name].append(elapsed)
    def p95(values):
        return sorted(values)[max(0, round(0.95 * len(values)) - 1)]
    rows.append({{
        "kind": kind, "query": query,
        "search_median": statistics.median(times["search"]), "search_p95": p95(times["search"]),
        "like_median": statistics.median(times["like"]), "like_p95": p95(times["like"]),
        "search_found": found["search"], "like_found": found["like"],
    }})
print("RESULT " + json.dumps(rows))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench search", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="the 100,000-comment site")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per query and way")
    parser.add_argument(
        "--database-url", default="", help="measure on this database (an empty one is filled)"
    )
    options = parser.parse_args(argv)
    site = QUICK_LARGE_SITE if options.quick else LARGE_SITE
    started = time.monotonic()
    if options.database_url:
        data_dir = ROOT / "sites" / f"{site.name}-external"
        data_dir.mkdir(parents=True, exist_ok=True)
        env = server_env(data_dir, BROADSHEET_DATABASE_URL=options.database_url)
        run(["manage", "shell", "-c", _if_empty(site)], env)
    else:
        print(f"== the site {site.name} in {ROOT} (built on first use)", flush=True)
        data_dir = build(site, ROOT)
        env = server_env(data_dir)
    rare_slug = (
        run(["manage", "shell", "-c", POST_RARE.format(bodies=RARE_COMMENTS)], env)
        .strip()
        .splitlines()[-1]
    )
    database = "PostgreSQL" if options.database_url else "SQLite"
    total = site.parts[0].articles * site.parts[0].comments
    print(f"== {total:,} comments on {database}, {options.repeat} runs per query", flush=True)
    output = run(
        [
            "manage",
            "shell",
            "-c",
            MEASURE.format(queries=QUERIES, rare_slug=rare_slug, repeat=options.repeat),
        ],
        env,
    )
    rows = json.loads(output.split("RESULT ", 1)[1])
    harness.print_table(
        (
            "query",
            "search median ms",
            "p95",
            "LIKE median ms",
            "p95",
            "faster",
            "found (search/LIKE)",
        ),
        [
            (
                f"{row['kind']}: {row['query']}",
                harness.fmt(row["search_median"], 2),
                harness.fmt(row["search_p95"], 2),
                harness.fmt(row["like_median"], 2),
                harness.fmt(row["like_p95"], 2),
                f"{row['like_median'] / row['search_median']:.0f}x",
                f"{row['search_found']}/{row['like_found']}",
            )
            for row in rows
        ],
    )
    print(f"took {time.monotonic() - started:.0f} s")
    return 0


def _if_empty(site) -> str:
    """A shell script that fills an empty external database with `site`."""
    part = site.parts[0]
    return (
        "from django.core.management import call_command\n"
        "from broadsheet.articles.models import Article\n"
        f"if not Article.objects.filter(slug__startswith='{part.prefix}-').exists():\n"
        f"    call_command('load_demo', '--articles', '{part.articles}', "
        f"'--comments-per-article', '{part.comments}', '--slug-prefix', '{part.prefix}')\n"
    )
