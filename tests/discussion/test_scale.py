"""A discussion's page costs the same whatever the size of the discussion."""

import pytest
from django.utils import timezone

from broadsheet.discussion.models import Vote
from broadsheet.discussion.operations import GeneratedComment, insert_generated_comments

pytestmark = pytest.mark.django_db


def fill_thread(article, readers, count: int) -> None:
    """Write `count` comments fast: every fifth a reply, every seventh quoting the
    article, with votes. insert_generated_comments lays the rows out as post_comment
    does (tests/discussion/test_replies.py pins that), so pages read them as real."""
    now = timezone.now()
    anchor = next(iter(article.paragraphs))
    specs, last_root = [], None
    for number in range(1, count + 1):
        reply = number % 5 == 0 and last_root is not None
        specs.append(
            GeneratedComment(
                author=readers[number % len(readers)],
                body_markdown=f"Comment {number}",
                body_html=f"<p>Comment {number}</p>",
                created_at=now,
                reply_to=last_root if reply else None,
                quote_anchor=anchor if number % 7 == 0 else "",
                quote_text="x" if number % 7 == 0 else "",
                score=number % 3,
            )
        )
        if not reply:
            last_root = number
    rows = insert_generated_comments(article=article, comments=specs)
    # Votes only as rows to read (the reader's own votes on a page), not counted.
    Vote.objects.bulk_create(
        [
            Vote(comment_id=rows[n - 1].pk, voter=readers[(n + 1) % len(readers)], value=1)
            for n in range(1, count + 1, 2)
        ],
        batch_size=2000,
    )


@pytest.fixture
def readers(make_reader):
    return [make_reader() for _ in range(5)]


def count_queries(client, url, django_assert_max_num_queries) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_page_of_a_10000_comment_thread_costs_what_a_page_of_100_costs(
    client, make_article, readers, signed_in, django_assert_max_num_queries
):
    small, large = make_article("small"), make_article("large")
    fill_thread(small, readers, 100)
    fill_thread(large, readers, 10_000)
    if signed_in:
        client.force_login(readers[0])
        client.get("/")
    pairs = [
        ("/articles/small/", "/articles/large/"),
        ("/articles/small/?from=41", "/articles/large/?from=5001"),
        ("/articles/small/?sort=newest", "/articles/large/?sort=newest"),
        ("/articles/small/?sort=best", "/articles/large/?sort=best"),
        ("/articles/small/comments/91/", "/articles/large/comments/9001/"),
        ("/articles/small/comments/90/", "/articles/large/comments/9000/"),  # replies
        ("/articles/small/?thread=86", "/articles/large/?thread=9996"),
    ]
    for small_url, large_url in pairs:
        small_cost = count_queries(client, small_url, django_assert_max_num_queries)
        large_cost = count_queries(client, large_url, django_assert_max_num_queries)
        assert small_cost == large_cost, (small_url, small_cost, large_url, large_cost)
        # article, its editions, top-level comments, replies, latest live event id, [previous-page
        # cursor], [the linked comment, the page it sits on and, for a reply, its
        # place in its thread] (+ session, reader, their votes, following, unread
        # notifications when signed in)
        assert large_cost <= (14 if signed_in else 9), large_url


def test_pages_of_a_long_thread_are_cut_by_number_not_offset(client, make_article, readers):
    article = make_article("long")
    fill_thread(article, readers, 1000)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        html = client.get("/articles/long/?from=801").content.decode()
    assert 'id="comment-801"' in html and 'id="comment-799"' not in html
    assert not any("OFFSET" in q["sql"].upper() for q in captured), [q["sql"] for q in captured]


def test_a_permalink_to_comment_150_of_300_lands_on_its_page(client, make_article, readers):
    article = make_article("three-hundred")
    fill_thread(article, readers, 300)
    html = client.get("/articles/three-hundred/comments/151/").content.decode()
    assert 'class="comment comment--depth-0 comment--highlighted" id="comment-151"' in html
    assert 'rel="prev"' in html and 'rel="next"' in html
