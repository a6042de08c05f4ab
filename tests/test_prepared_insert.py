"""broadsheet.prepared.insert_row: the INSERT of save(force_insert=True), compiled once
per model (docs/posting.md, round 4). A row it stores reads back equal to one Django's
save() stores, field for field: JSON, time-zoned datetimes, auto_now_add, defaults."""

import datetime as dt
import zoneinfo

import pytest
from django.db import transaction
from django.db.models.signals import post_save

from broadsheet.discussion.models import Comment
from broadsheet.live.models import LiveEvent
from broadsheet.notifications.models import QueuedComment
from broadsheet.prepared import forget_prepared, insert_row
from broadsheet.search.models import SearchEntry

pytestmark = pytest.mark.django_db

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")


def columns(model, pk) -> dict:
    row = model.objects.filter(pk=pk).values().get()
    row.pop("id")
    return row


def a_comment(article, author, number: int, **fields) -> Comment:
    return Comment(
        article=article, number=number, thread=number, path=str(number).zfill(10),
        author=author, body_markdown="Plain *words* — «and» 1 < 2",
        body_html="<p>Plain <em>words</em> — «and» 1 &lt; 2</p>",
        created_at=dt.datetime(2026, 12, 1, 16, 30, 5, 123456, tzinfo=MOSCOW),
        language="ru", status=Comment.Status.PENDING, moderation_reason="premoderated",
        moderation_params={"count": 3, "слово": [1, "x", None, True]},
        quote_anchor="p-1", quote_text="a passage", **fields,
    )  # fmt: skip


def test_a_comment_reads_back_as_one_saved_by_django(article, kestrel, django_assert_num_queries):
    forget_prepared()
    by_django = a_comment(article, kestrel, 1)
    by_django.save(force_insert=True)
    prepared = a_comment(article, kestrel, 2)
    with django_assert_num_queries(1):
        insert_row(prepared)
    assert prepared.pk and prepared.pk != by_django.pk
    assert not prepared._state.adding and prepared._state.db == "default"
    ours, theirs = columns(Comment, prepared.pk), columns(Comment, by_django.pk)
    for differing in ("number", "thread", "path"):
        assert ours.pop(differing) != theirs.pop(differing)
    assert ours == theirs
    stored = Comment.objects.get(pk=prepared.pk)
    assert stored.created_at == dt.datetime(2026, 12, 1, 13, 30, 5, 123456, tzinfo=dt.UTC)
    assert stored.moderation_params == {"count": 3, "слово": [1, "x", None, True]}
    # Again, from the kept SQL.
    again = a_comment(article, kestrel, 3)
    with django_assert_num_queries(1):
        insert_row(again)
    assert columns(Comment, again.pk)["body_html"] == theirs["body_html"]


def test_auto_now_add_json_and_the_other_posting_rows(article, kestrel):
    comment = a_comment(article, kestrel, 1)
    insert_row(comment)
    event = {"type": "comment.posted", "number": 1, "html": "<li>«1»</li>", "editions": {}}
    by_django = LiveEvent.objects.create(
        article_id=article.pk, type="comment.posted", data=event, comment_number=1
    )
    prepared = LiveEvent(article_id=article.pk, type="comment.posted", data=event, comment_number=1)
    insert_row(prepared)
    assert prepared.created_at is not None and prepared.pk > by_django.pk
    ours, theirs = columns(LiveEvent, prepared.pk), columns(LiveEvent, by_django.pk)
    assert ours.pop("created_at") >= theirs.pop("created_at")
    assert ours == theirs and LiveEvent.objects.get(pk=prepared.pk).data == event

    queued = QueuedComment(comment=comment)
    insert_row(queued)
    assert QueuedComment.objects.filter(pk=queued.pk, comment=comment).exists()

    # The search entry, as index_new_comment writes it, against the ORM's create.
    other = a_comment(article, kestrel, 2)
    insert_row(other)
    fields = {
        "kind": SearchEntry.Kind.COMMENT, "article_id": article.pk, "status": comment.status,
        "author_id": kestrel.pk, "language": "ru", "created_at": comment.created_at,
        "text": "Слова 1 < 2", "terms": "слова",
    }  # fmt: skip
    theirs = SearchEntry.objects.create(comment_id=comment.pk, number=1, **fields)
    ours = SearchEntry(comment_id=other.pk, number=2, **fields)
    insert_row(ours)
    ours_row, theirs_row = columns(SearchEntry, ours.pk), columns(SearchEntry, theirs.pk)
    assert (ours_row.pop("comment_id"), ours_row.pop("number")) == (other.pk, 2)
    theirs_row.pop("comment_id"), theirs_row.pop("number")
    assert ours_row == theirs_row


def test_a_row_inserted_in_a_rolled_back_transaction_is_gone(article, kestrel):
    with pytest.raises(RuntimeError), transaction.atomic():
        insert_row(a_comment(article, kestrel, 1))
        raise RuntimeError("rolled back")
    assert not Comment.objects.exists()


def test_a_model_whose_saves_are_listened_to_is_saved_by_django(article, kestrel):
    comment = a_comment(article, kestrel, 1)
    insert_row(comment)
    heard = []

    def listener(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    post_save.connect(listener, sender=QueuedComment)
    try:
        queued = QueuedComment(comment=comment)
        insert_row(queued)
    finally:
        post_save.disconnect(listener, sender=QueuedComment)
    assert heard == [(queued.pk, True)]


def test_a_duplicate_number_is_refused_as_by_django(article, kestrel):
    from django.db import IntegrityError

    insert_row(a_comment(article, kestrel, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_row(a_comment(article, kestrel, 1))
    assert Comment.objects.count() == 1


def test_update_row_writes_what_save_with_update_fields_writes(
    article, kestrel, django_assert_num_queries
):
    from broadsheet.discussion.models import Discussion
    from broadsheet.prepared import update_row

    discussion = Discussion.objects.get(article=article)
    discussion.last_number, discussion.comment_count = 7, 5
    discussion.quote_counts = {"p-1": 2, "абзац": 1}
    with django_assert_num_queries(1):
        update_row(discussion, fields=["last_number", "comment_count", "quote_counts"])
    stored = Discussion.objects.get(article=article)
    assert (stored.last_number, stored.comment_count) == (7, 5)
    assert stored.quote_counts == {"p-1": 2, "абзац": 1}
    # Only the fields named: the mode set meanwhile elsewhere stays.
    Discussion.objects.filter(article=article).update(mode=Discussion.Mode.PREMODERATED)
    discussion.last_number = 8
    update_row(discussion, fields=["last_number"])
    stored = Discussion.objects.get(article=article)
    assert (stored.last_number, stored.mode) == (8, Discussion.Mode.PREMODERATED)


def test_update_row_of_a_row_that_is_gone_fails_as_save_does(article):
    from django.db import DatabaseError

    from broadsheet.discussion.models import Discussion
    from broadsheet.prepared import update_row

    discussion = Discussion.objects.get(article=article)
    Discussion.objects.filter(article=article).delete()
    discussion.last_number = 1
    with pytest.raises(DatabaseError, match="did not affect any rows"), transaction.atomic():
        update_row(discussion, fields=["last_number"])


def test_a_post_locks_the_discussion_row_first(article, kestrel):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from broadsheet.discussion.operations import post_comment

    with CaptureQueriesContext(connection) as captured:
        post_comment(article=article, author=kestrel, body="Locked first, 1.")
    locked = [q["sql"] for q in captured if 'FROM "discussion_discussion"' in q["sql"]]
    assert len(locked) == 1
    if connection.vendor == "postgresql":
        assert locked[0].rstrip().endswith("FOR UPDATE")


def test_a_posts_search_entry_is_what_indexing_it_again_writes(article, kestrel):
    from broadsheet.discussion.operations import post_comment
    from broadsheet.search.operations import index_comment

    comment = post_comment(
        article=article, author=kestrel, body="Паром *ходит* каждое утро в 6:10, ferry, 1."
    )
    posted = columns(SearchEntry, SearchEntry.objects.get(comment_id=comment.pk).pk)
    index_comment(comment=Comment.objects.select_related("article").get(pk=comment.pk))
    again = columns(SearchEntry, SearchEntry.objects.get(comment_id=comment.pk).pk)
    assert posted == again and posted["language"] == "ru" and posted["terms"]
