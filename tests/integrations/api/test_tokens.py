"""Personal tokens from the command line, the settings page and the admin."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from broadsheet.readers.access import find_api_token
from broadsheet.readers.models import ApiToken
from tests.integrations.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def run_token(*args) -> str:
    out = StringIO()
    call_command("token", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_token_create_prints_a_working_token_once(client, kestrel):
    secret = run_token("create", "kestrel-7", "--scope", "write", "--name", "my script").strip()
    assert secret.startswith("bs_")
    token = find_api_token(secret)
    assert token.reader == kestrel and token.scope == "write" and token.name == "my script"
    assert ApiClient(client, secret).get("/me").json()["handle"] == "kestrel-7"
    listing = run_token("list", "kestrel-7")
    assert token.prefix in listing and "write" in listing and "my script" in listing
    assert secret not in listing


def test_token_revoke_by_prefix_stops_it(client, kestrel):
    secret = run_token("create", "kestrel-7").strip()
    assert "revoked" in run_token("revoke", secret[:10])
    assert find_api_token(secret) is None
    assert ApiClient(client, secret).get("/me").status_code == 401


def test_token_commands_refuse_unknown_readers_and_short_prefixes(kestrel):
    with pytest.raises(CommandError):
        run_token("create", "nobody-here")
    with pytest.raises(CommandError):
        run_token("revoke", "bs_")


def test_broadsheet_help_lists_token():
    from broadsheet.cli import COMMANDS

    assert "token" in COMMANDS


def test_settings_page_creates_shows_once_and_revokes(client, kestrel):
    client.force_login(kestrel)
    assert b"/accounts/settings/tokens/" in client.get("/accounts/settings/").content
    page = client.post("/accounts/settings/tokens/", {"name": "Phone app", "scope": "write"})
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    secret = re.search(rb"data-token-secret>([^<]+)<", page.content).group(1).decode()
    assert find_api_token(secret).name == "Phone app"
    again = client.get("/accounts/settings/tokens/")
    assert secret.encode() not in again.content  # shown once
    assert b"Phone app" in again.content
    token = ApiToken.objects.get(reader=kestrel)
    client.post(f"/accounts/settings/tokens/{token.pk}/revoke/")
    assert find_api_token(secret) is None


def test_a_reader_cannot_make_a_moderate_token_or_revoke_anothers(client, kestrel, nikolai):
    from broadsheet.readers.operations import create_api_token

    theirs = create_api_token(reader=nikolai, name="theirs", scope="read")
    client.force_login(kestrel)
    response = client.post("/accounts/settings/tokens/", {"name": "sneaky", "scope": "moderate"})
    assert response.status_code == 400
    assert not ApiToken.objects.filter(reader=kestrel).exists()
    assert client.post(f"/accounts/settings/tokens/{theirs.token.pk}/revoke/").status_code == 404
    assert find_api_token(theirs.secret) is not None


def test_token_creation_is_limited(client, kestrel, settings):
    settings.BROADSHEET_API_TOKENS_PER_HOUR = 1
    client.force_login(kestrel)
    assert (
        client.post("/accounts/settings/tokens/", {"name": "one", "scope": "read"}).status_code
        == 200
    )
    assert (
        client.post("/accounts/settings/tokens/", {"name": "two", "scope": "read"}).status_code
        == 429
    )


def test_admin_lists_tokens_without_secrets_and_revokes(admin_client, kestrel):
    from broadsheet.readers.operations import create_api_token

    issued = create_api_token(reader=kestrel, name="in admin", scope="read")
    listing = admin_client.get("/admin/readers/apitoken/")
    assert listing.status_code == 200
    assert issued.token.prefix.encode() in listing.content
    change = admin_client.get(f"/admin/readers/apitoken/{issued.token.pk}/change/")
    assert issued.token.token_hash.encode() not in change.content
    assert issued.secret.encode() not in change.content
    admin_client.post(
        "/admin/readers/apitoken/",
        {"action": "revoke_tokens", "_selected_action": [issued.token.pk]},
    )
    assert find_api_token(issued.secret) is None
