"""GET /comment-counts/: how many comments each of many articles shows, at once."""

import pytest

from broadsheet.articles.models import Article
from broadsheet.articles.operations import save_article
from broadsheet.discussion.operations import post_comment

pytestmark = pytest.mark.django_db


def test_counts_in_the_order_asked_in_one_query(
    client, article, kestrel, django_assert_num_queries
):
    save_article(slug="second-story", title="Second", body_markdown="Text.")
    post_comment(article=article, author=kestrel, body="One")
    with django_assert_num_queries(1):
        response = client.get("/comment-counts/?article=second-story&article=the-last-ferry")
    assert response.status_code == 200
    assert list(response.json()["counts"].items()) == [("second-story", 0), ("the-last-ferry", 1)]


def test_unknown_and_unpublished_articles_are_left_out(client, article):
    save_article(
        slug="draft-story", title="Draft", body_markdown="Text.", status=Article.Status.DRAFT
    )
    response = client.get(
        "/comment-counts/?article=draft-story&article=nothing&article=the-last-ferry"
    )
    assert response.json() == {"counts": {"the-last-ferry": 0}}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Name at least one article"),
        ("?article=<script>", "only letters, digits"),
        ("?" + "&".join(f"article=a{n}" for n in range(101)), "at most 100 articles"),
    ],
)
def test_bad_requests_say_what_is_wrong(client, query, message):
    response = client.get("/comment-counts/" + query)
    assert response.status_code == 400
    assert message in response.json()["error"]
