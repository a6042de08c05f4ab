import datetime as dt
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from broadsheet.articles.models import Article

pytestmark = pytest.mark.django_db

SOURCE = """\
---
title: Ferry saved for one more summer
slug: ferry-saved
lead: The village raised the money itself.
author: Irina Lebedeva
language: en
published: 2023-06-20 09:00
status: published
---

The ferry leaves at ten past six.

## The meeting

> "We are not asking for a bridge," she said.

PS. Timetable at the pier.
"""


def write(tmp_path: Path, text: str, name: str = "article.md") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_publish_creates_the_article_from_front_matter(tmp_path, capsys):
    call_command("publish", str(write(tmp_path, SOURCE)))
    article = Article.objects.get(slug="ferry-saved")
    assert article.title == "Ferry saved for one more summer"
    assert article.lead == "The village raised the money itself."
    assert article.byline == "Irina Lebedeva"
    assert article.language == "en"
    assert article.published_at == dt.datetime(2023, 6, 20, 9, 0, tzinfo=dt.UTC)
    assert article.is_visible
    assert '<h2 id="s-the-meeting">' in article.body_html
    assert article.discussion.comment_count == 0
    assert "published /articles/ferry-saved/" in capsys.readouterr().out


def test_publishing_again_updates_the_same_article_and_bumps_its_revision(tmp_path):
    path = write(tmp_path, SOURCE)
    call_command("publish", str(path))
    path.write_text(SOURCE.replace("ten past six", "half past six"))
    call_command("publish", str(path))
    article = Article.objects.get(slug="ferry-saved")
    assert Article.objects.count() == 1
    assert "half past six" in article.body_html
    assert article.revision == 2


def test_a_draft_is_stored_but_not_visible(tmp_path):
    call_command(
        "publish", str(write(tmp_path, SOURCE.replace("status: published", "status: draft")))
    )
    assert not Article.objects.get(slug="ferry-saved").is_visible
    assert not Article.objects.published().exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("title: Ferry saved for one more summer", "title: ''"), "title: missing"),
        (("status: published", "status: maybe"), "status:"),
        (("published: 2023-06-20 09:00", "published: next tuesday"), "published:"),
        (("slug: ferry-saved", "slug: not a slug!"), "slug:"),
        (("title: Ferry saved for one more summer", "title: " + "T" * 301), "title: .*at most 300"),
    ],
)
def test_bad_front_matter_is_refused_with_the_field_named(tmp_path, change, message):
    path = write(tmp_path, SOURCE.replace(*change))
    with pytest.raises(CommandError, match=message):
        call_command("publish", str(path))
    assert not Article.objects.exists()


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("publish", str(tmp_path / "nope.md"))
