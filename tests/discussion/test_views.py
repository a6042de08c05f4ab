import re
import uuid

import pytest

from broadsheet.discussion.models import Comment

pytestmark = pytest.mark.django_db

SIGN_IN_SENTENCE = "Dear reader, to leave comments on the publication, you must sign in."


def test_an_anonymous_reader_sees_comments_and_the_sign_in_sentence_but_no_form(
    client, article, kestrel, make_comment
):
    make_comment(article, kestrel, "Visible to all.")
    html = client.get("/articles/the-last-ferry/").content.decode()
    assert "Visible to all." in html
    assert SIGN_IN_SENTENCE in html
    assert "/accounts/sign-in/?next=" in html and "/accounts/sign-up/?next=" in html
    assert "<textarea" not in html
    assert "Post comment" not in html


def test_a_signed_in_reader_sees_the_comment_form(signed_in_client, article):
    html = signed_in_client.get("/articles/the-last-ferry/").content.decode()
    assert ">Comment</label>" in html
    assert "<textarea" in html
    assert ">Post comment</button>" in html
    assert SIGN_IN_SENTENCE not in html


def test_each_comment_shows_number_handle_presence_display_name_and_time(
    client, article, nikolai, make_comment
):
    import datetime as dt

    from broadsheet.discussion.operations import ImportedHistory

    make_comment(
        article,
        nikolai,
        "Hello",
        history=ImportedHistory(posted_at=dt.datetime(2023, 6, 20, 14, 30, tzinfo=dt.UTC)),
    )
    html = client.get("/articles/the-last-ferry/").content.decode()
    header = re.search(r'<header class="comment__header".*?</header>', html, re.S).group(0)
    text = " ".join(re.sub(r"<[^>]+>", " ", header).split())
    assert text == "1. unc-2 · Offline · Nikolai Malyugin · 20 June 2023 14:30"
    assert 'href="/readers/unc-2/"' in header


def test_posting_a_comment_stores_it_and_lands_on_its_permalink(signed_in_client, article):
    response = signed_in_client.post(
        "/articles/the-last-ferry/comments/",
        {"body": "> quoted\n\nMy view :wink:", "submission_key": str(uuid.uuid4())},
    )
    assert response.status_code == 302
    assert response["Location"] == "/articles/the-last-ferry/comments/1/"
    page = signed_in_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="comment-1"' in html and "data-highlighted" in html
    assert "Online" in html  # the author was just active
    assert 'alt="winked"' in html


def test_posting_the_same_form_twice_makes_one_comment(signed_in_client, article):
    form = {"body": "Only once", "submission_key": str(uuid.uuid4())}
    first = signed_in_client.post("/articles/the-last-ferry/comments/", form)
    second = signed_in_client.post("/articles/the-last-ferry/comments/", form)
    assert first["Location"] == second["Location"]
    assert Comment.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "The comment is empty"), ("x" * 5001, "5001 characters, the limit is 5000")],
)
def test_a_bad_comment_gets_a_400_with_the_error_beside_the_field_and_keeps_the_text(
    signed_in_client, article, body, message
):
    response = signed_in_client.post(
        "/articles/the-last-ferry/comments/", {"body": body, "submission_key": str(uuid.uuid4())}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert 'aria-invalid="true"' in html
    assert not Comment.objects.exists()


def test_an_anonymous_post_is_sent_to_sign_in_and_stores_nothing(client, article):
    response = client.post("/articles/the-last-ferry/comments/", {"body": "Sneaky"})
    assert response.status_code == 302
    assert "/accounts/sign-in/" in response["Location"]
    assert not Comment.objects.exists()


def test_a_post_without_the_csrf_token_is_refused(kestrel, article):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(kestrel)
    response = client.post("/articles/the-last-ferry/comments/", {"body": "Forged"})
    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_comments_cannot_be_posted_under_a_draft(signed_in_client, make_article):
    make_article("draft-one", status="draft")
    response = signed_in_client.post("/articles/draft-one/comments/", {"body": "Hi"})
    assert response.status_code == 404


def _fill(article, readers, count, make_comment):
    for n in range(count):
        make_comment(article, readers[n % len(readers)], f"Comment {n} with *markdown* :smile:")


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_article_page_costs_the_same_queries_for_20_or_200_comments(
    client, make_article, make_reader, make_comment, django_assert_num_queries, signed_in, settings
):
    readers = [make_reader() for _ in range(7)]
    small, large = make_article("small"), make_article("large")
    _fill(small, readers, 20, make_comment)
    _fill(large, readers, 200, make_comment)
    if signed_in:
        client.force_login(readers[0])
        client.get("/")  # let the presence write happen before counting
    # article+discussion, its editions (none here: the same query either way),
    # top-level comments+authors, replies+authors, the latest live event id
    # (+ session, reader, the reader's votes, whether they follow the discussion
    # and their unread notifications when signed in; with Redis the session is
    # read from there)
    session_reads = 0 if settings.BROADSHEET_REDIS_URL else 1
    expected = 9 + session_reads if signed_in else 5
    for slug in ["small", "large"]:
        with django_assert_num_queries(expected):
            response = client.get(f"/articles/{slug}/")
        assert response.status_code == 200
    assert response.content.decode().count('<li class="comment ') == 50  # one page


def test_comments_are_paginated_by_number(client, article, kestrel, make_comment, settings):
    settings.BROADSHEET_COMMENTS_PER_PAGE = 10
    for n in range(25):
        make_comment(article, kestrel, f"Number {n + 1} here")
    first = client.get("/articles/the-last-ferry/").content.decode()
    assert "Number 10 here" in first and "Number 11 here" not in first
    assert "sort=oldest&amp;from=11" in first
    third = client.get("/articles/the-last-ferry/?from=21").content.decode()
    assert "Number 21 here" in third and "Number 25 here" in third
    assert "sort=oldest&amp;from=11" in third  # back link


def test_a_permalink_lands_on_a_page_holding_the_comment_highlighted(
    client, article, kestrel, make_comment, settings
):
    settings.BROADSHEET_COMMENTS_PER_PAGE = 10
    for n in range(25):
        make_comment(article, kestrel, f"Number {n + 1} here")
    response = client.get("/articles/the-last-ferry/comments/15/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Number 15 here" in html and "Number 9 here" not in html
    assert re.search(r'class="comment [^"]*comment--highlighted[^"]*" id="comment-15"', html)
    assert 'rel="prev"' in html


def test_a_permalink_to_a_missing_comment_is_404(client, article):
    assert client.get("/articles/the-last-ferry/comments/7/").status_code == 404
