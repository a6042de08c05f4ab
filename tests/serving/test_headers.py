"""Headers that keep pages where they belong: private for signed-in readers,
HTTPS kept once reached, and an access log a stranger cannot flood."""

import logging
import logging.config

import pytest

from broadsheet.serving.access_log import ShortRequestLines, shorten, uvicorn_log_config

pytestmark = pytest.mark.django_db


def test_a_signed_in_readers_pages_say_cache_control_private(signed_in_client, article):
    for url in ("/", article.get_absolute_url(), "/readers/kestrel-7/"):
        response = signed_in_client.get(url)
        assert response.status_code == 200
        assert "private" in response["Cache-Control"], url


def test_the_sign_in_answer_that_sets_the_session_is_private(client, kestrel):
    from tests.conftest import PASSWORD

    response = client.post("/accounts/sign-in/", {"username": "kestrel-7", "password": PASSWORD})
    assert response.status_code == 302
    assert "private" in response["Cache-Control"]


def test_signed_out_article_pages_stay_shareable(client, article):
    response = client.get(article.get_absolute_url())
    assert "private" not in response["Cache-Control"]


def test_https_responses_carry_hsts_and_plain_http_ones_do_not(client, article):
    secure = client.get("/", secure=True)
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/")


def test_access_log_cuts_long_request_lines_and_escapes_control_characters(settings):
    settings.BROADSHEET_ACCESS_LOG_MAX_PATH = 100
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/search/?q=" + "a" * 60_000, "1.1", 200),
        None,
    )
    assert ShortRequestLines().filter(record)
    line = record.getMessage()
    assert len(line) < 200
    assert "[59911 more]" in line
    assert shorten("/x\n127.0.0.1 - forged", 100) == "/x\\n127.0.0.1 - forged"


def test_access_log_keeps_no_single_sign_on_token():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/accounts/sso/?token=eyJhbGc.eyJzdWIi.c2ln&next=/", "1.1", 302),
        None,
    )
    assert ShortRequestLines().filter(record)
    assert "eyJ" not in record.getMessage()
    assert record.path == "/accounts/sso/?token=[redacted]&next=/"


def test_serve_puts_the_filter_on_uvicorns_access_log():
    config = uvicorn_log_config()
    assert config["handlers"]["access"]["filters"] == ["short_request_lines"]
    logging.config.dictConfig(config)
    handler = logging.getLogger("uvicorn.access").handlers[0]
    assert any(isinstance(f, ShortRequestLines) for f in handler.filters)


def test_static_files_stay_public_for_a_signed_in_reader(signed_in_client, article):
    """The same bytes for everyone: a proxy in front may keep them whoever asks."""
    import re

    page = signed_in_client.get(article.get_absolute_url()).content.decode()
    stylesheet = re.search(r'href="(/static/core/broadsheet\.[0-9a-f]{12}\.css)"', page).group(1)
    response = signed_in_client.get(stylesheet)
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "private" not in response["Cache-Control"]
