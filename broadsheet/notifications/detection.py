"""Who newly published comments concern, and why: read from the comments alone,
a batch at a time, with one query per kind of link whatever the batch's size."""

from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Lower

from broadsheet.discussion.models import Comment
from broadsheet.discussion.rendering import MENTION, REFERENCE
from broadsheet.notifications.models import Following, Kind
from broadsheet.readers.models import Reader

# Stronger reasons first: a reply that also mentions its parent's author is a reply.
PRIORITY = (Kind.REPLY, Kind.MENTION, Kind.QUOTE, Kind.FOLLOWED)


def mentioned_handles(body: str) -> list[str]:
    """The handles `@`-mentioned, lower-cased, first ones first, at most
    BROADSHEET_NOTIFIED_MENTIONS: a comment naming a thousand readers must not
    become a thousand e-mails."""
    seen: dict[str, None] = {}
    for handle in MENTION.findall(body):
        seen.setdefault(handle.lower())
    return list(seen)[: settings.BROADSHEET_NOTIFIED_MENTIONS]


def quoted_numbers(body: str) -> list[int]:
    """Comments quoted: a `#N` inside a `>` quote (the Quote control writes
    "> #N handle:" above the quoted words)."""
    numbers: dict[int, None] = {}
    for line in body.splitlines():
        if line.lstrip().startswith(">"):
            for number in REFERENCE.findall(line):
                numbers.setdefault(int(number))
    return list(numbers)[: settings.BROADSHEET_NOTIFIED_MENTIONS]


def readers_concerned_by_each(comments: Iterable[Comment]) -> dict[int, dict[int, str]]:
    """comment id -> {reader id -> the kind of news the comment is to them}; never
    a comment's own author. Four queries for any number of comments."""
    comments = list(comments)
    reasons: dict[int, dict[int, list[str]]] = {c.pk: defaultdict(list) for c in comments}

    parent_authors = dict(
        Comment.objects.filter(
            pk__in={c.parent_id for c in comments if c.parent_id}, deleted_at__isnull=True
        ).values_list("pk", "author_id")
    )
    mentions = {c.pk: mentioned_handles(c.body_markdown) for c in comments}
    wanted_handles = {handle for handles in mentions.values() for handle in handles}
    reader_by_handle = (
        dict(
            Reader.objects.annotate(lower_handle=Lower("handle"))
            .filter(lower_handle__in=wanted_handles, is_active=True)
            .values_list("lower_handle", "pk")
        )
        if wanted_handles
        else {}
    )
    quotes = {c.pk: quoted_numbers(c.body_markdown) for c in comments}
    quoted_pairs = {(c.article_id, n) for c in comments for n in quotes[c.pk]}
    quoted_authors: dict[tuple[int, int], int] = {}
    if quoted_pairs:
        wanted = Q()
        for article_id, number in quoted_pairs:
            wanted |= Q(article_id=article_id, number=number)
        quoted_authors = {
            (article_id, number): author_id
            for article_id, number, author_id in Comment.objects.filter(
                wanted, deleted_at__isnull=True
            ).values_list("article_id", "number", "author_id")
        }
    followers: dict[int, list[int]] = defaultdict(list)
    for article_id, reader_id in Following.objects.filter(
        article_id__in={c.article_id for c in comments}
    ).values_list("article_id", "reader_id"):
        followers[article_id].append(reader_id)

    for comment in comments:
        found = reasons[comment.pk]
        if comment.parent_id in parent_authors:
            found[parent_authors[comment.parent_id]].append(Kind.REPLY)
        for handle in mentions[comment.pk]:
            if handle in reader_by_handle:
                found[reader_by_handle[handle]].append(Kind.MENTION)
        for number in quotes[comment.pk]:
            author = quoted_authors.get((comment.article_id, number))
            if author is not None:
                found[author].append(Kind.QUOTE)
        for reader_id in followers[comment.article_id]:
            found[reader_id].append(Kind.FOLLOWED)
        found.pop(comment.author_id, None)
    return {
        comment_id: {
            reader_id: min(kinds, key=PRIORITY.index) for reader_id, kinds in found.items()
        }
        for comment_id, found in reasons.items()
    }
