"""A session ended from another process stops getting its kept personal layer from
every server process at once (docs/personal-layer.md): `broadsheet serve --workers 2`
keeps layers in each worker's front cache, and a shell command ends the session."""

import json
import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.servers import BROADSHEET, Server, cli_env
from tests.serving.test_front_cache_across_processes import publish

pytestmark = pytest.mark.slow

LAYER = "/layer/articles/ferry-saved/"
CSRF_SECRET = "p" * 32

NEW_SESSION = """
from django.test import Client
from broadsheet.readers.operations import sign_up_reader
reader = sign_up_reader(handle="{handle}", display_name="Test Reader",
                        email="{handle}@example.org", password="a long passphrase 42",
                        site_url=None)
client = Client()
client.force_login(reader)
print(client.cookies["sessionid"].value)
"""

END_SESSION = """
from broadsheet.readers.devices import hash_session_key
from broadsheet.readers.models import Reader
from broadsheet.readers.operations import end_sessions
end_sessions(reader=Reader.objects.get(handle="{handle}"), key_hashes=[hash_session_key("{key}")])
"""


def shell(data_dir: Path, code: str, **env: str) -> str:
    """Run `code` in a process of its own (`broadsheet manage shell`); its last word."""
    result = subprocess.run(
        [*BROADSHEET, "manage", "shell", "-c", code],
        env=cli_env(data_dir, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    words = result.stdout.split()
    return words[-1] if words else ""


def ask_layer(base: str, session: str) -> tuple[int, str]:
    cookie = f"sessionid={session}; csrftoken={CSRF_SECRET}; broadsheet_layer=1"
    request = urllib.request.Request(base + LAYER, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def ending_a_session_elsewhere_stops_its_layer_everywhere(data_dir: Path, **env: str) -> None:
    publish(data_dir, "published", **env)
    session = shell(data_dir, NEW_SESSION.format(handle="kestrel-7"), **env)
    other = shell(data_dir, NEW_SESSION.format(handle="unc-2"), **env)
    server = Server(data_dir, "--no-demo", "--no-worker", "--workers", "2", env=env)
    try:
        for _ in range(8):  # both workers keep it
            status, body = ask_layer(server.base, session)
            assert status == 200 and json.loads(body)["handle"] == "kestrel-7"
            status, body = ask_layer(server.base, other)
            assert status == 200 and json.loads(body)["handle"] == "unc-2"
        shell(data_dir, END_SESSION.format(handle="kestrel-7", key=session), **env)
        for _ in range(8):
            status, body = ask_layer(server.base, session)
            assert status == 401, body
            assert "kestrel-7" not in body
        assert ask_layer(server.base, other)[0] == 200  # another reader's is untouched
    finally:
        server.stop()


def test_a_session_ended_by_another_process_gets_no_layer_from_any_worker(tmp_path):
    ending_a_session_elsewhere_stops_its_layer_everywhere(tmp_path)


def test_the_same_through_redis(tmp_path):
    url = os.environ.get("BROADSHEET_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must run with Redis: scripts/test starts it")
        pytest.skip("needs a Redis server: run through scripts/test")
    ending_a_session_elsewhere_stops_its_layer_everywhere(tmp_path, BROADSHEET_REDIS_URL=url)
