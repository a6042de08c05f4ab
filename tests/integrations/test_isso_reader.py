"""The Isso reader: an Isso 0.14 database in, records out; no database of ours."""

import sqlite3
from datetime import UTC, datetime

import pytest

from broadsheet.integrations.importing.isso import read_export
from broadsheet.integrations.importing.records import (
    BodyFormat,
    CommentState,
    ImportedAuthor,
    ImportedComment,
    ImportedThread,
    ImportFileError,
    SkippedRecord,
)

# Isso 0.14.0's own schema, copied from its source: threads from
# isso/db/threads.py (Threads.__init__), comments from isso/db/comments.py
# (Comments.create_table_query), the trigger and user_version 5 from
# isso/db/__init__.py (SQLite3.__init__, MAX_VERSION).
ISSO_SCHEMA = """
CREATE TABLE IF NOT EXISTS threads (
    id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE IF NOT EXISTS comments (
    tid REFERENCES threads(id),
    id INTEGER PRIMARY KEY,
    parent INTEGER,
    created FLOAT NOT NULL,
    modified FLOAT,
    mode INTEGER,
    remote_addr VARCHAR,
    text VARCHAR NOT NULL,
    author VARCHAR,
    email VARCHAR,
    website VARCHAR,
    likes INTEGER DEFAULT 0,
    dislikes INTEGER DEFAULT 0,
    voters BLOB NOT NULL,
    notification INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS preferences (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TRIGGER IF NOT EXISTS remove_stale_threads AFTER DELETE ON comments
BEGIN
    DELETE FROM threads WHERE id NOT IN (SELECT tid FROM comments);
END;
PRAGMA user_version = 5;
"""

CREATED = 1_700_000_000.25  # 2023-11-14 22:13:20.25 UTC


def make_isso_database(path, threads=(), comments=()):
    """An Isso database at `path` with the given rows; a comment is a dict of columns."""
    connection = sqlite3.connect(path)
    connection.executescript(ISSO_SCHEMA)
    connection.executemany("INSERT INTO threads (id, uri, title) VALUES (?, ?, ?)", threads)
    for comment in comments:
        row = {
            "parent": None,
            "created": CREATED,
            "modified": None,
            "mode": 1,
            "remote_addr": "192.0.2.0",
            "text": "A comment.",
            "author": None,
            "email": None,
            "website": None,
            "likes": 0,
            "dislikes": 0,
            "voters": b"\0" * 256,
            "notification": 0,
        } | comment
        columns = ", ".join(row)
        marks = ", ".join("?" * len(row))
        connection.execute(
            f"INSERT INTO comments ({columns}) VALUES ({marks})",  # noqa: S608 (test data)
            tuple(row.values()),
        )
    connection.commit()
    connection.close()
    return path


def comments_of(records):
    return {r.source_id: r for r in records if isinstance(r, ImportedComment)}


@pytest.fixture
def ferry_database(tmp_path):
    return make_isso_database(
        tmp_path / "comments.db",
        threads=[
            (1, "/2024/ferry-timetable/", "The ferry leaves at ten past six"),
            (2, "/2024/town-meeting/", None),
        ],
        comments=[
            # A reply that Isso stored before its parent (ids are rowids, so
            # the parent's id is the larger one): order in the file is no guide.
            {"tid": 1, "id": 1, "parent": 3, "text": "Replying to Anna.", "author": "Boris"},
            {
                "tid": 1,
                "id": 2,
                "text": "Это *паром*, не мост. 🚢",
                "author": "Анна Петрова",
                "email": "anna@example.org",
                "website": "https://example.org/anna",
                "likes": 7,
                "dislikes": 2,
                "modified": CREATED + 60,
            },
            {"tid": 1, "id": 3, "text": "The pier at dawn.", "author": "Anna Petrova"},
            {"tid": 2, "id": 4, "mode": 2, "text": "Awaiting a moderator.", "author": "kestrel"},
            # Isso's soft delete keeps the row of a comment with replies:
            # empty text, author and website cleared, mode 4.
            {"tid": 2, "id": 5, "mode": 4, "text": "", "email": "gone@example.org"},
            {"tid": 2, "id": 6, "parent": 5, "text": "Answering the deleted one."},
        ],
    )


def test_threads_come_first_with_their_uri_kept_as_a_path(ferry_database):
    records = list(read_export(ferry_database))

    assert records[:2] == [
        ImportedThread(
            source_id="1", url="/2024/ferry-timetable/", title="The ferry leaves at ten past six"
        ),
        ImportedThread(source_id="2", url="/2024/town-meeting/", title=""),
    ]
    assert [r.source_id for r in records[2:]] == ["1", "2", "3", "4", "5", "6"]


def test_a_comment_carries_its_markdown_author_score_and_times(ferry_database):
    anna = comments_of(read_export(ferry_database))["2"]

    assert anna == ImportedComment(
        source_id="2",
        thread_id="1",
        author=ImportedAuthor(
            name="Анна Петрова", email="anna@example.org", url="https://example.org/anna", key=""
        ),
        body="Это *паром*, не мост. 🚢",
        body_format=BodyFormat.MARKDOWN,
        created_at=datetime(2023, 11, 14, 22, 13, 20, 250000, tzinfo=UTC),
        parent_id="",
        state=CommentState.PUBLISHED,
        score=5,
        extra={"edited_at": "2023-11-14T22:14:20.250000+00:00"},
    )


def test_a_reply_names_its_parent_even_when_the_parent_comes_later(ferry_database):
    comments = comments_of(read_export(ferry_database))

    assert comments["1"].parent_id == "3"
    assert comments["6"].parent_id == "5"


def test_modes_map_to_published_pending_and_deleted(ferry_database):
    comments = comments_of(read_export(ferry_database))

    assert comments["3"].state == CommentState.PUBLISHED
    assert comments["4"].state == CommentState.PENDING
    deleted = comments["5"]
    assert deleted.state == CommentState.DELETED
    assert deleted.body == ""
    assert deleted.author == ImportedAuthor(name="", email="gone@example.org")


def test_a_mode_isso_never_writes_is_held_for_moderators(tmp_path):
    path = make_isso_database(
        tmp_path / "c.db",
        threads=[(1, "/a/", "A")],
        comments=[{"tid": 1, "id": 1, "mode": 3}, {"tid": 1, "id": 2, "mode": "1"}],
    )

    comments = comments_of(read_export(path))

    assert comments["1"].state == CommentState.PENDING
    # SQLite's INTEGER affinity stores the text "1" as the number 1.
    assert comments["2"].state == CommentState.PUBLISHED


def test_hostile_markup_is_kept_as_data_for_the_loader_to_sanitize(tmp_path):
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    path = make_isso_database(
        tmp_path / "c.db",
        threads=[(1, "/a/?q=<b>", "<title></title><script>t()</script>")],
        comments=[
            {
                "tid": 1,
                "id": 1,
                "text": script,
                "author": "<b>Mallory</b>",
                "website": "javascript:alert(1)",
            }
        ],
    )

    thread, comment = read_export(path)

    assert thread.url == "/a/?q=<b>"
    assert thread.title == "<title></title><script>t()</script>"
    assert comment.body == script
    assert comment.author.name == "<b>Mallory</b>"
    assert comment.author.url == "javascript:alert(1)"


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        (0, None),
        (-5.0, None),
        (1e20, None),  # past the year 9999
        (float("inf"), None),
        ("yesterday", None),  # FLOAT affinity keeps text that is not a number
        (b"\x00\x01", None),
        ("1700000000", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),  # made a number by SQLite
        (1_700_000_000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    ],
)
def test_an_unreadable_creation_time_is_none(tmp_path, created, expected):
    path = make_isso_database(
        tmp_path / "c.db", threads=[(1, "/a/", "A")], comments=[{"tid": 1, "id": 1}]
    )
    # NOT NULL and FLOAT are no guard against what another program writes.
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE comments SET created = ?", (created,))
    connection.close()

    (comment,) = comments_of(read_export(path)).values()

    assert comment.created_at == expected


def test_nulls_and_odd_types_never_crash_the_reader(tmp_path):
    path = make_isso_database(
        tmp_path / "c.db",
        threads=[(1, None, None), (2, 12345, 6.5)],
        comments=[
            {
                "tid": 1,
                "id": 1,
                "mode": None,
                "author": 42,
                "email": None,
                "website": None,
                "likes": None,
                "dislikes": "many",
                "text": b"\xff\xfebroken utf-8",
            },
            {"tid": None, "id": 2},
            {"tid": 2, "id": 3, "likes": 2**62, "dislikes": -(2**62)},
        ],
    )

    records = list(read_export(path))

    assert records[0] == ImportedThread(source_id="1", url="", title="")
    assert records[1] == ImportedThread(source_id="2", url="12345", title="6.5")
    odd = records[2]
    assert odd.author == ImportedAuthor(name="42")
    assert odd.state == CommentState.PENDING
    assert odd.score == 0
    assert odd.body == "\ufffd\ufffdbroken utf-8"
    assert records[3] == SkippedRecord("comment without a thread", "2")
    assert records[4].score == 2**31 - 1


def test_strings_are_bounded_and_an_overlong_text_is_skipped(tmp_path):
    path = make_isso_database(
        tmp_path / "c.db",
        threads=[(1, "/a/", "t" * 5000), (2, "/" + "u" * 1000, "Long url")],
        comments=[
            {"tid": 1, "id": 1, "author": "n" * 5000, "email": "e" * 5000, "website": "w" * 5000},
            {"tid": 1, "id": 2, "text": "x" * 100_000},
            {"tid": 1, "id": 3, "text": "x" * 100_001},
        ],
    )

    records = list(read_export(path))

    assert len(records[0].title) == 300
    assert records[1] == SkippedRecord("page url longer than 1,000 characters", "2")
    author = records[2].author
    assert (len(author.name), len(author.email), len(author.url)) == (200, 320, 1000)
    assert len(records[3].body) == 100_000
    assert records[4] == SkippedRecord("text longer than 100,000 characters", "3")


def test_progress_is_reported_in_rows(tmp_path):
    path = make_isso_database(
        tmp_path / "c.db",
        threads=[(1, "/a/", "A")],
        comments=[{"tid": 1, "id": n} for n in range(1, 2500)],
    )
    calls = []

    records = list(read_export(path, progress=lambda done, total: calls.append((done, total))))

    assert len(records) == 2500
    assert calls == [(1000, 2500), (2000, 2500), (2500, 2500)]


def test_the_database_is_opened_read_only_and_left_unchanged(ferry_database):
    before = ferry_database.read_bytes()

    list(read_export(ferry_database))

    assert ferry_database.read_bytes() == before


def test_a_file_name_with_uri_characters_is_opened_as_a_file(tmp_path):
    path = make_isso_database(tmp_path / "isso?mode=rwc#1.db", threads=[(1, "/a/", "A")])

    assert list(read_export(path)) == [ImportedThread(source_id="1", url="/a/", title="A")]


def test_an_empty_file_is_not_an_isso_database(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")

    with pytest.raises(ImportFileError, match="not an Isso database: no table comments"):
        list(read_export(path))


def test_a_file_of_another_kind_is_refused(tmp_path):
    path = tmp_path / "export.xml"
    path.write_text('<?xml version="1.0"?><disqus></disqus>' * 200)

    with pytest.raises(ImportFileError, match="not an Isso database: not an SQLite file"):
        list(read_export(path))


def test_another_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE comments (id INTEGER PRIMARY KEY, body TEXT)")
    connection.close()

    with pytest.raises(ImportFileError, match="table comments has no column author, created"):
        list(read_export(path))


def test_a_view_named_like_isso_s_table_is_refused(tmp_path):
    path = tmp_path / "view.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE threads (id INTEGER PRIMARY KEY, uri, title)")
        connection.execute("CREATE VIEW comments AS SELECT 1 AS id")
    connection.close()

    with pytest.raises(ImportFileError, match="no table comments"):
        list(read_export(path))


def test_a_truncated_database_stops_the_import(tmp_path):
    # Enough comments that the table spans pages beyond the cut.
    path = make_isso_database(
        tmp_path / "big.db",
        threads=[(1, "/a/", "A")],
        comments=[{"tid": 1, "id": n, "text": "x" * 500} for n in range(1, 400)],
    )
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(ImportFileError, match=r"the Isso database cannot be read: .*malformed"):
        list(read_export(path))


def test_a_missing_file_cannot_be_opened(tmp_path):
    with pytest.raises(ImportFileError, match="cannot open"):
        list(read_export(tmp_path / "nowhere.db"))
