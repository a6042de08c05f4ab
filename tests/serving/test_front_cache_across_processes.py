"""The front cache hears of changes made by other processes at once: an article
unpublished by `broadsheet publish`, run beside the server, is gone from the
server's very next answer (issue 10, point 8)."""

import os
from pathlib import Path

import pytest

from tests.servers import BROADSHEET, Server, cli_env, fetch

pytestmark = pytest.mark.slow

SOURCE = """\
---
title: Ferry saved for one more summer
slug: ferry-saved
lead: The village raised the money itself.
author: Irina Lebedeva
language: en
published: 2023-06-20 09:00
status: {status}
---

The ferry leaves at ten past six.
"""


def publish(data_dir: Path, status: str, **env: str) -> None:
    import subprocess

    source = data_dir / f"{status}.md"
    source.write_text(SOURCE.format(status=status))
    result = subprocess.run(
        [*BROADSHEET, "publish", str(source)],
        env=cli_env(data_dir, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def unpublishing_from_another_process_takes_effect_at_once(data_dir: Path, **env: str):
    publish(data_dir, "published", **env)
    server = Server(data_dir, "--no-demo", env=env)
    try:
        url = server.base + "/articles/ferry-saved/"
        for _ in range(3):  # the repeats are answered from the front cache
            assert fetch(url)[0] == 200
        publish(data_dir, "draft", **env)
        assert fetch(url)[0] == 404
        publish(data_dir, "published", **env)
        assert fetch(url)[0] == 200
    finally:
        server.stop()


def test_an_article_unpublished_by_another_process_is_gone_at_once(tmp_path):
    unpublishing_from_another_process_takes_effect_at_once(tmp_path)


def test_an_article_unpublished_by_another_process_through_redis_is_gone_at_once(tmp_path):
    url = os.environ.get("BROADSHEET_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must run with Redis: scripts/test starts it")
        pytest.skip("needs a Redis server: run through scripts/test")
    unpublishing_from_another_process_takes_effect_at_once(tmp_path, BROADSHEET_REDIS_URL=url)
