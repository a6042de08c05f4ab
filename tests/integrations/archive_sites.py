"""A small but complete site for the archive's tests, built through the write
operations as readers, moderators and editors build one; and the helpers those
tests share: reading an export, running the `broadsheet` command against another
database, a scratch PostgreSQL database, emptying the test database."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from broadsheet.articles.operations import save_article
from broadsheet.discussion.operations import (
    delete_comment,
    edit_comment,
    post_comment,
    vote_on_comment,
)
from broadsheet.discussion.quotes import ArticleQuoteClaim
from broadsheet.integrations.archive import contents
from broadsheet.moderation.operations import (
    ban_reader,
    grant_role,
    reject_comment,
    report_comment,
    set_discussion_mode,
)
from broadsheet.notifications.operations import change_notification_settings, follow_discussion
from broadsheet.readers.operations import create_reply_feed_key, sign_up_reader
from tests.servers import BROADSHEET, cli_env

PASSWORD = "a long and private passphrase"

ARTICLE_BODY = """\
The ferry leaves the pier at ten past six every morning.

## A town meeting

> "We are asking for the boat we already have," said a pharmacist.

PS. The timetable is posted at the pier.
"""


def build_site() -> dict:
    """Two articles (one of them in Russian), readers with roles, and a discussion
    with quotes, replies, an emoticon, an edit, a deletion, votes, a report, a held
    comment, a rejected one and a ban: every kind of row the pages show."""
    published = timezone.now() - dt.timedelta(hours=2)
    ferry, _ = save_article(
        slug="the-last-ferry",
        title="The last ferry keeps running",
        body_markdown=ARTICLE_BODY,
        lead="A lead paragraph.",
        byline="Irina Lebedeva",
        published_at=published,
    )
    parom, _ = save_article(
        slug="posledniy-parom",
        title="Последний паром",
        body_markdown="Паром уходит в шесть десять.\n\nPS. Расписание на пристани.\n",
        language="ru",
        published_at=published,
    )
    readers = {
        handle: sign_up_reader(
            handle=handle,
            display_name=name,
            email=f"{handle}@example.org",
            password=PASSWORD,
            site_url=None,
        )
        for handle, name in [
            ("kestrel-7", "Anna Petrova"),
            ("unc-2", "Nikolai Malyugin"),
            ("mod-1", "Maria Moderator"),
            ("troll-9", "Anonymous Troll"),
        ]
    }
    kestrel, nikolai, moderator, troll = readers.values()
    grant_role(reader=moderator, role_name="moderator")
    grant_role(reader=nikolai, role_name="editor", actor=moderator)

    paragraph = next(a for a, text in ferry.paragraphs.items() if text.startswith("The ferry"))
    first = post_comment(
        article=ferry, author=nikolai, body="First, and a wink ;)\n\nSecond paragraph."
    )
    quoting = post_comment(
        article=ferry,
        author=kestrel,
        body="> The ferry leaves the pier\n\nNot on Sundays it does not.",
        quote=ArticleQuoteClaim(anchor=paragraph, text="The ferry leaves the pier"),
    )
    reply = post_comment(
        article=ferry,
        author=nikolai,
        body='> Lenta.ru: "the crossing closes"\n\nThey said so in May too.',
        parent=quoting,
    )
    edited = post_comment(article=ferry, author=kestrel, body="Typo in tihs one.")
    edit_comment(comment=edited, editor=kestrel, body="Typo in this one, fixed.")
    deleted = post_comment(article=ferry, author=kestrel, body="I take this back.")
    delete_comment(comment=deleted, deleter=kestrel)
    rude = post_comment(article=ferry, author=troll, body="Nobody cares about ferries.")
    report_comment(comment=rude, reporter=kestrel, reason="abuse", text="Rude.")
    reject_comment(comment=rude, moderator=moderator, reason="Off topic")
    ban_reader(reader=troll, moderator=moderator, reason="Trolling")
    set_discussion_mode(article=parom, editor=moderator, mode="premoderated")
    held = post_comment(article=parom, author=kestrel, body="Жду модератора.")
    for comment, voter, value in [
        (first, kestrel, 1),
        (first, moderator, 1),
        (quoting, nikolai, -1),
        (reply, kestrel, 1),
    ]:
        vote_on_comment(comment=comment, voter=voter, value=value)
    create_reply_feed_key(reader=kestrel)
    follow_discussion(reader=kestrel, article=ferry)
    change_notification_settings(
        reader=nikolai, site_kinds=["reply"], email_kinds=[], cadence="daily", language="ru"
    )
    return {"articles": [ferry, parom], "readers": readers, "held": held, "rejected": rude}


def read_export(path: Path) -> tuple[dict, list[dict], dict]:
    """(header, records, trailer) of an export file."""
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rt", encoding="utf-8") as stream:
        lines = [json.loads(line) for line in stream]
    return lines[0], lines[1:-1], lines[-1]


def records_by_model(records: list[dict]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for record in records:
        found.setdefault(record["model"], []).append(record)
    return found


def normalized_page(html: str) -> str:
    """A page with what a restore does not keep taken out: the id of the newest live
    event (the live journal stays behind; pages resume from the new site's)."""
    return re.sub(r'data-live-after="\d+"', 'data-live-after="N"', html)


def empty_the_site() -> None:
    """Delete every row an export holds (roles' groups too) and the tables left behind,
    inside the test's transaction (foreign keys are checked at commit, which never
    comes): the empty site a restore wants."""
    tables = []
    for model in contents.exported_models():
        tables.append(model._meta.db_table)
        tables += [
            f.remote_field.through._meta.db_table
            for f in model._meta.many_to_many
            if f.remote_field.through._meta.auto_created
        ]
    tables += [apps.get_model(label)._meta.db_table for label in contents.EXCLUDED_MODELS]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608


def run_cli(args: list[str], data_dir: Path, database_url: str = "") -> subprocess.CompletedProcess:
    """The `broadsheet` command in its own process, on its own data folder and database."""
    extra = {"BROADSHEET_DATABASE_URL": database_url} if database_url else {}
    return subprocess.run(
        [*BROADSHEET, *args],
        env=cli_env(data_dir, **extra),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def postgres_server_url() -> str:
    url = os.environ.get("BROADSHEET_TEST_POSTGRES_URL", "")
    if not url:
        pytest.skip(
            "no PostgreSQL server to make a scratch database on: BROADSHEET_TEST_POSTGRES_URL "
            "is not set (scripts/test sets it)"
        )
    return url


@contextlib.contextmanager
def scratch_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server, dropped afterwards; its URL."""
    import psycopg

    server = postgres_server_url()
    name = f"broadsheet_scratch_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
