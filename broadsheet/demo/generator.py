"""Large made-up sites for benchmarks and development: many articles, many comments.

Comments are written with bulk inserts laid out exactly as post_comment lays
them out (numbers, threads, paths, counters), because a million comments through
one transaction each would take hours. tests/discussion/test_scale.py reads
pages of these as real discussions.
"""

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from broadsheet.articles.operations import save_article
from broadsheet.discussion.models import Comment, Discussion
from broadsheet.discussion.operations import PATH_DIGITS
from broadsheet.discussion.rendering import render_comment_markdown
from broadsheet.readers.identity import handle_skeleton
from broadsheet.readers.models import Reader

BODIES = [
    "I read this twice and I still think the ministry has a point.",
    "> The ferry leaves the pier at ten past six.\n\nNot on Sundays :wink:",
    "Good reporting. More of this, please.",
    "Who pays for it in the end? *We* do.",
    "I live there. It is worse than the article says.",
]
ARTICLE_BODY = (
    "The ferry leaves the pier at ten past six every morning.\n\n"
    "## What happens next\n\nThe council meets on Monday.\n\nPS. Timetables at the pier.\n"
)


def generated_readers(count: int = 50) -> list[Reader]:
    existing = list(Reader.objects.filter(handle__startswith="gen-reader-").order_by("pk"))
    missing = [
        Reader(
            handle=f"gen-reader-{n}",
            # bulk_create skips Reader.save(), which keeps the look-alike skeleton.
            handle_skeleton=handle_skeleton(f"gen-reader-{n}"),
            email=f"gen-reader-{n}@example.invalid",
            display_name=f"Generated Reader {n}",
            password=make_password(None),
        )
        for n in range(len(existing), count)
    ]
    Reader.objects.bulk_create(missing)
    return list(Reader.objects.filter(handle__startswith="gen-reader-").order_by("pk"))[:count]


def fill_discussion(article, readers: list[Reader], count: int, *, reply_every: int = 5) -> None:
    """Add `count` comments to an empty discussion: every `reply_every`-th a reply."""
    now = timezone.now()
    rendered = [render_comment_markdown(body) for body in BODIES]
    rows: list[Comment] = []
    last_root = None
    for number in range(1, count + 1):
        segment = str(number).zfill(PATH_DIGITS)
        reply = reply_every and number % reply_every == 0 and last_root is not None
        body = number % len(BODIES)
        comment = Comment(
            article=article,
            number=number,
            author=readers[number % len(readers)],
            body_markdown=BODIES[body],
            body_html=rendered[body],
            created_at=now,
            thread=last_root.number if reply else number,
            depth=1 if reply else 0,
            path=f"{last_root.path}.{segment}" if reply else segment,
        )
        if not reply:
            last_root = comment
        rows.append(comment)
    Comment.objects.bulk_create(rows, batch_size=2000)
    replies: dict[int, int] = {}
    for comment in rows:
        if comment.depth:
            replies[comment.thread] = replies.get(comment.thread, 0) + 1
    for thread, total in replies.items():
        Comment.objects.filter(article=article, number=thread).update(reply_count=total)
    Discussion.objects.filter(article=article).update(last_number=count, comment_count=count)


@transaction.atomic
def generate_site(
    *, articles: int, comments_per_article: int, slug_prefix: str = "generated"
) -> int:
    """Publish `articles` made-up articles with `comments_per_article` comments each,
    at /articles/<slug_prefix>-<n>/; articles that already exist are left as they are."""
    readers = generated_readers()
    for n in range(articles):
        article, created = save_article(
            slug=f"{slug_prefix}-{n}",
            title=f"Generated article {n}",
            lead="A made-up article for benchmarks and development.",
            body_markdown=ARTICLE_BODY,
        )
        if created and comments_per_article:
            fill_discussion(article, readers, comments_per_article)
    return articles * comments_per_article
