"""The Remark42 reader: a backup in, records out; no database of ours."""

import gzip
import json
from datetime import UTC, datetime

import pytest

from broadsheet.integrations.importing.records import (
    BodyFormat,
    CommentState,
    ImportedAuthor,
    ImportedComment,
    ImportedThread,
    ImportFileError,
    SkippedRecord,
)
from broadsheet.integrations.importing.remark42 import read_export

FERRY = "https://news.example.org/2024/ferry-timetable/"
MEETING = "https://news.example.org/2024/town-meeting/"

# The meta line as Remark42's Native.exportMeta writes it (backend/app/migrator/
# native.go): version 1, users with their block/verified flags and details,
# posts that are read-only. Go's default encoder escapes < and > in it.
META = {
    "version": 1,
    "users": [
        {
            "id": "github_5f2a",
            "blocked": {"status": False, "until": "0001-01-01T00:00:00Z"},
            "verified": True,
            "details": {"user_id": "github_5f2a", "email": "anna@example.org"},
        }
    ],
    "posts": [{"url": MEETING, "read_only": True}],
}


def remark42_comment(comment_id, url=FERRY, **fields):
    """A comment as store.Comment marshals it (backend/app/store/comment.go)."""
    return {
        "id": comment_id,
        "pid": "",
        "text": "<p>A comment.</p>\n",
        "orig": "A comment.",
        "user": {
            "name": "Anna Petrova",
            "id": "github_5f2a",
            "picture": "https://news.example.org/remark42/api/v1/avatar/5f2a.image",
            "ip": "8b2f0e6d1f3c2b1a",
            "admin": False,
        },
        "locator": {"site": "broadsheet", "url": url},
        "score": 0,
        "vote": 0,
        "time": "2024-03-01T06:10:00.123456789+03:00",
        "title": "The ferry leaves at ten past six",
    } | fields


def backup_bytes(*comments, meta=META):
    lines = [json.dumps(meta)] + [
        c if isinstance(c, str) else json.dumps(c, ensure_ascii=False) for c in comments
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(params=["plain", "gzip"])
def write_backup(request, tmp_path):
    """Writes a backup as the admin export streams it (plain) or as `remark42
    backup` and the daily backups store it (gzip); each test runs with both."""

    def write(data, name="userbackup-broadsheet-20240301.gz"):
        path = tmp_path / name
        path.write_bytes(gzip.compress(data) if request.param == "gzip" else data)
        return path

    return write


def comments_of(records):
    return {r.source_id: r for r in records if isinstance(r, ImportedComment)}


def test_a_thread_is_yielded_the_first_time_its_url_is_seen(write_backup):
    path = write_backup(
        backup_bytes(
            remark42_comment("c1"),
            remark42_comment("c2"),
            remark42_comment("m1", url=MEETING, title="A town meeting"),
            remark42_comment("c3"),
        )
    )

    records = list(read_export(path))

    assert [(type(r).__name__, r.source_id) for r in records] == [
        ("ImportedThread", FERRY),
        ("ImportedComment", "c1"),
        ("ImportedComment", "c2"),
        ("ImportedThread", MEETING),
        ("ImportedComment", "m1"),
        ("ImportedComment", "c3"),
    ]
    assert records[0] == ImportedThread(
        source_id=FERRY, url=FERRY, title="The ferry leaves at ten past six", closed=False
    )
    # The meta line lists the meeting page as read-only.
    assert records[3] == ImportedThread(
        source_id=MEETING, url=MEETING, title="A town meeting", closed=True
    )


def test_a_comment_carries_its_html_author_key_score_and_time(write_backup):
    path = write_backup(
        backup_bytes(
            remark42_comment(
                "c1",
                text="<p>Это паром, не мост. 🚢</p>",
                user={"name": "Анна Петрова", "id": "github_5f2a", "admin": False},
                score=-3,
                edit={"time": "2024-03-01T07:00:00Z", "summary": ""},
                pin=True,
            )
        )
    )

    comment = comments_of(read_export(path))["c1"]

    assert comment == ImportedComment(
        source_id="c1",
        thread_id=FERRY,
        author=ImportedAuthor(name="Анна Петрова", key="github_5f2a", email="", url=""),
        body="<p>Это паром, не мост. 🚢</p>",
        body_format=BodyFormat.HTML,
        created_at=datetime(2024, 3, 1, 3, 10, 0, 123456, tzinfo=UTC),
        parent_id="",
        state=CommentState.PUBLISHED,
        score=-3,
        extra={"edited_at": "2024-03-01T07:00:00+00:00", "pinned": True},
    )


def test_a_reply_names_its_parent_even_when_the_parent_comes_later(write_backup):
    path = write_backup(
        backup_bytes(remark42_comment("reply", pid="parent"), remark42_comment("parent"))
    )

    comments = comments_of(read_export(path))

    assert comments["reply"].parent_id == "parent"
    assert comments["parent"].parent_id == ""


def test_deleted_comments_are_deleted_and_blocked_authors_stay_published(write_backup):
    path = write_backup(
        backup_bytes(
            # A soft delete empties the text; a hard delete (a reader erasing
            # their data) also renames the author "deleted".
            remark42_comment("soft", text="", delete=True),
            remark42_comment(
                "hard", text="", delete=True, user={"name": "deleted", "id": "deleted"}
            ),
            remark42_comment("blocked", user={"name": "Troll", "id": "google_99", "block": True}),
        )
    )

    comments = comments_of(read_export(path))

    assert comments["soft"].state == CommentState.DELETED
    assert comments["hard"].state == CommentState.DELETED
    assert comments["hard"].author == ImportedAuthor(name="deleted", key="")
    assert comments["blocked"].state == CommentState.PUBLISHED
    assert comments["blocked"].extra == {"author_blocked": True}


def test_no_email_is_taken_from_the_meta_users(write_backup):
    path = write_backup(backup_bytes(remark42_comment("c1")))

    (comment,) = comments_of(read_export(path)).values()

    assert comment.author.email == ""


def test_hostile_markup_is_kept_as_data_for_the_loader_to_sanitize(write_backup):
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    path = write_backup(
        backup_bytes(
            remark42_comment(
                "c1",
                url="javascript:alert(1)",
                text=script,
                title="</title><script>t()</script>",
                user={"name": "<b>Mallory</b>", "id": "<i>id</i>"},
            )
        )
    )

    thread, comment = read_export(path)

    assert thread.url == "javascript:alert(1)"
    assert thread.title == "</title><script>t()</script>"
    assert comment.body == script
    assert comment.author == ImportedAuthor(name="<b>Mallory</b>", key="<i>id</i>")


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        ("2024-03-01T06:10:00Z", datetime(2024, 3, 1, 6, 10, tzinfo=UTC)),
        ("2024-03-01T06:10:00-05:00", datetime(2024, 3, 1, 11, 10, tzinfo=UTC)),
        ("2024-03-01T06:10:00", datetime(2024, 3, 1, 6, 10, tzinfo=UTC)),  # no offset: UTC
        ("0001-01-01T00:00:00Z", None),  # Go's zero time: never set
        ("0001-01-01T00:00:00+05:00", None),
        ("9999-12-31T23:59:59-05:00", None),  # past the year 9999 in UTC
        ("yesterday", None),
        ("2024-02-30T00:00:00Z", None),
        (1709273400, None),
        (None, None),
        ({"time": "2024-03-01T06:10:00Z"}, None),
        ("2024-03-01T06:10:00Z" + " " * 100, None),
    ],
)
def test_an_unreadable_time_is_none(write_backup, time, expected):
    path = write_backup(backup_bytes(remark42_comment("c1", time=time)))

    (comment,) = comments_of(read_export(path)).values()

    assert comment.created_at == expected
    if expected is not None:
        assert comment.created_at.tzinfo is UTC


def test_nulls_and_odd_types_never_crash_the_reader(write_backup):
    path = write_backup(
        backup_bytes(
            remark42_comment(
                17,
                pid=None,
                text=None,
                user=None,
                score="a lot",
                delete="yes",
                title=["not", "a", "title"],
                edit="yesterday",
            ),
            remark42_comment("c2", user={"name": 42, "id": None}, score=1e300, pin="true"),
            remark42_comment("c3", score=float("nan")),
        )
    )

    records = list(read_export(path))

    assert records[0] == ImportedThread(source_id=FERRY, url=FERRY, title="")
    odd = records[1]
    assert odd.source_id == "17"
    assert odd.parent_id == ""
    assert odd.body == ""
    assert odd.author == ImportedAuthor(name="", key="")
    assert odd.score == 0
    # Only a JSON true deletes: a string "yes" is not Remark42's doing.
    assert odd.state == CommentState.PUBLISHED
    assert odd.extra == {}
    assert records[2].author == ImportedAuthor(name="42", key="")
    assert records[2].score == 2**31 - 1
    assert records[2].extra == {}
    assert records[3].score == 0


@pytest.mark.parametrize(
    "line",
    [
        "{not json",
        "[1, 2, 3]",
        '"a string"',
        "null",
        '{"pid": "", "text": "<p>no id</p>"}',
        '{"id": "", "text": "<p>an empty id</p>"}',
        '{"id": true}',
        '{"id": "x", "text": "<p>caf\xff</p>"}',  # \xff stands for a byte that is not UTF-8
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=[
        "broken",
        "list",
        "string",
        "null",
        "no-id",
        "empty-id",
        "bool-id",
        "invalid-utf8",
        "deep-nesting",
    ],
)
def test_an_unreadable_line_is_skipped_and_reading_goes_on(write_backup, line):
    data = backup_bytes(remark42_comment("before"), "PLACEHOLDER", remark42_comment("after"))
    data = data.replace(b"PLACEHOLDER", line.encode().replace("\xff".encode(), b"\xff"))
    path = write_backup(data)

    records = list(read_export(path))

    assert SkippedRecord("unreadable line") in records
    assert set(comments_of(records)) == {"before", "after"}


def test_a_comment_without_a_page_is_skipped(write_backup):
    path = write_backup(
        backup_bytes(
            remark42_comment("c1", locator={"site": "broadsheet"}),
            remark42_comment("c2", locator="https://example.org/"),
            remark42_comment("c3", locator={"url": "   "}),
        )
    )

    assert list(read_export(path)) == [
        SkippedRecord("comment without a page url", "c1"),
        SkippedRecord("comment without a page url", "c2"),
        SkippedRecord("comment without a page url", "c3"),
    ]


def test_strings_are_bounded_and_an_overlong_text_is_skipped(write_backup):
    path = write_backup(
        backup_bytes(
            remark42_comment("c1", title="t" * 5000, user={"name": "n" * 5000, "id": "i" * 5000}),
            remark42_comment("c2", text="x" * 100_000),
            remark42_comment("c3", text="x" * 100_001),
            remark42_comment("c4", url="https://example.org/" + "u" * 1000),
        )
    )

    records = list(read_export(path))

    assert len(records[0].title) == 300
    assert (len(records[1].author.name), len(records[1].author.key)) == (200, 200)
    assert len(records[2].body) == 100_000
    assert records[3] == SkippedRecord("text longer than 100,000 characters", "c3")
    assert records[4] == SkippedRecord("page url longer than 1,000 characters", "c4")


def test_a_line_longer_than_the_bound_is_skipped_without_being_held(write_backup, monkeypatch):
    from broadsheet.integrations.importing import remark42

    monkeypatch.setattr(remark42, "MAX_LINE", 4096)
    monkeypatch.setattr(remark42, "READ_CHUNK", 1000)
    path = write_backup(
        backup_bytes(remark42_comment("huge", orig="o" * 20_000), remark42_comment("after"))
    )

    records = list(read_export(path))

    assert SkippedRecord("line longer than 16 MiB") in records
    assert set(comments_of(records)) == {"after"}


def test_a_truncated_last_line_is_skipped(write_backup):
    data = backup_bytes(remark42_comment("c1"), remark42_comment("c2"))
    path = write_backup(data[:-40])

    records = list(read_export(path))

    assert set(comments_of(records)) == {"c1"}
    assert records[-1] == SkippedRecord("unreadable line")


def test_a_truncated_gzip_stream_yields_what_came_before_the_cut(tmp_path):
    comments = [remark42_comment(f"c{n}", text=f"<p>{n} {'x' * n}</p>") for n in range(2000)]
    compressed = gzip.compress(backup_bytes(*comments))
    path = tmp_path / "backup-broadsheet-20240301.gz"
    path.write_bytes(compressed[: len(compressed) // 2])

    records = list(read_export(path))

    assert records[-1] == SkippedRecord("truncated file")
    read = comments_of(records)
    assert 0 < len(read) < 2000
    assert list(read) == [f"c{n}" for n in range(len(read))]


def test_corrupt_gzip_data_stops_the_import(tmp_path):
    compressed = bytearray(gzip.compress(backup_bytes(remark42_comment("c1"))))
    compressed[-6] ^= 0xFF  # inside the trailer's CRC
    path = tmp_path / "backup.gz"
    path.write_bytes(bytes(compressed))

    with pytest.raises(ImportFileError, match="corrupt"):
        list(read_export(path))


def test_progress_is_reported_in_bytes_of_the_file(write_backup):
    path = write_backup(backup_bytes(*(remark42_comment(f"c{n}") for n in range(2500))))
    size = path.stat().st_size
    calls = []

    list(read_export(path, progress=lambda done, total: calls.append((done, total))))

    assert len(calls) == 3
    assert all(total == size for _, total in calls)
    assert calls[-1] == (size, size)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_an_empty_file_is_refused(write_backup):
    path = write_backup(b"")

    with pytest.raises(ImportFileError, match="not a Remark42 backup: the file is empty"):
        list(read_export(path))


def test_a_file_of_another_kind_is_refused(write_backup):
    path = write_backup(b'<?xml version="1.0"?>\n<disqus></disqus>\n')

    with pytest.raises(ImportFileError, match="not a Remark42 backup"):
        list(read_export(path))


def test_a_backup_without_its_meta_line_is_refused(write_backup):
    path = write_backup("\n".join(json.dumps(remark42_comment(f"c{n}")) for n in range(3)).encode())

    with pytest.raises(ImportFileError, match="the first line is not its meta record"):
        list(read_export(path))


def test_an_unknown_version_is_refused(write_backup):
    path = write_backup(backup_bytes(remark42_comment("c1"), meta={"version": 2, "users": []}))

    with pytest.raises(ImportFileError, match="unsupported Remark42 backup version 2"):
        list(read_export(path))


def test_a_version_0_meta_line_is_read(write_backup):
    path = write_backup(backup_bytes(remark42_comment("c1"), meta={"users": None, "posts": None}))

    assert set(comments_of(read_export(path))) == {"c1"}


def test_a_file_cut_inside_its_meta_line_is_refused(tmp_path):
    path = tmp_path / "backup.gz"
    path.write_bytes(gzip.compress(backup_bytes(remark42_comment("c1")))[:20])

    with pytest.raises(ImportFileError, match="not a Remark42 backup"):
        list(read_export(path))


def test_a_missing_file_cannot_be_opened(tmp_path):
    with pytest.raises(ImportFileError, match="cannot open"):
        list(read_export(tmp_path / "nowhere.gz"))
