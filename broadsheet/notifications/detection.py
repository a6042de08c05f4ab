"""Who a newly published comment concerns, and why: read from the comment alone
(and one query per kind of link), so a task can work it out in a few queries
whatever the size of the discussion."""

import re

from django.conf import settings
from django.db.models.functions import Lower

from broadsheet.discussion.models import Comment
from broadsheet.notifications.models import Following, Kind
from broadsheet.readers.models import Reader

# As discussion/rendering.py reads them: `@handle`, and `#N` for comment N.
_MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_-]{3,30})\b")
_REFERENCE = re.compile(r"(?<![\w&/#])#([1-9][0-9]{0,6})\b")

# Stronger reasons first: a reply that also mentions its parent's author is a reply.
PRIORITY = (Kind.REPLY, Kind.MENTION, Kind.QUOTE, Kind.FOLLOWED)


def mentioned_handles(body: str) -> list[str]:
    """The handles `@`-mentioned, lower-cased, first ones first, at most
    BROADSHEET_NOTIFIED_MENTIONS: a comment naming a thousand readers must not
    become a thousand e-mails."""
    seen: dict[str, None] = {}
    for handle in _MENTION.findall(body):
        seen.setdefault(handle.lower())
    return list(seen)[: settings.BROADSHEET_NOTIFIED_MENTIONS]


def quoted_numbers(body: str) -> list[int]:
    """Comments quoted: a `#N` inside a `>` quote (the Quote control writes
    "> #N handle:" above the quoted words)."""
    numbers: dict[int, None] = {}
    for line in body.splitlines():
        if line.lstrip().startswith(">"):
            for number in _REFERENCE.findall(line):
                numbers.setdefault(int(number))
    return list(numbers)[: settings.BROADSHEET_NOTIFIED_MENTIONS]


def readers_concerned(comment: Comment) -> dict[int, str]:
    """reader id -> the kind of news `comment` is to them; never its own author."""
    reasons: dict[int, list[str]] = {}

    def add(reader_ids, kind: str) -> None:
        for reader_id in reader_ids:
            if reader_id != comment.author_id:
                reasons.setdefault(reader_id, []).append(kind)

    if comment.parent_id is not None:
        add(
            Comment.objects.filter(pk=comment.parent_id, deleted_at__isnull=True).values_list(
                "author_id", flat=True
            ),
            Kind.REPLY,
        )
    handles = mentioned_handles(comment.body_markdown)
    if handles:
        add(
            Reader.objects.annotate(lower_handle=Lower("handle"))
            .filter(lower_handle__in=handles, is_active=True)
            .values_list("pk", flat=True),
            Kind.MENTION,
        )
    numbers = quoted_numbers(comment.body_markdown)
    if numbers:
        add(
            Comment.objects.filter(
                article_id=comment.article_id, number__in=numbers, deleted_at__isnull=True
            ).values_list("author_id", flat=True),
            Kind.QUOTE,
        )
    add(
        Following.objects.filter(article_id=comment.article_id).values_list("reader_id", flat=True),
        Kind.FOLLOWED,
    )
    return {reader_id: min(kinds, key=PRIORITY.index) for reader_id, kinds in reasons.items()}
