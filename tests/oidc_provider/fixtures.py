"""Fixtures that run the test OpenID Connect provider (tests/oidc_provider/) as a real
server process and point Broadsheet at it; imported by the tests that use them."""

import copy
import dataclasses
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from broadsheet.readers.social_config import read_social_providers
from tests.conftest import serve_asgi_in_thread
from tests.servers import free_port

PROVIDER_ID = "testid"
PROVIDER_NAME = "Test ID"
CALLBACK_PATH = f"/accounts/oidc/{PROVIDER_ID}/login/callback/"
ROOT = Path(__file__).resolve().parents[2]

# The provider's accounts. Each test that signs one in uses its own, so that a session-
# wide provider serves every test.
USERS = {
    "osprey": {"name": "Olga Sokolova", "email": "osprey@example.org", "email_verified": True},
    "osprey-again": {
        "name": "Olga Again",
        "email": "osprey-again@example.org",
        "email_verified": True,
    },
    "linker": {"name": "Lena Link", "email": "linker@example.org", "email_verified": True},
    "browser-linker": {
        "name": "Bella Link",
        "email": "browser-linker@example.org",
        "email_verified": True,
    },
    "unverified": {"name": "Ulla", "email": "unverified@example.org", "email_verified": False},
    "squatter": {"name": "Sam", "email": "squatted@example.org", "email_verified": True},
    "copycat": {
        "name": "Copy Cat",
        "preferred_username": "kestrel-7",
        "email": "copycat@example.org",
        "email_verified": True,
    },
    "banned": {"name": "Bob", "email": "banned@example.org", "email_verified": True},
    "hostile": {
        "name": "<script>alert(1)</script>\u202eEvil " + "x" * 300,
        "preferred_username": "<b>&amp;",
        "email": "hostile@example.org",
        "email_verified": True,
    },
}
PROVIDER_PASSWORD = "provider password 1"


@dataclasses.dataclass
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    site_port: int  # the port the browser tests serve Broadsheet on (registered)

    def environment(self) -> dict[str, str]:
        return {
            "BROADSHEET_OIDC_PROVIDERS": PROVIDER_ID,
            f"BROADSHEET_OIDC_{PROVIDER_ID.upper()}_CLIENT_ID": self.client_id,
            f"BROADSHEET_OIDC_{PROVIDER_ID.upper()}_SECRET": self.client_secret,
            f"BROADSHEET_OIDC_{PROVIDER_ID.upper()}_ISSUER": self.issuer,
            f"BROADSHEET_OIDC_{PROVIDER_ID.upper()}_NAME": PROVIDER_NAME,
        }


@pytest.fixture(scope="session")
def oidc_provider():
    """The provider, in its own process on a free port, for the whole session."""
    port, site_port = free_port(), free_port()
    state = Path(tempfile.mkdtemp(prefix="oidc-provider-"))
    (state / "users.json").write_text(
        json.dumps({name: {**user, "password": PROVIDER_PASSWORD} for name, user in USERS.items()})
    )
    provider = Provider(
        issuer=f"http://127.0.0.1:{port}/o",
        client_id="broadsheet-test-client",
        client_secret="broadsheet-test-secret-0123456789",
        site_port=site_port,
    )
    env = {
        **os.environ,
        "OIDC_TEST_DIR": str(state),
        "OIDC_TEST_PORT": str(port),
        "OIDC_TEST_CLIENT_ID": provider.client_id,
        "OIDC_TEST_CLIENT_SECRET": provider.client_secret,
        "OIDC_TEST_REDIRECT_URIS": " ".join(
            [
                f"http://testserver{CALLBACK_PATH}",
                f"http://127.0.0.1:{site_port}{CALLBACK_PATH}",
            ]
        ),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = open(state / "provider.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    discovery = f"{provider.issuer}/.well-known/openid-configuration"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(discovery, timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(
                "the test OpenID Connect provider did not start:\n"
                + (state / "provider.log").read_text()
            )
        time.sleep(0.2)
    yield provider
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def configure(settings, environment: dict[str, str]) -> None:
    """Point Broadsheet at providers as settings.py would for this environment."""
    social = read_social_providers(environment)
    settings.SOCIALACCOUNT_PROVIDERS = social.allauth
    settings.BROADSHEET_OIDC_BUTTONS = social.buttons
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] = ["'self'", *social.origins]
    settings.CONTENT_SECURITY_POLICY = policy


@pytest.fixture
def with_oidc_provider(settings, oidc_provider):
    configure(settings, oidc_provider.environment())
    return oidc_provider


@pytest.fixture
def oidc_site(with_oidc_provider, transactional_db):
    """Broadsheet served over ASGI on the port the provider knows as its redirect URI."""
    with serve_asgi_in_thread(with_oidc_provider.site_port) as base:
        yield base


def _hidden_fields(page: str) -> dict[str, str]:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[html.unescape(name.group(1))] = html.unescape(value.group(1) if value else "")
    return fields


def log_in_and_consent(authorize_url: str, username: str) -> str:
    """Do at the provider what a person does (log in, then allow): answers the URL the
    provider sends the browser back to, with its `code` and `state`."""
    with requests.Session() as browser:
        page = browser.get(authorize_url, timeout=10)
        assert "/login/" in page.url, page.url
        login = browser.post(
            page.url,
            data={
                "username": username,
                "password": PROVIDER_PASSWORD,
                "csrfmiddlewaretoken": browser.cookies["provider_csrftoken"],
                **{k: v for k, v in _hidden_fields(page.text).items() if k == "next"},
            },
            headers={"Referer": page.url},
            timeout=10,
        )
        assert "Authorize" in login.text, login.text[:2000]
        consent = browser.post(
            login.url,
            data={**_hidden_fields(login.text), "allow": "Authorize"},
            headers={"Referer": login.url},
            allow_redirects=False,
            timeout=10,
        )
        assert consent.status_code == 302, consent.text[:2000]
        return urljoin(login.url, consent.headers["Location"])
