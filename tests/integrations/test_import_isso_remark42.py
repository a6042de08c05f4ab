"""`broadsheet import isso` and `broadsheet import remark42`, end to end into the site."""

import gzip

import pytest

from broadsheet.articles.models import Article
from broadsheet.discussion.models import Comment, Discussion
from broadsheet.integrations.importing.loading import run_import
from broadsheet.moderation import reasons
from broadsheet.readers.models import Reader
from tests.integrations.test_isso_reader import make_isso_database
from tests.integrations.test_remark42_reader import FERRY, backup_bytes, remark42_comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def isso_file(tmp_path):
    return make_isso_database(
        tmp_path / "comments.db",
        threads=[(1, "/articles/ferry/", "Ferry"), (2, "/2024/town-meeting/", "Town meeting")],
        comments=[
            {"tid": 1, "id": 1, "parent": 3, "text": "Replying to Anna.", "author": "Boris"},
            {
                "tid": 1,
                "id": 3,
                "text": "Это *паром*.",
                "author": "Анна",
                "email": "a@example.org",
                "likes": 7,
                "dislikes": 2,
                "created": 1_600_000_000,
            },
            {
                "tid": 2,
                "id": 4,
                "mode": 2,
                "text": "Awaiting a moderator.",
                "author": "kestrel",
                "created": 1_600_000_050,
            },
            {"tid": 2, "id": 5, "mode": 4, "text": "", "created": 1_600_000_100},
            {
                "tid": 2,
                "id": 6,
                "parent": 5,
                "text": "Answering the deleted one.",
                "created": 1_600_000_200,
            },
        ],
    )


def test_isso_threads_map_by_path_on_this_site_or_become_external_pages(
    isso_file, make_article, settings
):
    settings.BROADSHEET_SITE_URL = "https://paper.example.org"
    ferry = make_article("ferry")
    report = run_import("isso", isso_file)
    assert report.threads_to_articles == 1 and report.threads_to_external_pages == 1
    first, reply = Comment.objects.filter(article=ferry).order_by("number")
    assert first.body_html.strip() == "<p>Это <em>паром</em>.</p>"
    assert first.score == 5 and first.author.display_name == "Анна"
    assert reply.parent == first  # the reply came first in the database
    meeting = Article.objects.get(external_url="https://paper.example.org/2024/town-meeting/")
    held, deleted, answer = Comment.objects.filter(article=meeting).order_by("number")
    assert held.is_pending and held.moderation_reason == reasons.IMPORTED_UNAPPROVED
    assert deleted.is_deleted and answer.parent == deleted
    assert Discussion.objects.get(article=meeting).comment_count == 1


def test_isso_guests_without_an_address_are_named_guests(isso_file):
    run_import("isso", isso_file, base_url="https://old.example.org")
    boris = Reader.objects.get(display_name="Boris")
    assert boris.is_guest and boris.imported_from == "isso"
    anna = Reader.objects.get(display_name="Анна")
    assert not anna.is_guest and anna.handle == "reader"  # no Latin letters to make one of


def test_isso_again_imports_nothing(isso_file):
    run_import("isso", isso_file, base_url="https://old.example.org")
    again = run_import("isso", isso_file, base_url="https://old.example.org")
    assert again.comments_imported == 0 and again.comments_already_imported == 5


def test_remark42_backup_lands_with_threads_by_url(tmp_path):
    data = backup_bytes(
        remark42_comment(
            "c2", pid="c1", text="<p>Reply <script>x()</script></p>", time="2024-03-01T07:00:00Z"
        ),
        remark42_comment("c1", text="<p>Первый</p>", score=3, time="2024-03-01T06:00:00Z"),
        remark42_comment("c3", delete=True, text="", time="2024-03-01T08:00:00Z"),
        '{"id": "broken',
    )
    path = tmp_path / "backup.gz"
    path.write_bytes(gzip.compress(data))
    report = run_import("remark42", path)
    page = Article.objects.get(external_url=FERRY)
    first, reply, deleted = Comment.objects.filter(article=page).order_by("number")
    assert first.body_markdown == "Первый" and first.score == 3
    assert reply.parent == first and "script" not in reply.body_html
    assert deleted.is_deleted
    assert first.author.handle == "Anna-Petrova" and first.author.claim_email_hash == ""
    assert report.skipped["unreadable line"] == 1
