from functools import partial

import pytest

from broadsheet.discussion.models import Comment, Vote
from broadsheet.discussion.operations import CommentRejected, post_comment, vote_on_comment
from broadsheet.readers.models import Reader
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def comment(article, nikolai):
    return post_comment(article=article, author=nikolai, body="Vote on me")


def reload(comment):
    return Comment.objects.get(pk=comment.pk)


def test_up_down_change_and_withdraw(comment, kestrel, nikolai):
    assert vote_on_comment(comment=comment, voter=kestrel, value=1).score == 1
    assert vote_on_comment(comment=comment, voter=kestrel, value=1).score == 1  # same again
    result = vote_on_comment(comment=comment, voter=kestrel, value=-1)
    assert (result.score, result.upvotes, result.downvotes) == (-1, 0, 1)
    assert vote_on_comment(comment=comment, voter=kestrel, value=0).score == 0
    assert Vote.objects.count() == 0
    assert Reader.objects.get(pk=nikolai.pk).rating == 0


def test_the_authors_rating_is_the_sum_over_their_comments(article, nikolai, make_reader):
    first = post_comment(article=article, author=nikolai, body="One")
    second = post_comment(article=article, author=nikolai, body="Two")
    voters = [make_reader() for _ in range(3)]
    for voter in voters:
        vote_on_comment(comment=first, voter=voter, value=1)
    vote_on_comment(comment=second, voter=voters[0], value=-1)
    assert Reader.objects.get(pk=nikolai.pk).rating == 2


def test_voting_on_your_own_comment_is_refused(comment, nikolai):
    with pytest.raises(CommentRejected, match="your own comment"):
        vote_on_comment(comment=comment, voter=nikolai, value=1)


@pytest.mark.django_db(transaction=True)
def test_two_racing_votes_from_one_reader_count_once(article, nikolai, kestrel):
    comment = post_comment(article=article, author=nikolai, body="Race me")
    vote = partial(vote_on_comment, comment=comment, voter=kestrel, value=1)
    _results, errors = run_at_once([vote] * 6)
    assert errors == []
    assert Vote.objects.filter(comment=comment).count() == 1
    fresh = reload(comment)
    assert (fresh.score, fresh.upvotes) == (1, 1)
    assert Reader.objects.get(pk=nikolai.pk).rating == 1


def test_the_vote_endpoint_answers_json_for_scripts(signed_in_client, comment):
    response = signed_in_client.post(
        "/articles/the-last-ferry/comments/1/vote/", {"value": "up"}, HTTP_ACCEPT="application/json"
    )
    assert response.json() == {"number": 1, "score": 1, "upvotes": 1, "downvotes": 0, "vote": 1}


def test_the_vote_endpoint_redirects_plain_forms_back_to_the_comment(signed_in_client, comment):
    response = signed_in_client.post("/articles/the-last-ferry/comments/1/vote/", {"value": "down"})
    assert response.status_code == 302
    assert response["Location"] == "/articles/the-last-ferry/comments/1/"
    html = signed_in_client.get(response["Location"]).content.decode()
    assert 'aria-label="Vote down" aria-pressed="true"' in html
    assert "data-score>-1</span>" in html


def test_a_bad_vote_value_is_a_400_with_a_message(signed_in_client, comment):
    response = signed_in_client.post(
        "/articles/the-last-ferry/comments/1/vote/", {"value": "+5"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert "up" in response.json()["error"]


def test_signed_out_voters_are_sent_to_sign_in(client, comment):
    response = client.post("/articles/the-last-ferry/comments/1/vote/", {"value": "up"})
    assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"]
    assert Vote.objects.count() == 0


def test_rating_shows_on_the_profile_and_next_to_the_name(client, comment, kestrel):
    vote_on_comment(comment=comment, voter=kestrel, value=1)
    assert "(+1)" in client.get("/articles/the-last-ferry/").content.decode()
    assert "Rating: +1" in client.get("/readers/unc-2/").content.decode()


def test_sort_by_best_puts_the_highest_score_first(client, article, nikolai, make_reader):
    low = post_comment(article=article, author=nikolai, body="Low one")
    high = post_comment(article=article, author=nikolai, body="High one")
    for _ in range(2):
        vote_on_comment(comment=high, voter=make_reader(), value=1)
    vote_on_comment(comment=low, voter=make_reader(), value=-1)
    best = client.get("/articles/the-last-ferry/?sort=best").content.decode()
    assert best.index("High one") < best.index("Low one")
    newest = client.get("/articles/the-last-ferry/?sort=newest").content.decode()
    assert newest.index("High one") < newest.index("Low one")
    oldest = client.get("/articles/the-last-ferry/").content.decode()
    assert oldest.index("Low one") < oldest.index("High one")
    for label in ("Oldest", "Newest", "Best"):
        assert f">{label}</a>" in oldest
