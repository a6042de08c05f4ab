# ruff: noqa: RUF001 - Russian text from other systems is the point here
"""`broadsheet import disqus`: what lands, what is held, what is refused, and running it again."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from broadsheet.articles.models import Article
from broadsheet.discussion.models import Comment, Discussion
from broadsheet.integrations.importing.loading import Mapping, run_import
from broadsheet.integrations.importing.records import ImportFileError
from broadsheet.integrations.models import ImportedRecord
from broadsheet.live.models import LiveEvent
from broadsheet.moderation import reasons
from broadsheet.moderation.models import AuditEntry
from broadsheet.notifications.models import Notification, QueuedComment
from broadsheet.readers import identity
from broadsheet.readers.models import Reader
from tests.integrations.exports import DisqusExport, DisqusPost, DisqusThread

pytestmark = pytest.mark.django_db

OLD = "https://old.example.org/2019/03/ferry/"


def ferry_export() -> DisqusExport:
    """One thread whose posts come in the order exports really have them: a reply
    before the comment it answers, spam, a deleted post, a guest, Cyrillic."""
    return DisqusExport(
        threads=[DisqusThread(id="10", link=OLD, title="Ferry & bus", identifier="ferry-19")],
        posts=[
            DisqusPost(
                id="102",
                thread="10",
                parent="101",
                created="2019-03-01T11:00:00Z",
                message="<p>Я не согласен <script>alert(1)</script>с вами 😊</p>",
                name="Борис",
                email="boris@example.org",
                username="boris",
            ),
            DisqusPost(
                id="101",
                thread="10",
                created="2019-03-01T10:30:00Z",
                message='<p>First <b>point</b>.</p><p><a href="javascript:alert(1)">x</a>'
                '<img src=x onerror="alert(2)"></p>',
                name="Anna",
                email="Anna@Example.org",
                username="anna",
            ),
            DisqusPost(
                id="103",
                thread="10",
                created="2019-03-01T12:00:00Z",
                message="<p>Cheap pills here</p>",
                name="Spammer",
                anonymous=True,
                spam=True,
            ),
            DisqusPost(
                id="104",
                thread="10",
                created="2019-03-01T13:00:00Z",
                message="<p>I take it back</p>",
                name="Guest Gina",
                anonymous=True,
                deleted=True,
            ),
            DisqusPost(
                id="105",
                thread="10",
                parent="101",
                created="2019-03-01T14:00:00Z",
                message="<p>A guest agrees</p>",
                name="Guest Gina",
                anonymous=True,
            ),
        ],
    )


@pytest.fixture
def export_file(tmp_path):
    return ferry_export().write(tmp_path / "disqus.xml")


def comments_of(article) -> list[Comment]:
    return list(Comment.objects.filter(article=article).select_related("author").order_by("number"))


def test_an_unmatched_thread_becomes_an_external_page_numbered_in_posting_order(export_file):
    report = run_import("disqus", export_file)

    page = Article.objects.get(external_url=OLD)
    assert page.is_external_page and page.title == "Ferry & bus"
    comments = comments_of(page)
    # Posting order, though the reply came first in the file; times kept.
    assert [c.number for c in comments] == [1, 2, 3, 4, 5]
    first, reply, spam, deleted, guest_reply = comments
    assert first.body_markdown.startswith("First **point**.")
    assert first.created_at.isoformat() == "2019-03-01T10:30:00+00:00"
    assert reply.parent_id == first.pk and reply.thread == 1 and reply.depth == 1
    assert guest_reply.parent_id == first.pk
    assert Comment.objects.get(pk=first.pk).reply_count == 2
    # Spam is held for moderators, not public; a deleted post keeps its number, not its text.
    assert spam.status == Comment.Status.PENDING
    assert spam.moderation_reason == reasons.IMPORTED_SPAM
    assert deleted.is_deleted and deleted.body_html == "" and deleted.body_markdown == ""
    discussion = Discussion.objects.get(article=page)
    assert (discussion.last_number, discussion.comment_count) == (5, 3)
    assert report.comments_imported == 5 and report.threads_to_external_pages == 1
    assert (report.held_as_spam, report.deleted_placeholders) == (1, 1)


def test_imported_text_goes_through_the_sanitizer(export_file):
    run_import("disqus", export_file)
    html = " ".join(Comment.objects.values_list("body_html", flat=True))
    assert "<script" not in html and "alert(1)" not in html
    assert "javascript:" not in html and "onerror" not in html
    assert "Я не согласен" in html and "😊" in html


def test_authors_become_claimable_readers_and_named_guests(export_file):
    run_import("disqus", export_file)
    anna = Reader.objects.get(imported_from="disqus", display_name="Anna")
    assert anna.handle == "Anna" and not anna.has_usable_password()
    assert anna.email == "" and not anna.is_guest
    assert anna.claim_email_hash == identity.imported_email_hash("anna@example.org")
    boris = Reader.objects.get(display_name="Борис")
    assert boris.handle == "boris"  # a Cyrillic name: the Disqus username instead
    gina = Reader.objects.get(display_name="Guest Gina")
    assert gina.is_guest and gina.claim_email_hash == ""
    # One guest with one name is one account, for both of her posts.
    assert Comment.objects.filter(author=gina).count() == 2


def test_the_page_shows_the_discussion_and_hides_spam(client, export_file):
    run_import("disqus", export_file)
    page = Article.objects.get(external_url=OLD)
    html = client.get(page.get_absolute_url()).content.decode()
    assert OLD in html and 'name="robots" content="noindex"' in html
    assert "First <strong>point</strong>" in html
    assert "Cheap pills" not in html
    assert "I take it back" not in html
    feed = client.get(reverse("discussion:article_comments_feed", kwargs={"slug": page.slug}))
    assert b"Cheap pills" not in feed.content and b"First" in feed.content
    found = client.get("/search/", {"q": "pills"}).content.decode()
    assert "Cheap pills" not in found
    spammer = Reader.objects.get(display_name="Spammer")
    assert "Cheap pills" not in client.get(spammer.get_absolute_url()).content.decode()
    # External pages are listed nowhere.
    assert page.slug not in client.get("/").content.decode()
    assert page.slug not in client.get("/sitemap.xml").content.decode()


def test_history_sends_no_live_events_and_no_notifications(export_file):
    before = LiveEvent.objects.count()
    run_import("disqus", export_file)
    assert LiveEvent.objects.count() == before
    assert not QueuedComment.objects.exists() and not Notification.objects.exists()
    entry = AuditEntry.objects.get(action="comments.imported")
    assert "5 comments imported" in entry.reason


def test_running_it_again_imports_nothing(export_file):
    run_import("disqus", export_file)
    readers = Reader.objects.count()
    again = run_import("disqus", export_file)
    assert again.comments_imported == 0 and again.comments_already_imported == 5
    assert again.threads_already_imported == 1
    assert Comment.objects.count() == 5 and Reader.objects.count() == readers
    assert Article.objects.filter(external_url=OLD).count() == 1


def test_a_newer_export_adds_only_the_new_comments_after_the_old(tmp_path, export_file):
    run_import("disqus", export_file)
    newer = ferry_export()
    newer.posts.append(
        DisqusPost(
            id="106",
            thread="10",
            parent="102",
            created="2019-03-02T09:00:00Z",
            message="<p>Later reply</p>",
            name="Anna",
            email="anna@example.org",
            username="anna",
        )
    )
    report = run_import("disqus", newer.write(tmp_path / "newer.xml"))
    assert report.comments_imported == 1
    later = Comment.objects.get(body_markdown="Later reply")
    assert later.number == 6
    assert later.parent == Comment.objects.get(number=2, article=later.article)
    assert later.author.display_name == "Anna"


def test_comments_already_there_keep_their_numbers(
    tmp_path, make_article, make_comment, kestrel, settings
):
    settings.BROADSHEET_SITE_URL = "https://paper.example.org"
    article = make_article("ferry")
    here = [make_comment(article, kestrel), make_comment(article, kestrel)]
    export = DisqusExport(
        threads=[DisqusThread(id="1", link="https://paper.example.org/articles/ferry/")],
        posts=[DisqusPost(id="7", thread="1", message="<p>From Disqus</p>", name="Old")],
    )
    report = run_import("disqus", export.write(tmp_path / "d.xml"))
    assert report.threads_to_articles == 1
    numbers = dict(Comment.objects.filter(article=article).values_list("pk", "number"))
    assert [numbers[c.pk] for c in here] == [1, 2]
    assert Comment.objects.get(body_markdown="From Disqus").number == 3
    assert Discussion.objects.get(article=article).comment_count == 3


def test_threads_find_articles_by_identifier_and_by_the_map(tmp_path, make_article):
    by_slug = make_article("council-vote")
    moved = make_article("harbour-closes")
    export = DisqusExport(
        threads=[
            DisqusThread(id="1", link="https://old.example.org/?p=1", identifier="council-vote"),
            DisqusThread(id="2", link="http://www.old.example.org/2018/harbour/"),
        ],
        posts=[
            DisqusPost(id="11", thread="1", message="<p>On the vote</p>"),
            DisqusPost(id="12", thread="2", message="<p>On the harbour</p>"),
        ],
    )
    map_file = tmp_path / "map.csv"
    map_file.write_text(
        "# old address, new slug\nhttps://old.example.org/2018/harbour,harbour-closes\n"
    )
    report = run_import("disqus", export.write(tmp_path / "d.xml"), mapping=Mapping.read(map_file))
    assert report.threads_to_articles == 2 and report.threads_to_external_pages == 0
    assert Comment.objects.get(body_markdown="On the vote").article == by_slug
    assert Comment.objects.get(body_markdown="On the harbour").article == moved


def test_a_verified_reader_claims_the_imported_comments(client, export_file):
    from broadsheet.readers.operations import confirm_email_address, sign_up_reader
    from broadsheet.readers.verification import make_verification_token

    run_import("disqus", export_file)
    anna = sign_up_reader(
        handle="anna-p",
        display_name="Anna P",
        email="anna@example.org",
        password=None,
        site_url=None,
    )
    assert not Comment.objects.filter(author=anna).exists()  # not before she proves the address
    confirm_email_address(token=make_verification_token(anna))
    claimed = Comment.objects.get(body_markdown__startswith="First")
    assert claimed.author == anna
    old = Reader.objects.get(imported_from="disqus", display_name="Anna")
    assert old.claim_email_hash == "" and not old.is_active
    assert AuditEntry.objects.filter(action="comments.claimed", actor=anna).exists()


def test_an_address_already_verified_here_takes_the_comments_at_once(export_file, make_reader):
    from django.utils import timezone

    anna = make_reader("anna-here", email="anna@example.org", email_verified_at=timezone.now())
    report = run_import("disqus", export_file)
    assert report.authors_matched_to_readers == 1
    assert Comment.objects.get(body_markdown__startswith="First").author == anna


def test_dry_run_reports_and_writes_nothing(export_file):
    counts = (Article.objects.count(), Reader.objects.count(), ImportedRecord.objects.count())
    report = run_import("disqus", export_file, dry_run=True)
    assert report.comments_imported == 5 and report.readers_created == 2
    assert (
        Article.objects.count(),
        Reader.objects.count(),
        ImportedRecord.objects.count(),
    ) == counts
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    "xml, says",
    [
        (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            "<disqus><post>&lol2;</post></disqus>",
            "DTD",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            "<disqus><post>&x;</post></disqus>",
            "DTD",
        ),
        ('<?xml version="1.0"?><rss><channel/></rss>', "not the expected export"),
        ("this is not xml", "not well-formed"),
    ],
    ids=["entity-bomb", "external-entity", "wrong-root", "not-xml"],
)
def test_unsafe_or_wrong_files_are_refused_with_nothing_imported(tmp_path, xml, says):
    path = tmp_path / "bad.xml"
    path.write_text(xml)
    with pytest.raises(ImportFileError, match=says):
        run_import("disqus", path)
    assert not Comment.objects.exists() and not Article.objects.exists()


def test_a_truncated_file_is_refused_with_nothing_imported(tmp_path):
    whole = ferry_export().xml()
    path = tmp_path / "cut.xml"
    path.write_text(whole[: len(whole) * 2 // 3])
    with pytest.raises(ImportFileError, match="truncated"):
        run_import("disqus", path)
    assert not Comment.objects.exists() and not Reader.objects.filter(imported_from="disqus")


def test_odd_records_are_skipped_or_fixed_and_reported(tmp_path, settings):
    settings.BROADSHEET_COMMENT_MAX_LENGTH = 50
    export = DisqusExport(
        threads=[
            DisqusThread(id="1", link=OLD, created="not a date"),
            DisqusThread(id="2", link="javascript:alert(1)"),
        ],
        posts=[
            DisqusPost(id="1", thread="1", message="<p>No date</p>", created="yesterday"),
            DisqusPost(
                id="2", thread="1", message="<p>From the future</p>", created="2999-01-01T00:00:00Z"
            ),
            DisqusPost(id="3", thread="1", message="<p>" + "long " * 40 + "</p>"),
            DisqusPost(id="4", thread="1", message="<p> </p>"),
            DisqusPost(id="5", thread="1", parent="3", message="<p>Answers the long one</p>"),
            DisqusPost(id="6", thread="9", message="<p>Thread unknown</p>"),
            DisqusPost(id="7", thread="2", message="<p>Bad address</p>"),
            DisqusPost(id="1", thread="1", message="<p>Same id again</p>"),
        ],
    )
    report = run_import("disqus", export.write(tmp_path / "odd.xml"))
    assert report.comments_imported == 3
    assert report.skipped == {
        "text over the length limit": 1,
        "empty text": 1,
        "comment of a thread the export does not describe": 1,
        "thread whose address is not a web address": 1,
        "comment listed twice in the export": 1,
    }
    assert report.notes["date in the future: the import's date used"] == 1
    assert report.notes["date unreadable: the thread's date used"] == 1
    assert report.replies_placed_at_top == 1
    assert Comment.objects.get(body_markdown="Answers the long one").parent is None


def test_the_command_prints_the_report(export_file):
    out = StringIO()
    call_command("import_comments", "disqus", str(export_file), stdout=out)
    text = out.getvalue()
    assert "comments imported" in text and "5" in text
    assert "threads unmapped: external pages" in text


def test_the_command_says_what_is_wrong_with_a_file(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text("<disqus>")
    with pytest.raises(CommandError, match="truncated"):
        call_command("import_comments", "disqus", str(path), stdout=StringIO())
