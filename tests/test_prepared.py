"""ORM queries compiled once per shape and run with new values (broadsheet/prepared.py):
the kept SQL gives what the ORM gives for every value, a value is never kept in
it, and a build that would keep one is refused."""

import datetime as dt

import pytest
from django.db.models import Q
from django.utils import timezone

from broadsheet.discussion.models import Comment
from broadsheet.moderation.operations import set_discussion_mode
from broadsheet.prepared import PreparationError, forget_prepared, prepared_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_prepared():
    forget_prepared()
    yield
    forget_prepared()


def _comments_query(*, article_id: int, start: int, author_id: int, since: dt.datetime):
    return (
        Comment.objects.filter(article_id=article_id, number__gte=start, created_at__gte=since)
        .filter(~Q(status=Comment.Status.PENDING) | Q(author_id=author_id))
        .order_by("number")
        .values_list("number", "author__handle", "created_at", "edited_at", "status")
    )


def test_the_kept_sql_gives_what_the_orm_gives_for_each_new_value(
    article, make_article, kestrel, nikolai, make_comment
):
    other = make_article("another-ferry")
    for author in (kestrel, nikolai, kestrel, nikolai):
        make_comment(article, author)
        make_comment(other, author)
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    asked = [
        {"article_id": article.pk, "start": 1, "author_id": kestrel.pk, "since": an_hour_ago},
        {"article_id": article.pk, "start": 3, "author_id": nikolai.pk, "since": an_hour_ago},
        {"article_id": other.pk, "start": 2, "author_id": kestrel.pk, "since": an_hour_ago},
        {"article_id": other.pk, "start": 1, "author_id": 0, "since": timezone.now()},
    ]
    for values in asked:
        expected = list(_comments_query(**values))
        assert prepared_rows(_comments_query, values=values) == expected
    # The rows were read with Django's converters: aware datetimes, not text.
    first = prepared_rows(_comments_query, values=asked[0])[0]
    assert isinstance(first[2], dt.datetime) and timezone.is_aware(first[2])


def test_a_list_value_makes_its_length_part_of_the_shape(article, kestrel, make_comment):
    for _ in range(4):
        make_comment(article, kestrel)

    def numbers_query(*, numbers: list[int]):
        return Comment.objects.filter(number__in=numbers).order_by("number").values_list("number")

    assert prepared_rows(numbers_query, values={"numbers": [1, 3]}) == [(1,), (3,)]
    assert prepared_rows(numbers_query, values={"numbers": [2, 3, 4]}) == [(2,), (3,), (4,)]
    assert prepared_rows(numbers_query, values={"numbers": [4, 1]}) == [(1,), (4,)]


def test_a_value_the_orm_writes_into_the_sql_text_is_refused(article):
    def limited(*, limit: int):
        return Comment.objects.order_by("number").values_list("number")[:limit]

    with pytest.raises(PreparationError, match="limit"):
        prepared_rows(limited, values={"limit": 5})


def test_a_value_the_build_does_not_use_is_refused(article):
    def ignores_it(*, article_id: int):
        return Comment.objects.values_list("number")

    with pytest.raises(PreparationError, match="article_id"):
        prepared_rows(ignores_it, values={"article_id": article.pk})


def test_a_flag_belongs_in_the_shape_not_among_the_values(article):
    def flagged(*, held: bool):
        return Comment.objects.filter(status="pending" if held else "visible").values_list("id")

    with pytest.raises(PreparationError, match="shape"):
        prepared_rows(flagged, values={"held": True})
    assert prepared_rows(flagged, shape={"held": True}, values={}) == []


def test_one_readers_held_comments_never_reach_another_through_the_kept_sql(
    client, article, kestrel, nikolai, make_reader, moderator, make_comment
):
    """The page's reads are prepared once for signed-in viewers: the viewer is a
    value put in per request, never the one the SQL was first compiled for."""
    root = make_comment(article, nikolai, "Nikolai opens the thread.")
    set_discussion_mode(article=article, editor=moderator, mode="premoderated")
    make_comment(article, kestrel, "Kestrel's held opinion at the top.")
    make_comment(article, kestrel, "Kestrel's held reply below.", parent=root)
    held = ("Kestrel's held opinion", "Kestrel's held reply")

    client.force_login(kestrel)  # the author's page first: prepared with the author
    page = client.get(article.get_absolute_url()).content.decode()
    assert all(words in page for words in held)

    third = make_reader("petrel-3", "Olga Sidorova")
    for reader in (nikolai, third, None):
        if reader is None:
            client.logout()
        else:
            client.force_login(reader)
        for sort in ("oldest", "newest", "best"):
            page = client.get(f"{article.get_absolute_url()}?sort={sort}").content.decode()
            assert "Nikolai opens the thread." in page
            assert not any(words in page for words in held), (reader, sort)


@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize(
    "query",
    [
        "from=99999999999999999999999",
        "sort=newest&from=-99999999999999999999",
        "sort=best&from=99999999999999999999_1",
    ],
)
def test_a_cursor_past_any_column_is_an_ordinary_page(
    client, article, kestrel, make_comment, signed_in, query
):
    make_comment(article, kestrel, "A comment on the ferry.")
    if signed_in:
        client.force_login(kestrel)
    response = client.get(f"{article.get_absolute_url()}?{query}", follow=True)
    assert response.status_code == 200
