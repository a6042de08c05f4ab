"""What a post costs, pinned: the queries of the form post stay few and do not grow
with the discussion, and a retried submission finds its first copy without every
post paying a query for it (docs/posting.md)."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from broadsheet.discussion.models import Comment, Discussion
from broadsheet.discussion.operations import (
    GeneratedComment,
    insert_generated_comments,
    post_comment,
)
from broadsheet.moderation.operations import set_discussion_mode

pytestmark = pytest.mark.django_db

# Session, reader, article; the repeated-text rule; the locked discussion, its
# update, the comment, its search entry, the live event, the notifications queue;
# BEGIN and COMMIT, or a savepoint and its release inside a test's transaction.
# (With Redis the session costs none; an article with editions adds the query
# for them, whose HTML the live event carries.)
POST_QUERIES = 12


def _post(client, article, body: str, key: uuid.UUID | None = None):
    return client.post(
        f"{article.get_absolute_url()}comments/",
        {"body": body, "submission_key": str(key or uuid.uuid4())},
    )


def test_a_form_post_runs_a_fixed_handful_of_queries(
    signed_in_client, article, django_assert_max_num_queries
):
    _post(signed_in_client, article, "The first, which warms the session up.")
    with django_assert_max_num_queries(POST_QUERIES):
        response = _post(signed_in_client, article, "The second.")
    assert response.status_code == 302


def test_a_posts_queries_do_not_grow_with_the_discussion(
    signed_in_client, article, make_article, nikolai, django_assert_num_queries
):
    busy = make_article("a-busy-one")
    now = timezone.now() - dt.timedelta(hours=1)
    insert_generated_comments(
        article=busy,
        comments=[
            GeneratedComment(
                author=nikolai,
                body_markdown=f"Comment {n}.",
                body_html=f"<p>Comment {n}.</p>",
                created_at=now,
                reply_to=(n - 1) if n % 3 == 0 else None,
            )
            for n in range(1, 2001)
        ],
    )
    _post(signed_in_client, article, "Warming up.")
    counts = []
    for target in (article, busy):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert _post(signed_in_client, target, f"Under {target.slug}.").status_code == 302
        counts.append(len(captured))
    assert counts[0] == counts[1] <= POST_QUERIES


def test_a_retry_finds_its_first_copy_even_once_the_discussion_is_closed(
    article, kestrel, moderator
):
    key = uuid.uuid4()
    first = post_comment(article=article, author=kestrel, body="Sent once.", submission_key=key)
    set_discussion_mode(article=article, editor=moderator, mode=Discussion.Mode.CLOSED)
    again = post_comment(article=article, author=kestrel, body="Sent once.", submission_key=key)
    assert again.pk == first.pk
    assert Comment.objects.filter(article=article).count() == 1


def test_a_retry_finds_its_first_copy_even_when_the_first_used_up_the_rate_limit(
    article, kestrel, settings
):
    settings.BROADSHEET_COMMENTS_PER_MINUTE = 1
    key = uuid.uuid4()
    first = post_comment(article=article, author=kestrel, body="Quick.", submission_key=key)
    again = post_comment(article=article, author=kestrel, body="Quick.", submission_key=key)
    assert again.pk == first.pk
    assert Discussion.objects.get(article=article).comment_count == 1
    # A new submission is still refused: the limit holds for what is new.
    from broadsheet.discussion.operations import CommentRejected

    with pytest.raises(CommentRejected, match="too fast"):
        post_comment(article=article, author=kestrel, body="Another.", submission_key=uuid.uuid4())


def test_a_retry_of_a_held_comment_is_the_held_comment_not_a_second_one(article, kestrel, rules):
    key = uuid.uuid4()
    first = post_comment(article=article, author=kestrel, body="You idiot.", submission_key=key)
    assert first.is_pending
    again = post_comment(article=article, author=kestrel, body="You idiot.", submission_key=key)
    assert again.pk == first.pk
    assert Comment.objects.filter(article=article).count() == 1


def test_a_refusal_without_a_first_copy_is_still_a_refusal(article, kestrel, moderator):
    from broadsheet.discussion.operations import CommentRejected

    set_discussion_mode(article=article, editor=moderator, mode=Discussion.Mode.CLOSED)
    with pytest.raises(CommentRejected, match="closed"):
        post_comment(article=article, author=kestrel, body="Too late.", submission_key=uuid.uuid4())
    assert not Comment.objects.filter(article=article).exists()


def test_a_post_reads_the_edition_family_only_when_the_article_has_editions(
    article, kestrel, make_reader
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from broadsheet.articles.models import Article
    from broadsheet.articles.operations import save_article
    from broadsheet.live.models import LiveEvent

    fetched = Article.objects.get(pk=article.pk)
    assert not fetched.has_editions
    with CaptureQueriesContext(connection) as captured:
        post_comment(article=fetched, author=kestrel, body="No editions here.")
    assert not [q for q in captured if 'FROM "articles_article"' in q["sql"]]
    assert "editions" not in LiveEvent.objects.latest("pk").data

    # A published edition, saved by another process: the row now says so, and the
    # next post (with the article fetched afresh, as a request does) draws its HTML.
    save_article(
        slug="the-last-ferry-ru", title="Последний паром", body_markdown="Абзац.",
        language="ru", translation_of=Article.objects.get(pk=article.pk),
    )  # fmt: skip
    fetched = Article.objects.get(pk=article.pk)
    assert fetched.has_editions
    post_comment(article=fetched, author=make_reader("tern"), body="Now with an edition.")
    event = LiveEvent.objects.latest("pk").data
    assert set(event["editions"]) == {"ru"}
    assert "/articles/the-last-ferry-ru/comments/2/" in event["editions"]["ru"]

    # An article fetched without the flag is read as before (its family, one query).
    partial = Article.objects.only("pk", "slug").get(pk=article.pk)
    post_comment(article=partial, author=kestrel, body="Fetched in part.")
    assert set(LiveEvent.objects.latest("pk").data["editions"]) == {"ru"}


def test_every_rate_limit_costs_one_query_and_still_refuses(
    signed_in_client, article, make_article, settings
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _post(signed_in_client, article, "The first, which warms the session up.")
    with CaptureQueriesContext(connection) as without_limits:
        assert _post(signed_in_client, article, "The second.").status_code == 302
    settings.BROADSHEET_COMMENTS_PER_MINUTE = 5
    settings.BROADSHEET_COMMENTS_PER_ARTICLE_PER_MINUTE = 4
    with CaptureQueriesContext(connection) as with_limits:
        assert _post(signed_in_client, article, "The third.").status_code == 302
    assert len(with_limits) == len(without_limits) + 1  # both limits, one count
    assert _post(signed_in_client, article, "The fourth.").status_code == 302
    # The per-article limit (4 here a minute) refuses, and stores nothing.
    response = _post(signed_in_client, article, "The fifth, here.")
    assert response.status_code == 400
    assert "at most 4 comments a minute on one article" in response.content.decode()
    # Another article takes one more; then the limit across articles (5) refuses.
    other = make_article("another-ferry")
    assert _post(signed_in_client, other, "Elsewhere.").status_code == 302
    response = _post(signed_in_client, make_article("a-third-one"), "And again.")
    assert "at most 5 comments a minute." in response.content.decode()
    assert Comment.objects.count() == 5

    # Slow mode (breaking news) is counted in the same query.
    settings.BROADSHEET_COMMENTS_PER_MINUTE = 0
    settings.BROADSHEET_COMMENTS_PER_ARTICLE_PER_MINUTE = 0
    Discussion.objects.filter(article=other).update(breaking_news_since=timezone.now())
    response = _post(signed_in_client, other, "Too soon in a busy discussion.")
    assert "one comment per reader every" in response.content.decode()
    assert Comment.objects.count() == 5
