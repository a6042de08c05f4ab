"""“Delete my account”: asked with the password, a grace period that signing in
cancels, then an erasure that reaches every door (docs/your-data.md, ADR 0019)."""

import datetime as dt
import json
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from broadsheet.background.worker import run_ready_tasks
from broadsheet.discussion.models import Comment, Vote
from broadsheet.discussion.operations import edit_comment, post_comment, vote_on_comment
from broadsheet.live.models import LiveEvent
from broadsheet.moderation.models import AuditEntry, Report
from broadsheet.moderation.operations import report_comment
from broadsheet.readers.models import ApiToken, Reader, ReaderSession
from broadsheet.readers.operations import create_api_token, erase_reader_account
from tests.conftest import PASSWORD
from tests.integrations.archive_sites import read_export

DATA = "/accounts/settings/data/"
DELETE = "/accounts/settings/delete/"
NAMES = ("Anna Petrova", "kestrel-7")


def sign_in(handle: str = "kestrel-7") -> Client:
    client = Client()
    response = client.post("/accounts/sign-in/", {"username": handle, "password": PASSWORD})
    assert response.status_code == 302
    return client


def is_signed_in(client: Client) -> bool:
    return client.get("/accounts/settings/").status_code == 200


def past_grace(settings) -> time_machine.travel:
    days = settings.BROADSHEET_ACCOUNT_DELETION_DAYS
    return time_machine.travel(timezone.now() + dt.timedelta(days=days, hours=1))


@pytest.fixture
def discussion(article, kestrel, nikolai):
    """Kestrel's two comments, a reply to one by Nikolai, and kestrel's vote and report."""
    first = post_comment(article=article, author=kestrel, body="Kestrel's first words")
    reply = post_comment(article=article, author=nikolai, body="Nikolai answers", parent=first)
    second = post_comment(
        article=article, author=kestrel, body="Kestrel's second words", parent=reply
    )
    edit_comment(comment=second, editor=kestrel, body="Kestrel's second words, edited")
    vote_on_comment(comment=reply, voter=kestrel, value=1)
    report_comment(comment=reply, reporter=kestrel, reason="off_topic", text="Hmm")
    return first, reply, second


def test_deletion_needs_the_password(kestrel):
    client = sign_in()
    response = client.post(DELETE, {"password": "not it"})
    assert response.status_code == 400
    assert "not your current password" in response.content.decode()
    kestrel.refresh_from_db()
    assert kestrel.deletion_due_at is None and is_signed_in(client)


def test_asking_signs_out_everywhere_and_sets_the_grace_period(kestrel, settings):
    settings.BROADSHEET_ACCOUNT_DELETION_DAYS = 7
    client, other = sign_in(), sign_in()
    response = client.post(DELETE, {"password": PASSWORD})
    assert response.status_code == 200
    assert "Sign in before then" in response.content.decode()
    assert not is_signed_in(client) and not is_signed_in(other)
    kestrel.refresh_from_db()
    assert kestrel.deletion_due_at - kestrel.deletion_requested_at == dt.timedelta(days=7)
    assert AuditEntry.objects.filter(action="reader.deletion_requested").exists()


def test_signing_in_during_the_grace_period_cancels_the_deletion_and_says_so(kestrel, settings):
    sign_in().post(DELETE, {"password": PASSWORD})
    with time_machine.travel(timezone.now() + dt.timedelta(days=3)):
        client = Client()
        response = client.post(
            "/accounts/sign-in/", {"username": "kestrel-7", "password": PASSWORD}, follow=True
        )
        assert "signing in has cancelled that" in response.content.decode()
    kestrel.refresh_from_db()
    assert kestrel.deletion_due_at is None
    assert AuditEntry.objects.filter(action="reader.deletion_cancelled").exists()
    with past_grace(settings):
        run_ready_tasks()
    kestrel.refresh_from_db()
    assert kestrel.erased_at is None and kestrel.handle == "kestrel-7"


def test_erase_turns_comments_into_placeholders_and_keeps_numbers_and_replies(
    article, kestrel, nikolai, discussion, settings, client
):
    settings.BROADSHEET_DELETED_READER_COMMENTS = "erase"
    first, reply, second = discussion
    create_api_token(reader=kestrel, name="script")
    sign_in().post(DELETE, {"password": PASSWORD})
    with past_grace(settings):
        run_ready_tasks()
    erased = Reader.objects.get(pk=kestrel.pk)
    assert erased.erased_at is not None and not erased.is_active
    assert erased.email == "" and not erased.has_usable_password()
    assert erased.display_name == "deleted reader" and erased.handle.startswith("~")
    comments = {c.number: c for c in Comment.objects.filter(article=article)}
    assert sorted(comments) == [first.number, reply.number, second.number]
    for number in (first.number, second.number):
        assert comments[number].is_deleted
        assert comments[number].body_markdown == comments[number].body_html == ""
    assert comments[reply.number].body_markdown == "Nikolai answers"
    assert comments[reply.number].parent_id == first.pk
    # The vote is withdrawn and its score with it; the report stays, filed by nobody.
    assert comments[reply.number].score == 0 and not Vote.objects.exists()
    nikolai.refresh_from_db()
    assert nikolai.rating == 0
    report = Report.objects.get()
    assert report.reporter_id == erased.pk and report.reporter.handle.startswith("~")
    assert not ApiToken.objects.exists() and not ReaderSession.objects.exists()
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Kestrel's" not in page and not any(name in page for name in NAMES)
    assert "Nikolai answers" in page
    assert f'id="comment-{first.number}"' in page and f'id="comment-{second.number}"' in page
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"reader.erased", "reader.erased.comments", "reader.erased.access"} <= actions
    # The handle is free again.
    response = Client().post(
        "/accounts/sign-up/",
        {
            "handle": "kestrel-7",
            "display_name": "Someone new",
            "email": "new@example.org",
            "password": "a long new passphrase",
        },
    )
    assert response.status_code == 302


def test_keep_leaves_the_words_under_deleted_reader(article, kestrel, discussion, settings, client):
    settings.BROADSHEET_DELETED_READER_COMMENTS = "keep"
    first, _reply, _second = discussion
    erase_reader_account(reader=kestrel)
    first.refresh_from_db()
    assert not first.is_deleted and first.body_markdown == "Kestrel's first words"
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Kestrel's first words" in page and "deleted reader" in page
    assert "/readers/~deleted" not in page  # no link to a profile that is gone
    assert not any(name in page for name in NAMES)


# --- hidden means hidden: every door, after the erasure ------------------------------


@pytest.mark.parametrize("mode", ["erase", "keep"])
def test_the_warm_page_cache_search_and_feeds_show_nothing_of_the_erased_reader(
    article, kestrel, discussion, settings, client, mode
):
    settings.BROADSHEET_DELETED_READER_COMMENTS = mode
    url = article.get_absolute_url()
    assert "Anna Petrova" in client.get(url).content.decode()
    client.get(url)  # served from the cache now
    feed = f"/articles/{article.slug}/comments.atom"
    assert "Anna Petrova" in client.get(feed).content.decode()
    assert "Kestrel" in client.get("/search/", {"q": "kestrel"}).content.decode()

    erase_reader_account(reader=kestrel)

    for page in (
        client.get(url),
        client.get(feed),
        client.get(f"/articles/{article.slug}/comments.rss"),
        client.get("/search/", {"q": "kestrel"}),
        client.get("/search/", {"q": "words"}),
    ):
        text = page.content.decode()
        assert not any(name in text for name in NAMES), page.request
        if mode == "erase":
            assert "Kestrel's" not in text
    assert client.get("/readers/kestrel-7/").status_code == 404
    assert client.get("/readers/kestrel-7/comments.atom").status_code == 404


def test_the_export_carries_nothing_of_the_erased_reader(
    kestrel, discussion, settings, tmp_path: Path
):
    settings.BROADSHEET_DELETED_READER_COMMENTS = "erase"
    erase_reader_account(reader=kestrel)
    call_command("export", str(tmp_path / "site.jsonl"))
    _header, records, _trailer = read_export(tmp_path / "site.jsonl")
    text = json.dumps(records, ensure_ascii=False)
    assert not any(name in text for name in NAMES)
    assert "kestrel-7@example.org" not in text and "Kestrel's" not in text


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["erase", "keep"])
def test_the_live_replay_from_before_the_erasure_carries_nothing_of_it(
    article, kestrel, nikolai, settings, mode
):
    from tests.live.test_hidden import replay

    settings.BROADSHEET_LIVE_KEEPALIVE_SECONDS = 0.2
    settings.BROADSHEET_DELETED_READER_COMMENTS = mode
    before = LiveEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    first = post_comment(article=article, author=kestrel, body="Kestrel's words")
    post_comment(article=article, author=nikolai, body="Nikolai answers", parent=first)
    assert "Anna Petrova" in replay(article, after=before)
    erase_reader_account(reader=kestrel)
    sent = replay(article, after=before)
    assert not any(name in sent for name in NAMES)
    assert "Nikolai answers" in sent
    if mode == "erase":
        assert "Kestrel's words" not in sent and "event: comment.deleted" in sent


def test_an_account_without_a_password_deletes_only_soon_after_signing_in(make_reader):
    reader = make_reader("sso-9", "Single Sign-On", password=None)
    late = Client()
    late.force_login(reader)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        response = late.post(DELETE, {})
        assert response.status_code == 302 and "/accounts/sign-in/" in response.url
    reader.refresh_from_db()
    assert reader.deletion_due_at is None
    fresh = Client()
    fresh.force_login(reader)
    assert fresh.post(DELETE, {}).status_code == 200
    reader.refresh_from_db()
    assert reader.deletion_due_at is not None


@pytest.mark.parametrize("mode", ["erase", "keep"])
def test_the_api_shows_nothing_of_the_erased_reader_and_their_token_is_gone(
    article, kestrel, nikolai, discussion, settings, client, mode
):
    settings.BROADSHEET_DELETED_READER_COMMENTS = mode
    first, _reply, _second = discussion
    secret = create_api_token(reader=kestrel, name="script", scope="read").secret
    reader_secret = create_api_token(reader=nikolai, name="reader", scope="read").secret
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    listing = f"/api/v1/articles/{article.slug}/comments"
    assert "Anna Petrova" in client.get(listing).content.decode()

    erase_reader_account(reader=kestrel)

    assert client.get("/api/v1/me", headers=auth).status_code == 401
    for headers in ({}, {"Authorization": f"Bearer {reader_secret}"}):
        for path in (listing, f"{listing}/{first.number}", f"{listing}/{first.number}/replies"):
            response = client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.content)
            text = response.content.decode()
            assert not any(name in text for name in NAMES), path
            if mode == "erase":
                assert "Kestrel's" not in text
