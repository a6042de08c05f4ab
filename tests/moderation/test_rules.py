import pytest
import time_machine
from django.utils import timezone

from broadsheet.discussion.models import Comment, Discussion
from broadsheet.discussion.operations import CommentRejected, post_comment
from broadsheet.moderation.models import AuditEntry
from broadsheet.moderation.rules import check_comment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text", ["You scumbag", "you SCUMBAG!", "s.c.u.m.b.a.g", "scumb4g", "s c u m b a g"]
)
def test_banned_words_are_refused_even_in_disguise(rules, kestrel, text):
    assert check_comment(body=text, author=kestrel).refuse


@pytest.mark.parametrize("text", ["scumbags are a fish? no", "Scumbagging", "a scum bag"])
def test_banned_words_match_whole_words_only(rules, kestrel, text):
    verdict = check_comment(body=text, author=kestrel)
    assert not verdict.refuse or text == "a scum bag"


def test_a_refused_comment_says_why_and_stores_nothing(rules, article, kestrel):
    with pytest.raises(CommentRejected, match="not allowed here"):
        post_comment(article=article, author=kestrel, body="What a scumbag")
    with pytest.raises(CommentRejected, match=r"spam\.example"):
        post_comment(article=article, author=kestrel, body="see https://www.spam.example/x")
    assert not Comment.objects.exists()
    assert Discussion.objects.get(article=article).last_number == 0


@pytest.mark.parametrize(
    ("body", "reason", "params"),
    [
        ("You 1d1ot", "suspect_word", {"word": "idiot"}),
        (
            "<https://a.example> <https://b.example> <https://c.example>",
            "too_many_links",
            {"count": 3},
        ),
    ],
)
def test_suspect_comments_are_held_with_the_rule_as_reason(
    rules, article, kestrel, body, reason, params
):
    comment = post_comment(article=article, author=kestrel, body=body)
    assert comment.status == "pending"
    assert (comment.moderation_reason, comment.moderation_params) == (reason, params)


def test_the_same_text_twice_is_held(article, kestrel):
    post_comment(article=article, author=kestrel, body="Vote for the ferry!")
    again = post_comment(article=article, author=kestrel, body="Vote for the ferry!")
    assert (again.status, again.moderation_reason) == ("pending", "repeated_text")


def test_the_honeypot_field_catches_bots(signed_in_client, article):
    html = signed_in_client.get("/articles/the-last-ferry/").content.decode()
    assert 'name="website"' in html
    response = signed_in_client.post(
        "/articles/the-last-ferry/comments/", {"body": "I am a bot", "website": "http://x"}
    )
    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_posting_too_fast_is_refused_with_the_limit_named(settings, article, kestrel):
    settings.BROADSHEET_COMMENTS_PER_MINUTE = 3
    for n in range(3):
        post_comment(article=article, author=kestrel, body=f"Quick {n}")
    with pytest.raises(CommentRejected, match="at most 3 comments a minute"):
        post_comment(article=article, author=kestrel, body="One more")


def test_posting_too_fast_on_one_article_is_refused(settings, make_article, kestrel):
    settings.BROADSHEET_COMMENTS_PER_ARTICLE_PER_MINUTE = 2
    busy, other = make_article(), make_article()
    for n in range(2):
        post_comment(article=busy, author=kestrel, body=f"Busy {n}")
    with pytest.raises(CommentRejected, match="at most 2 comments a minute on one article"):
        post_comment(article=busy, author=kestrel, body="Busy again")
    assert post_comment(article=other, author=kestrel, body="Elsewhere").number == 1


def test_a_flood_switches_breaking_news_mode_on_and_nothing_is_lost(settings, article, make_reader):
    settings.BROADSHEET_BREAKING_NEWS_PER_MINUTE = 100
    settings.BROADSHEET_SLOW_MODE_SECONDS = 30
    settings.BROADSHEET_COMMENTS_PER_MINUTE = 10
    settings.BROADSHEET_COMMENTS_PER_ARTICLE_PER_MINUTE = 10
    readers = [make_reader() for _ in range(50)]
    for reader in readers[:25]:  # older readers: not held for being new
        reader.date_joined = timezone.now() - timezone.timedelta(days=30)
        reader.save(update_fields=["date_joined"])
    accepted, refused = [], 0
    start = timezone.now()
    for round_ in range(10):  # ten rounds, six seconds apart: 500 comments in a minute
        with time_machine.travel(start + timezone.timedelta(seconds=6 * round_), tick=False):
            for reader in readers:
                try:
                    accepted.append(
                        post_comment(
                            article=article, author=reader, body=f"{reader.handle} {round_}"
                        )
                    )
                except CommentRejected:
                    refused += 1
    assert len(accepted) + refused == 500
    discussion = Discussion.objects.get(article=article)
    assert discussion.in_breaking_news_mode
    assert AuditEntry.objects.filter(action="discussion.breaking_news_on").count() == 1
    # Slow mode refused the readers' quick second comments; every accepted one is
    # either on the page or in the queue.
    assert refused > 0
    stored = Comment.objects.filter(article=article)
    assert stored.count() == len(accepted)
    shown = stored.filter(status="visible").count()
    queued = stored.filter(status="pending").count()
    assert shown + queued == len(accepted)
    assert queued > 0  # new readers' comments held while the news breaks
    assert discussion.comment_count == shown
