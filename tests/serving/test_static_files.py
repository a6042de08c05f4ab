"""Static files: hashed names cached forever, plain names for stored HTML, and the
collection `broadsheet serve` makes by itself."""

import gzip
import json
import re
import urllib.request

import pytest

from broadsheet.serving.static_files import collect_static_files
from tests.servers import Server, fetch

HASHED_STYLESHEET = re.compile(r'href="(/static/core/broadsheet\.[0-9a-f]{12}\.css)"')
HASHED_SCRIPT = re.compile(r'src="(/static/discussion/live\.[0-9a-f]{12}\.js)"')
ONE_YEAR = 365 * 24 * 60 * 60


def _max_age(cache_control: str) -> int:
    return int(re.search(r"max-age=(\d+)", cache_control).group(1))


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.django_db
def test_pages_name_the_stylesheet_and_script_by_hashed_names_cached_forever(client, article):
    page = client.get(article.get_absolute_url()).content.decode()
    stylesheet = HASHED_STYLESHEET.search(page).group(1)
    script = HASHED_SCRIPT.search(page).group(1)

    for url in (stylesheet, script):
        response = client.get(url)
        assert response.status_code == 200
        cache_control = response["Cache-Control"]
        assert "immutable" in cache_control and "public" in cache_control
        assert _max_age(cache_control) >= ONE_YEAR
    assert b".comment" in _body(client.get(stylesheet))


@pytest.mark.django_db
def test_a_browser_that_accepts_gzip_gets_the_copy_compressed_when_collected(client):
    stylesheet = HASHED_STYLESHEET.search(client.get("/").content.decode()).group(1)
    response = client.get(stylesheet, headers={"Accept-Encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    assert b".comment" in gzip.decompress(_body(response))


@pytest.mark.django_db
def test_plain_names_still_work_with_short_caching_for_html_stored_in_comments(client):
    """Comments store their emoticons' plain URLs and articles name images by plain
    URLs in Markdown: those outlive releases, so they are served, but cached briefly."""
    for url in ("/static/discussion/emoticons/wink.svg", "/static/demo/ferry.svg"):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "max-age=60, public"


def test_emoticons_in_comments_use_the_plain_name_that_outlives_a_release():
    from broadsheet.discussion.rendering import render_comment_markdown

    html = render_comment_markdown("Fine ;)")
    assert 'src="/static/discussion/emoticons/wink.svg"' in html


def test_hashed_files_are_served_forever_through_the_async_middleware_chain(asgi_server):
    """The ASGI server runs our async WhiteNoise wrapper, not WhiteNoise's sync path."""
    with urllib.request.urlopen(asgi_server + "/", timeout=10) as response:
        page = response.read().decode()
    stylesheet = HASHED_STYLESHEET.search(page).group(1)
    with urllib.request.urlopen(asgi_server + stylesheet, timeout=10) as response:
        assert response.status == 200
        assert "immutable" in response.headers["Cache-Control"]
        assert _max_age(response.headers["Cache-Control"]) >= ONE_YEAR
        assert b".comment" in response.read()


def test_collecting_runs_only_when_the_sources_changed(tmp_path, settings):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "note.txt").write_text("first")
    settings.STATICFILES_DIRS = [extra]
    settings.STATIC_ROOT = tmp_path / "static"
    manifest = tmp_path / "static" / "staticfiles.json"

    assert collect_static_files() is True
    assert collect_static_files() is False
    first = json.loads(manifest.read_text())["paths"]["note.txt"]

    (extra / "note.txt").write_text("second")
    assert collect_static_files() is True
    second = json.loads(manifest.read_text())["paths"]["note.txt"]
    assert first != second
    # The previous release's hashed file stays for pages that still name it.
    assert (tmp_path / "static" / first).exists()

    manifest.unlink()
    assert collect_static_files() is True
    assert manifest.exists()


@pytest.mark.slow
def test_serve_on_a_new_data_folder_collects_and_serves_hashed_names(tmp_path):
    data_dir = tmp_path / "var"
    server = Server(data_dir, "--no-demo")
    try:
        status, home = fetch(server.base + "/")
        assert status == 200
        stylesheet = HASHED_STYLESHEET.search(home).group(1)
        with urllib.request.urlopen(server.base + stylesheet, timeout=5) as response:
            assert response.status == 200
            assert "immutable" in response.headers["Cache-Control"]
    finally:
        server.stop()
    assert (data_dir / "static" / "staticfiles.json").exists()
