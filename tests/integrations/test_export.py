"""`broadsheet export`: what the file holds, what it leaves out, and its shape."""

import hashlib
import json

from django.apps import apps
from django.contrib.auth.hashers import check_password, is_password_usable

from broadsheet.integrations.archive import contents
from broadsheet.integrations.archive.exporting import export_site
from tests.integrations.archive_sites import (
    PASSWORD,
    build_site,
    read_export,
    records_by_model,
    run_cli,
)

SECRET_LOOKING = ("password", "secret", "token", "key")


def our_models():
    return [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("broadsheet.")
        for model in config.get_models()
        if not model._meta.proxy and model._meta.managed
    ]


def test_every_model_of_our_apps_travels_unless_named_with_its_reason():
    exported = {contents.label(model) for model in contents.exported_models()}
    for model in our_models():
        name = contents.label(model)
        assert (name in exported) != (name in contents.EXCLUDED_MODELS), name
    assert "auth.group" in exported
    assert set(contents.SECRET_MODELS) <= exported


def test_the_models_that_stay_behind_all_exist():
    for name in [*contents.EXCLUDED_MODELS, *contents.SECRET_MODELS, *contents.SECRET_FIELDS]:
        assert apps.get_model(name)


def test_every_field_that_looks_like_a_secret_is_kept_back_or_said_not_to_be():
    """A new field named like a password, token, key or secret must be classified:
    kept back without --with-secrets (SECRET_FIELDS, SECRET_MODELS) or named harmless
    (NOT_SECRETS). The test that would have caught a leak of API tokens."""
    unclassified = []
    for model in contents.exported_models():
        name = contents.label(model)
        if name in contents.SECRET_MODELS:
            continue
        for field in model._meta.concrete_fields:
            if not any(word in field.name.lower() for word in SECRET_LOOKING):
                continue
            if field.name in contents.SECRET_FIELDS.get(name, {}):
                continue
            if f"{name}.{field.name}" not in contents.NOT_SECRETS:
                unclassified.append(f"{name}.{field.name}")
    assert not unclassified, unclassified


def test_a_row_that_refers_to_a_table_left_behind_can_drop_the_reference():
    for model in contents.exported_models():
        for field in contents.cleared_references(model):
            assert field.null, f"{contents.label(model)}.{field.name} cannot be cleared"


def test_an_export_is_a_header_records_in_dependency_order_and_a_counting_trailer(db, tmp_path):
    build_site()
    path = tmp_path / "site.jsonl"
    summary = export_site(path)
    header, records, trailer = read_export(path)
    assert header["format"] == "broadsheet-export" and header["version"] == 1
    assert header["database"] in {"sqlite", "postgresql"}
    assert header["with_secrets"] is False
    assert "discussion" in header["migrations"]
    assert header["models"].index("auth.group") < header["models"].index("readers.reader")
    by_model = records_by_model(records)
    assert {name: len(rows) for name, rows in by_model.items()} == {
        name: count for name, count in trailer["counts"].items() if count
    }
    assert trailer["records"] == len(records) == summary.records
    lines = path.read_bytes().splitlines(keepends=True)
    assert hashlib.sha256(b"".join(lines[:-1])).hexdigest() == trailer["sha256"]
    # Ordered as the header lists the models, each model's rows by id.
    order = [header["models"].index(record["model"]) for record in records]
    assert order == sorted(order)
    comments = by_model["discussion.comment"]
    assert [c["pk"] for c in comments] == sorted(c["pk"] for c in comments)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_an_export_holds_what_the_pages_show(db, tmp_path):
    site = build_site()
    export_site(tmp_path / "site.jsonl")
    _header, records, _trailer = read_export(tmp_path / "site.jsonl")
    by_model = records_by_model(records)
    comments = {
        (c["fields"]["article"], c["fields"]["number"]): c for c in by_model["discussion.comment"]
    }
    ferry, parom = site["articles"]
    assert len(comments) == 7
    rejected = comments[(ferry.pk, 6)]["fields"]
    assert rejected["status"] == "rejected" and rejected["moderation_reason"] == "Off topic"
    assert comments[(parom.pk, 1)]["fields"]["status"] == "pending"
    assert comments[(ferry.pk, 2)]["fields"]["quote_text"] == "The ferry leaves the pier"
    assert comments[(ferry.pk, 1)]["fields"]["score"] == 2
    assert comments[(ferry.pk, 5)]["fields"]["deleted_at"] is not None
    assert comments[(ferry.pk, 4)]["fields"]["edited_at"] is not None
    assert len(by_model["discussion.vote"]) == 4
    assert len(by_model["moderation.report"]) == 1
    assert {e["fields"]["action"] for e in by_model["moderation.auditentry"]} >= {
        "role.granted",
        "comment.rejected",
        "reader.banned",
    }
    groups = {g["fields"]["name"]: g for g in by_model["auth.group"]}
    assert "pk" not in groups["Moderators"]  # Django's rows go by natural key
    assert ["moderate_comment", "discussion", "comment"] in groups["Moderators"]["fields"][
        "permissions"
    ]
    readers = {r["fields"]["handle"]: r for r in by_model["readers.reader"]}
    assert readers["mod-1"]["fields"]["groups"] == [["Moderators"]]
    assert readers["troll-9"]["fields"]["banned_at"] is not None
    assert by_model["notifications.following"]
    for left_behind in contents.EXCLUDED_MODELS:
        assert left_behind not in by_model
    # Times keep their microseconds (Django's JSON encoder would cut them to milliseconds).
    assert any(
        len(c["fields"]["created_at"].split(".")[-1]) > 9 for c in by_model["discussion.comment"]
    )


def test_password_hashes_and_feed_keys_travel_only_with_secrets(db, tmp_path):
    build_site()
    export_site(tmp_path / "plain.jsonl")
    export_site(tmp_path / "secret.jsonl", with_secrets=True)
    plain = records_by_model(read_export(tmp_path / "plain.jsonl")[1])
    header, records, _ = read_export(tmp_path / "secret.jsonl")
    secret = records_by_model(records)
    assert header["with_secrets"] is True
    assert "readers.replyfeedkey" not in plain and len(secret["readers.replyfeedkey"]) == 1
    for reader in plain["readers.reader"]:
        assert not is_password_usable(reader["fields"]["password"])
    for reader in secret["readers.reader"]:
        assert check_password(PASSWORD, reader["fields"]["password"])
    text = (tmp_path / "plain.jsonl").read_text()
    for reader in secret["readers.reader"]:
        assert reader["fields"]["password"] not in text


def test_two_exports_of_one_site_differ_only_in_their_time(db, tmp_path):
    build_site()
    export_site(tmp_path / "a.jsonl", with_secrets=True)
    export_site(tmp_path / "b.jsonl.gz", with_secrets=True)
    header_a, records_a, _ = read_export(tmp_path / "a.jsonl")
    header_b, records_b, _ = read_export(tmp_path / "b.jsonl.gz")
    assert records_a == records_b
    assert {**header_a, "exported_at": None} == {**header_b, "exported_at": None}


def test_the_command_exports_a_new_site(tmp_path):
    result = run_cli(["export", str(tmp_path / "site.jsonl")], tmp_path / "var")
    assert result.returncode == 0, result.stderr
    assert "exported 0 records" in result.stdout and "without secrets" in result.stdout
    header, records, trailer = read_export(tmp_path / "site.jsonl")
    assert records == [] and trailer["records"] == 0
    assert header["database"] == "sqlite"
    assert not (tmp_path / "site.jsonl.partial").exists()
    assert json.loads((tmp_path / "site.jsonl").read_text().splitlines()[-1])["end"]


def test_an_export_reads_one_snapshot_and_blocks_no_writer(
    transactional_db, make_article, make_reader
):
    """A comment committed while the export reads is not half in it: every table is
    read as it was when the export began, and the writer is not kept waiting (on
    SQLite a deferred read transaction in WAL mode; Django's atomic() would take the
    write lock)."""
    from broadsheet.discussion.models import Comment
    from broadsheet.discussion.operations import post_comment
    from broadsheet.integrations.archive.exporting import snapshot
    from tests.concurrency import run_at_once

    article, author = make_article(), make_reader()
    post_comment(article=article, author=author, body="Before the export.")
    with snapshot():
        assert Comment.objects.count() == 1
        results, errors = run_at_once(
            [lambda: post_comment(article=article, author=author, body="During the export.")]
        )
        assert not errors and results[0].number == 2
        assert Comment.objects.count() == 1
    assert Comment.objects.count() == 2
