"""Large made-up sites for benchmarks and development: many articles, many comments.

Comments are written in bulk by discussion.operations.insert_generated_comments,
which lays them out exactly as post_comment does (numbers, threads, paths,
counters), because a million comments through one transaction each would take
hours. tests/discussion/test_scale.py reads pages of these as real discussions.
"""

from django.db import transaction
from django.utils import timezone

from broadsheet.articles.operations import save_article
from broadsheet.discussion.operations import GeneratedComment, insert_generated_comments
from broadsheet.discussion.rendering import render_comment_markdown
from broadsheet.readers.models import Reader
from broadsheet.readers.operations import create_reader_without_password

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
    for n in range(len(existing), count):
        existing.append(
            create_reader_without_password(
                handle=f"gen-reader-{n}",
                email=f"gen-reader-{n}@example.invalid",
                display_name=f"Generated Reader {n}",
            )
        )
    return existing[:count]


def fill_discussion(article, readers: list[Reader], count: int, *, reply_every: int = 5) -> None:
    """Add `count` comments to an empty discussion: every `reply_every`-th a reply."""
    now = timezone.now()
    rendered = [render_comment_markdown(body) for body in BODIES]
    comments: list[GeneratedComment] = []
    last_root = None
    for number in range(1, count + 1):
        reply = reply_every and number % reply_every == 0 and last_root is not None
        body = number % len(BODIES)
        comments.append(
            GeneratedComment(
                author=readers[number % len(readers)],
                body_markdown=BODIES[body],
                body_html=rendered[body],
                created_at=now,
                reply_to=last_root if reply else None,
            )
        )
        if not reply:
            last_root = number
    insert_generated_comments(article=article, comments=comments)


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
