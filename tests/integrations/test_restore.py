"""`broadsheet restore`: an export gives back the same site (the same pages, the same
rows), into the same kind of database or the other; a file that will not do, or
a site that is not empty, gets a clear refusal and nothing written."""

import hashlib
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.cache import caches

from broadsheet.articles.models import Article
from broadsheet.discussion.models import Comment
from broadsheet.discussion.operations import post_comment
from broadsheet.integrations.archive.exporting import encode, export_site
from broadsheet.integrations.archive.operations import (
    SiteNotEmpty,
    describe_site_contents,
    restore_site,
)
from broadsheet.integrations.archive.reading import ExportRejected
from broadsheet.readers.models import Reader
from broadsheet.readers.operations import sign_up_reader
from tests.integrations.archive_sites import (
    PASSWORD,
    build_site,
    empty_the_site,
    normalized_page,
    read_export,
    records_by_model,
    run_cli,
    scratch_postgres_database,
)
from tests.servers import Server, fetch


def site_pages(get, origin: str = "http://testserver") -> dict[str, str]:
    """Every page of the built site a signed-out reader can open: the articles, each
    comment's permalink, the readers' profiles, a search; absolute links made
    relative to the site, which is served from `origin`."""
    paths = ["/", "/articles/the-last-ferry/", "/articles/posledniy-parom/"]
    paths += [f"/articles/the-last-ferry/comments/{n}/" for n in range(1, 7)]
    paths += ["/readers/kestrel-7/", "/readers/unc-2/", "/search/?q=ferry"]
    pages = {}
    for path in paths:
        status, html = get(path)
        assert status == 200, path
        pages[path] = normalized_page(html.replace(origin, "https://site.example"))
    return pages


def assert_same_pages(after: dict[str, str], before: dict[str, str]) -> None:
    import difflib

    for path, html in before.items():
        diff = difflib.unified_diff(
            html.splitlines(), after[path].splitlines(), "before", "after", lineterm="", n=1
        )
        assert after[path] == html, f"{path} differs:\n" + "\n".join(list(diff)[:60])


def client_get(client):
    def get(path: str) -> tuple[int, str]:
        response = client.get(path)
        return response.status_code, response.content.decode()

    return get


def clear_caches() -> None:
    for cache in caches.all():
        cache.clear()


def rewrite_export(path: Path, header: dict, records: list[dict]) -> None:
    """Write an export again with a trailer that matches it (a well-formed file whose
    contents a test changed)."""
    lines = [encode(header) + "\n"] + [encode(record) + "\n" for record in records]
    counts: dict[str, int] = {}
    for record in records:
        counts[record["model"]] = counts.get(record["model"], 0) + 1
    digest = hashlib.sha256("".join(lines).encode()).hexdigest()
    trailer = {"end": "broadsheet-export", "records": len(records), "counts": counts}
    path.write_text("".join(lines) + encode({**trailer, "sha256": digest}) + "\n")


@pytest.fixture
def exported(db, tmp_path) -> Path:
    """An export of the built site (with secrets), and the site emptied again."""
    build_site()
    path = tmp_path / "site.jsonl"
    export_site(path, with_secrets=True)
    empty_the_site()
    clear_caches()
    return path


def test_a_restore_gives_back_the_same_pages_and_rows(db, client, tmp_path):
    build_site()
    before = site_pages(client_get(client))
    assert "Comment removed by a moderator." in before["/articles/the-last-ferry/comments/6/"]
    export_site(tmp_path / "site.jsonl", with_secrets=True)
    empty_the_site()
    clear_caches()
    assert not describe_site_contents()

    result = restore_site(path=tmp_path / "site.jsonl")

    assert result.counts["discussion.comment"] == 7
    assert_same_pages(site_pages(client_get(client)), before)
    export_site(tmp_path / "again.jsonl", with_secrets=True)
    assert read_export(tmp_path / "again.jsonl")[1] == read_export(tmp_path / "site.jsonl")[1]


def test_a_restored_site_goes_on_where_the_old_one_stopped(exported, client):
    restore_site(path=exported)
    ferry = Article.objects.get(slug="the-last-ferry")
    kestrel = Reader.objects.get(handle="kestrel-7")
    assert post_comment(article=ferry, author=kestrel, body="After the move.").number == 7
    newcomer = sign_up_reader(
        handle="newcomer",
        display_name="New",
        email="new@example.org",
        password=PASSWORD,
        site_url=None,
    )
    assert newcomer.pk > max(Reader.objects.exclude(pk=newcomer.pk).values_list("pk", flat=True))
    assert kestrel.check_password(PASSWORD)  # restored with its secrets
    held = Comment.objects.get(article__slug="posledniy-parom", number=1)
    assert held.status == "pending"
    assert Reader.objects.get(handle="mod-1").groups.get().name == "Moderators"
    # The search index was rebuilt: restored comments are found.
    assert "Sundays" in client.get("/search/?q=sundays").content.decode()


def test_a_site_that_is_not_empty_is_refused_saying_what_it_holds(exported, make_article):
    make_article("already-here")
    with pytest.raises(SiteNotEmpty, match=r"articles\.article: 1"):
        restore_site(path=exported)
    assert Article.objects.count() == 1 and not Reader.objects.exists()


def test_roles_merge_with_the_groups_the_site_has(exported):
    Group.objects.create(name="Moderators")  # e.g. made in the admin before the restore
    restore_site(path=exported)
    assert Group.objects.filter(name="Moderators").count() == 1
    assert Group.objects.get(name="Moderators").permissions.exists()


def cut_short(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))


def drop_a_record(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:3] + lines[4:]))


def change_a_text(path: Path) -> None:
    path.write_text(path.read_text().replace("Not on Sundays", "Not on Mondays"))


def change_version(path: Path) -> None:
    header, records, _ = read_export(path)
    rewrite_export(path, {**header, "version": 2}, records)


def not_an_export(path: Path) -> None:
    path.write_text('{"model": "discussion.comment", "pk": 1, "fields": {}}\n')


def unknown_model(path: Path) -> None:
    header, records, _ = read_export(path)
    records.append({"model": "sessions.session", "pk": "x", "fields": {}})
    rewrite_export(path, {**header, "models": [*header["models"], "sessions.session"]}, records)


def newer_schema(path: Path) -> None:
    header, records, _ = read_export(path)
    migrations = {**header["migrations"]}
    migrations["discussion"] = [*migrations["discussion"], "9999_from_the_future"]
    rewrite_export(path, {**header, "migrations": migrations}, records)


def damaged_line(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    lines[5] = lines[5][: len(lines[5]) // 2] + "\n"
    path.write_text("".join(lines))


def two_comments_with_one_number(path: Path) -> None:
    """Well-formed, counted and summed, but the rows break a constraint: the refusal
    comes from the database, after some rows were written, and takes them back."""
    header, records, _ = read_export(path)
    comments = [r for r in records if r["model"] == "discussion.comment"]
    comments[-1]["fields"].update(
        article=comments[0]["fields"]["article"], number=comments[0]["fields"]["number"]
    )
    rewrite_export(path, header, records)


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (cut_short, "cut short"),
        (drop_a_record, "incomplete or was changed"),
        (change_a_text, "checksum does not match"),
        (change_version, "format version 2"),
        (not_an_export, "not a Broadsheet export"),
        (unknown_model, "sessions.session"),
        (newer_schema, "discussion.9999_from_the_future"),
        (damaged_line, "line 6 is not a JSON record"),
        (two_comments_with_one_number, "cannot be restored|do not fit together"),
    ],
)
def test_a_file_that_will_not_do_is_refused_and_nothing_is_written(exported, spoil, reason):
    spoil(exported)
    with pytest.raises(ExportRejected, match=reason):
        restore_site(path=exported)
    assert not describe_site_contents()


def test_the_command_says_why_it_refused(tmp_path):
    (tmp_path / "bad.jsonl").write_text("hello\n")
    result = run_cli(["restore", str(tmp_path / "bad.jsonl")], tmp_path / "var")
    assert result.returncode == 1
    assert "not a JSON record" in result.stderr and "nothing was restored" in result.stderr


@pytest.fixture(params=["sqlite", "postgresql"])
def other_site(request, tmp_path):
    """A new site to restore into: a data folder with SQLite, or a scratch PostgreSQL
    database. The test run's own database is the other kind in one of the two runs of
    scripts/test, so both directions (SQLite → PostgreSQL, PostgreSQL → SQLite) run."""
    data_dir = tmp_path / f"restored-{request.param}"
    if request.param == "sqlite":
        yield data_dir, ""
    else:
        with scratch_postgres_database() as url:
            yield data_dir, url


@pytest.mark.slow
def test_an_export_restored_into_another_database_serves_the_same_pages(
    db, client, tmp_path, other_site
):
    data_dir, database_url = other_site
    build_site()
    before = site_pages(client_get(client))
    export_site(tmp_path / "site.jsonl", with_secrets=True)

    restored = run_cli(["restore", str(tmp_path / "site.jsonl")], data_dir, database_url)
    assert restored.returncode == 0, restored.stderr
    again = run_cli(
        ["export", "--with-secrets", str(tmp_path / "again.jsonl")], data_dir, database_url
    )
    assert again.returncode == 0, again.stderr

    header, records, _ = read_export(tmp_path / "again.jsonl")
    assert header["database"] == ("postgresql" if database_url else "sqlite")
    # The same rows, to the microsecond (JSON values compared as values: PostgreSQL's
    # jsonb keeps keys in an order of its own).
    assert records == read_export(tmp_path / "site.jsonl")[1]
    assert len(records_by_model(records)["discussion.comment"]) == 7
    env = {"BROADSHEET_DATABASE_URL": database_url} if database_url else {}
    server = Server(data_dir, "--no-demo", "--no-worker", env=env)
    try:
        after = site_pages(lambda path: fetch(server.base + path), server.base)
    finally:
        server.stop()
    assert_same_pages(after, before)


def test_restore_accepts_a_compressed_export(db, tmp_path):
    build_site()
    export_site(tmp_path / "site.jsonl.gz")
    empty_the_site()
    result = restore_site(path=tmp_path / "site.jsonl.gz")
    assert result.counts["discussion.comment"] == 7
