# ruff: noqa: RUF001 - look-alike and non-Latin letters are the point here
import importlib

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.urls import reverse

from broadsheet.readers.identity import clean_display_name, handle_skeleton
from broadsheet.readers.models import Reader
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SIGN_UP = {"display_name": "Someone", "email": "someone@example.org", "password": PASSWORD}


def sign_up(client, **fields):
    return client.post(reverse("readers:sign_up"), {**SIGN_UP, **fields})


@pytest.mark.parametrize(
    "lookalike", ["kestreI-7", "KESTREI-7", "kestre1-7", "KestreI-7", "kestrei-7"]
)
def test_sign_up_refuses_a_handle_that_looks_like_an_existing_one(client, kestrel, lookalike):
    response = sign_up(client, handle=lookalike)
    assert response.status_code == 400
    assert "looks too much like another reader" in str(response.context["form"].errors["handle"])
    assert Reader.objects.count() == 1


@pytest.mark.parametrize(
    ("existing", "lookalike"), [("p0st-office", "pOst-office"), ("modern", "rnodern")]
)
def test_zero_and_o_and_rn_and_m_count_as_look_alikes(client, make_reader, existing, lookalike):
    make_reader(existing)
    assert sign_up(client, handle=lookalike).status_code == 400


def test_the_database_refuses_a_look_alike_that_skips_the_form(kestrel):
    # Two sign-ups racing past the form's check: the unique skeleton stops the second.
    with pytest.raises(IntegrityError):
        Reader.objects.create_user(handle="kestreI-7", email="other@example.org", password="x")


def test_renaming_a_reader_keeps_the_skeleton_in_step(kestrel):
    kestrel.handle = "falcon-3"
    kestrel.save(update_fields=["handle"])
    kestrel.refresh_from_db()
    assert kestrel.handle_skeleton == handle_skeleton("falcon-3")


@pytest.mark.parametrize("handle", ["admin", "ADMIN", "Adrnin", "moderat0r", "ROOT", "SUPP0RT"])
def test_reserved_handles_are_refused_at_sign_up(client, db, handle):
    response = sign_up(client, handle=handle)
    assert response.status_code == 400
    assert "reserved" in str(response.context["form"].errors["handle"])


def test_the_sites_own_name_is_reserved(client, db, settings):
    settings.BROADSHEET_SITE_NAME = "Daily Planet"
    assert sign_up(client, handle="daily-pIanet").status_code == 400
    assert sign_up(client, handle="broadsheet").status_code == 400


@pytest.mark.parametrize(
    "disguised",
    [
        "Anna \u202ePetrova",  # RIGHT-TO-LEFT OVERRIDE
        "Anna\u2066 Petrova\u2069",  # LEFT-TO-RIGHT ISOLATE ... POP DIRECTIONAL ISOLATE
        "\u200fAnna Petrova\u200e",  # RIGHT-TO-LEFT and LEFT-TO-RIGHT MARKS
        "An\u200bna Pe\u200dtrova\ufeff",  # zero-width space, joiner, no-break space
        "Anna\u2060 \u061cPetrova",  # WORD JOINER, ARABIC LETTER MARK
        "Anna\x07\x1b Petrova",  # control characters
    ],
)
def test_display_names_lose_direction_overrides_and_invisible_characters(client, db, disguised):
    assert sign_up(client, handle="anna-p", display_name=disguised).status_code == 302
    assert Reader.objects.get(handle="anna-p").display_name == "Anna Petrova"


def test_a_display_name_of_nothing_but_invisible_characters_is_refused(client, db):
    response = sign_up(client, handle="ghost", display_name="\u200b\u202e\u200d")
    assert response.status_code == 400
    assert "Please enter a display name" in str(response.context["form"].errors["display_name"])


def test_clean_display_name_keeps_letters_of_every_script_and_parts_words_at_tabs():
    assert clean_display_name("Анна\tПетрова  (Ἀθῆναι)") == "Анна Петрова (Ἀθῆναι)"


def test_createsuperuser_refuses_a_look_alike_handle(kestrel, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="looks too much like"):
        call_command(
            "createsuperuser", "--noinput", "--handle", "kestreI-7", "--email", "boss@example.org"
        )
    assert not Reader.objects.filter(is_superuser=True).exists()


def test_the_admins_add_reader_form_refuses_a_look_alike_handle(client, kestrel, make_reader):
    client.force_login(make_reader("boss-1", is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/readers/reader/add/",
        {
            "handle": "kestre1-7",
            "display_name": "Fake Anna",
            "email": "fake@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "looks too much like another reader" in response.content.decode()
    assert not Reader.objects.filter(email="fake@example.org").exists()


def test_the_migration_fills_skeletons_and_keeps_old_look_alikes_apart(make_reader):
    from django.apps import apps

    migration = importlib.import_module("broadsheet.readers.migrations.0005_reader_handle_skeleton")
    first, second = make_reader("kestrel-7"), make_reader("falcon-3")
    Reader.objects.filter(pk=first.pk).update(handle_skeleton="stale-1")
    # A look-alike pair from before the rule: the older keeps the plain skeleton.
    Reader.objects.filter(pk=second.pk).update(handle="kestreI-7", handle_skeleton="stale-2")
    migration.fill_handle_skeletons(apps, None)
    assert Reader.objects.get(pk=first.pk).handle_skeleton == "kestrel-7"
    assert Reader.objects.get(pk=second.pk).handle_skeleton == f"kestrel-7#{second.pk}"
