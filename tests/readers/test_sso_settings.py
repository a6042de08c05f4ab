"""The single sign-on settings as the environment gives them to a starting site."""

import json
import subprocess
import sys

import pytest

from tests.servers import cli_env

PRINT_SETTINGS = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'form_action': settings.CONTENT_SECURITY_POLICY['DIRECTIVES']"
    "['form-action'], 'logout': settings.BROADSHEET_SSO_LOGOUT_URL}))"
)


def start(tmp_path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        env={**cli_env(tmp_path, **env), "DJANGO_SETTINGS_MODULE": "broadsheet.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_newsroom_s_sign_out_page_may_receive_the_sign_out_form(tmp_path):
    result = start(tmp_path, BROADSHEET_SSO_LOGOUT_URL="https://news.example:8443/logout?next=/")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["form_action"] == ["'self'", "https://news.example:8443"]


def test_without_a_logout_url_forms_go_only_to_this_site(tmp_path):
    result = start(tmp_path)
    assert json.loads(result.stdout)["form_action"] == ["'self'"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BROADSHEET_SSO_SECRET": "short"}, "BROADSHEET_SSO_SECRET is too short"),
        ({"BROADSHEET_SSO_LOGOUT_URL": "javascript:alert(1)"}, "expected an http(s) URL"),
        ({"BROADSHEET_SSO_JWKS_URL": "file:///etc/passwd"}, "expected an http(s) URL"),
        (
            {"BROADSHEET_SSO_TRUST_EMAIL_TO_LINK_ACCOUNTS": "true"},
            "needs BROADSHEET_SSO_EMAIL_VERIFIED=true",
        ),
    ],
)
def test_a_dangerous_configuration_stops_the_start_up(tmp_path, env, message):
    result = start(tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr
