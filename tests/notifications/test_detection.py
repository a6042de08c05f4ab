"""Who a comment concerns, and why."""

import pytest

from broadsheet.discussion.operations import post_comment
from broadsheet.notifications.detection import (
    mentioned_handles,
    quoted_numbers,
    readers_concerned_by_each,
)
from broadsheet.notifications.models import Kind
from broadsheet.notifications.operations import follow_discussion

pytestmark = pytest.mark.django_db


def test_a_reply_a_mention_a_quote_and_a_follower_each_concern_their_reader(article, make_reader):
    parent_author, mentioned, quoted, follower, writer = (
        make_reader(h) for h in ("parent-a", "named-b", "quoted-c", "follows-d", "writer-e")
    )
    parent = post_comment(article=article, author=parent_author, body="First.")
    quoted_comment = post_comment(article=article, author=quoted, body="Second.")
    follow_discussion(reader=follower, article=article)
    follow_discussion(reader=writer, article=article)
    reply = post_comment(
        article=article,
        author=writer,
        parent=parent,
        body=f"> #{quoted_comment.number} quoted-c:\n> Second.\n\nAgreed, @Named-B and @writer-e.",
    )
    assert readers_concerned_by_each([reply])[reply.pk] == {
        parent_author.pk: Kind.REPLY,
        mentioned.pk: Kind.MENTION,
        quoted.pk: Kind.QUOTE,
        follower.pk: Kind.FOLLOWED,
    }  # never the writer themself, though they follow and name themself


def test_the_strongest_reason_wins(article, make_reader):
    parent_author, writer = make_reader("parent-a"), make_reader("writer-e")
    follow_discussion(reader=parent_author, article=article)
    parent = post_comment(article=article, author=parent_author, body="First.")
    reply = post_comment(article=article, author=writer, parent=parent, body="@parent-a yes")
    assert readers_concerned_by_each([reply])[reply.pk] == {parent_author.pk: Kind.REPLY}


def test_mentions_and_quotes_are_bounded(settings):
    settings.BROADSHEET_NOTIFIED_MENTIONS = 3
    body = " ".join(f"@reader{n:03d}" for n in range(50))
    assert mentioned_handles(body) == ["reader000", "reader001", "reader002"]
    assert quoted_numbers("> #1 a:\n> #2 #3 #4\n#5 is not quoted") == [1, 2, 3]
    assert quoted_numbers("#7 outside a quote") == []
