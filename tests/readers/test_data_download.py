"""“Download my data”: a JSON file of everything held about the reader, made by
the worker, offered by a link that works for them only and only for a while."""

import datetime as dt
import json
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from broadsheet.background.worker import run_ready_tasks
from broadsheet.discussion.models import Comment
from broadsheet.discussion.operations import post_comment, vote_on_comment
from broadsheet.moderation.operations import report_comment, set_discussion_mode
from broadsheet.notifications.operations import follow_discussion
from broadsheet.readers.models import DataExport
from broadsheet.readers.operations import create_api_token, exports_folder
from tests.conftest import PASSWORD

DATA = "/accounts/settings/data/"


def sign_in(handle: str) -> Client:
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0")
    response = client.post("/accounts/sign-in/", {"username": handle, "password": PASSWORD})
    assert response.status_code == 302
    return client


def download_link(client: Client) -> str:
    page = client.get(DATA).content.decode()
    match = re.search(r'href="(/accounts/settings/data/export/[^"]+/)"', page)
    assert match, page
    return match.group(1)


def prepare(client: Client) -> str:
    assert client.post(f"{DATA}export/").status_code == 302
    assert "being prepared" in client.get(DATA).content.decode()
    run_ready_tasks()
    return download_link(client)


def test_the_download_holds_the_readers_data_and_only_theirs(
    article, kestrel, nikolai, moderator, make_reader
):
    other = make_reader("gull-3", "Gull Three")
    theirs = post_comment(article=article, author=nikolai, body="Nikolai's public words")
    mine = post_comment(article=article, author=kestrel, body="My reply", parent=theirs)
    vote_on_comment(comment=theirs, voter=kestrel, value=1)
    report_comment(comment=theirs, reporter=kestrel, reason="off_topic", text="Not about ferries")
    follow_discussion(reader=kestrel, article=article)
    create_api_token(reader=kestrel, name="my script", scope="read")
    # Another reader's comment, held for a moderator, that kestrel answered first.
    set_discussion_mode(article=article, editor=moderator, mode="premoderated")
    post_comment(article=article, author=other, body="Held secret of another reader")
    Comment.objects.filter(author=nikolai).update(status=Comment.Status.PENDING)

    client = sign_in("kestrel-7")
    response = client.get(prepare(client))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    data = json.loads(body)
    assert data["format"] == "broadsheet-reader-data/1"
    assert data["profile"]["handle"] == "kestrel-7"
    assert data["profile"]["email"] == "kestrel-7@example.org"
    assert [c["text"] for c in data["comments"]] == ["My reply"]
    assert data["comments"][0]["number"] == mine.number
    assert data["comments"][0]["revisions"][0]["text"] == "My reply"
    assert data["sessions"] and data["sign_ins"][0]["succeeded"] is True
    assert data["follows"] == [{"article": article.slug, "since": data["follows"][0]["since"]}]
    assert data["api_tokens"][0]["name"] == "my script"
    assert data["reports"][0]["details"] == "Not about ferries"
    # Nikolai's comment is held now: neither it nor where it is is handed over.
    assert data["comments"][0]["in_reply_to"] is None
    assert data["reports"][0]["comment"] is None
    assert data["votes"] == []
    assert "Nikolai's public words" not in body and "Held secret" not in body
    assert "nikolai" not in body.lower() and "unc-2" not in body
    # The token itself and its hash are never in it.
    token_hash = kestrel.api_tokens.get().token_hash
    assert token_hash not in body


def test_a_link_opens_for_its_reader_only(kestrel, nikolai):
    client = sign_in("kestrel-7")
    link = prepare(client)
    assert sign_in("unc-2").get(link).status_code == 404
    assert Client().get(link).status_code == 302  # to the sign-in page
    forged = link.replace(link.split("/")[-2], link.split("/")[-2][:-3] + "abc")
    assert client.get(forged).status_code == 404
    assert client.get(link).status_code == 200


def test_an_expired_link_is_refused_and_its_file_deleted(kestrel, settings):
    settings.BROADSHEET_DATA_EXPORT_HOURS = 2
    client = sign_in("kestrel-7")
    link = prepare(client)
    export = DataExport.objects.get(reader=kestrel)
    path = exports_folder() / export.file_name
    assert path.is_file()
    with time_machine.travel(timezone.now() + dt.timedelta(hours=3)):
        assert client.get(link).status_code == 404
        run_ready_tasks()  # the worker's duty deletes what has expired
    assert not path.exists()
    assert not DataExport.objects.filter(reader=kestrel).exists()


def test_one_download_at_a_time_and_a_few_a_day(kestrel, settings):
    settings.BROADSHEET_DATA_EXPORTS_PER_DAY = 2
    settings.BROADSHEET_DATA_EXPORT_HOURS = 1
    client = sign_in("kestrel-7")
    assert client.post(f"{DATA}export/").status_code == 302
    refused = client.post(f"{DATA}export/")
    assert refused.status_code == 429 and refused["Retry-After"]
    start = timezone.now()
    with time_machine.travel(start + dt.timedelta(hours=2)):
        assert client.post(f"{DATA}export/").status_code == 302
    with time_machine.travel(start + dt.timedelta(hours=4)):
        assert client.post(f"{DATA}export/").status_code == 429  # two today already
    assert DataExport.objects.filter(reader=kestrel).count() == 2


@pytest.mark.parametrize("comments", [2, 20])
def test_making_the_download_costs_a_fixed_number_of_queries(
    article, kestrel, make_comment, comments, django_assert_max_num_queries
):
    from broadsheet.readers.queries import collect_reader_data

    for _ in range(comments):
        make_comment(article, kestrel)
    with django_assert_max_num_queries(12):
        data = collect_reader_data(kestrel)
    assert len(data["comments"]) == comments


def test_the_your_data_page_costs_a_fixed_number_of_queries(
    kestrel, client, django_assert_max_num_queries
):
    client.force_login(kestrel)
    client.get(DATA)
    with django_assert_max_num_queries(4):  # the session, the reader, the download
        assert client.get(DATA).status_code == 200
