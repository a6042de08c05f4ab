"""What notifications cost a post: posting replies with notifications off, then
on (the worker telling the reader answered, in the site and by e-mail), on the
same site, in the same run.

    .venv/bin/python -m bench notifications [--runs N] [--seconds S]

The site is one article with one comment by a reader whose address is verified
and who follows the discussion; the bench poster (bench/broadsheet_site.py)
posts replies to it, 4 at once, as `compare` posts. With notifications on, every
reply queues itself in its transaction; the worker `serve` starts (on the same
2 cores) tells the reader in batches and, with `--email-delay 0` (the default
here, the worst case: BROADSHEET_NOTIFICATION_EMAIL_DELAY_SECONDS at 0, so no
replies are grouped), composes and sends an e-mail per reply (to the console
backend) while the run goes on. The table shows posts per second, p99, errors,
and what the worker had done when the run ended (notifications made, e-mails
sent), so the "on" row cannot look fast by doing nothing.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench import harness
from bench.broadsheet_site import BroadsheetServer, Part, Site, article_path, build, run, server_env
from bench.harness import Request, median_of, run_request

ROOT = Path(__file__).resolve().parent.parent / "var" / "bench"
SITE = Site("notify", (Part("notify", 1, 1),))

# The replied-to reader: verified, following the discussion (the strongest reason,
# a reply, is the one they are told of).
PREPARE = """
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
# Nothing left over from an earlier round (e-mail due, tasks to retry) runs in this one.
DBTaskResult.objects.all().delete()
from broadsheet.articles.models import Article
from broadsheet.discussion.models import Comment
from broadsheet.notifications.operations import follow_discussion
from broadsheet.readers.models import Reader
article = Article.objects.get(slug="notify-0")
first = Comment.objects.get(article=article, number=1)
Reader.objects.filter(pk=first.author_id).update(email_verified_at=timezone.now())
follow_discussion(reader=first.author, article=article)
print(first.number)
"""

COUNT = """
import json
from broadsheet.notifications.models import Notification, OutboxMessage
print(json.dumps({"notifications": Notification.objects.count(),
                  "sent": OutboxMessage.objects.filter(state="sent").count()}))
"""


def _count(env: dict[str, str]) -> dict[str, int]:
    return json.loads(run(["manage", "shell", "-c", COUNT], env).split("\n")[-2])


def measure(data_dir: Path, *, enabled: bool, runs: int, seconds: float, email_delay: int) -> dict:
    extra = {
        "BROADSHEET_NOTIFICATIONS": "true" if enabled else "false",
        "BROADSHEET_NOTIFICATION_EMAIL_DELAY_SECONDS": str(email_delay),
    }
    env = server_env(data_dir, **extra)
    parent = run(["manage", "shell", "-c", PREPARE], env).split()[-1]
    before = _count(env)
    server = BroadsheetServer(data_dir, harness.free_port(), workers=2, env=extra)
    server.start()
    try:
        plain = server.post_request(article_path("notify"))
        request = Request(plain.path, method="POST", headers=plain.headers,
                          body=plain.body + f"&parent={parent}")  # fmt: skip
        run_request(server.base_url, request, connections=4, seconds=2)  # warm-up
        results = []
        for _ in range(runs):
            results.append(run_request(server.base_url, request, connections=4, seconds=seconds))
            time.sleep(1)
        posted = sum(result.requests for result in results)
        # What the worker had done by the end of the runs, then what it did in all.
        at_end = _count(env)
        time.sleep(5)
        settled = _count(env)
    finally:
        server.stop()
    return {
        "result": median_of(results),
        "posted": posted,
        "told_at_end": at_end["notifications"] - before["notifications"],
        "told": settled["notifications"] - before["notifications"],
        "sent": settled["sent"] - before["sent"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench notifications", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per setting (median shown)")
    parser.add_argument("--seconds", type=float, default=10, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of off-then-on")
    parser.add_argument(
        "--email-delay",
        type=int,
        default=0,
        help="BROADSHEET_NOTIFICATION_EMAIL_DELAY_SECONDS (0: every reply mailed during the run)",
    )
    options = parser.parse_args(argv)
    data_dir = build(SITE, ROOT)
    rows = []
    # Off, on, off, on: the machine's drift falls on both sides alike.
    for enabled in (False, True) * options.rounds:
        print(f"  notifications {'on' if enabled else 'off'}...", flush=True)
        rows.append(
            (enabled, measure(data_dir, enabled=enabled, runs=options.runs,
                              seconds=options.seconds, email_delay=options.email_delay))
        )  # fmt: skip
    print()
    print("| notifications | posts/s (median run) | p99 ms | errors | replies posted | "
          "notifications made by the end / in all | e-mails sent |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for enabled, row in rows:
        result = row["result"]
        told = f"{row['told_at_end']:,} / {row['told']:,}" if enabled else "—"
        print(
            f"| {'on' if enabled else 'off'} | {result.rps:,.0f} | {result.p99_ms:.0f} | "
            f"{result.errors} | {row['posted'] + 0:,} | {told} | "
            f"{row['sent']:,} |"
        )
    on = [row["result"].rps for enabled, row in rows if enabled]
    off = [row["result"].rps for enabled, row in rows if not enabled]
    ratio = (sum(on) / len(on)) / (sum(off) / len(off))
    print(f"\nposting with notifications on / off: {ratio:.2f}x (mean of {len(on)} rounds each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
