"""/metrics: who may read it, what it counts, across processes; and JSON logs."""

import json
import re
import threading
import time
import urllib.request

import pytest
from prometheus_client import REGISTRY

from broadsheet.discussion.refusals import CommentRejected
from broadsheet.metrics import kind_of_path
from tests.servers import Server, fetch


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/", "home"),
        ("/articles/the-last-ferry/", "article"),
        ("/articles/the-last-ferry/comments/", "comment"),
        ("/articles/the-last-ferry/comments/12/", "comment"),
        ("/articles/the-last-ferry/live/", "live"),
        ("/notifications/live/", "live"),
        ("/static/core/site.css", "static"),
        ("/api/v1/articles", "api"),
        ("/accounts/sign-in/", "account"),
        ("/feeds/articles.atom", "feed"),
        ("/healthz", "health"),
        ("/wp-login.php", "other"),
        ("/" + "x" * 5000, "other"),
    ],
)
def test_a_path_names_one_of_a_few_kinds_of_page(path, kind):
    assert kind_of_path(path) == kind


@pytest.mark.django_db
def test_metrics_answer_loopback_in_prometheus_text(client):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    for name in (
        "broadsheet_requests_total",
        "broadsheet_front_cache_lookups_total",
        "broadsheet_comments_posted_total",
        "broadsheet_live_pages_open",
        'broadsheet_task_backlog{measure="ready"}',
    ):
        assert name in text


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["203.0.113.9", "10.0.0.1", "", "not an address"])
def test_metrics_are_a_404_to_everyone_else(client, address):
    response = client.get("/metrics", REMOTE_ADDR=address)
    assert response.status_code == 404
    assert b"broadsheet_" not in response.content


@pytest.mark.django_db
def test_configured_networks_may_scrape(client, settings):
    from broadsheet.serving.metrics import _scrapers

    settings.BROADSHEET_METRICS_ADDRESSES = ["10.1.0.0/16"]
    _scrapers.cache_clear()
    try:
        assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    finally:
        settings.BROADSHEET_METRICS_ADDRESSES = ["127.0.0.1", "::1"]
        _scrapers.cache_clear()


def test_posts_and_refusals_are_counted_by_outcome_and_reason(article, kestrel, make_comment):
    published = sample("broadsheet_comments_posted_total", outcome="published")
    too_long = sample("broadsheet_comments_refused_total", reason="too_long")
    empty = sample("broadsheet_comments_refused_total", reason="empty")
    make_comment(article, kestrel)
    for body in ("x" * 100_000, "   "):
        with pytest.raises(CommentRejected):
            make_comment(article, kestrel, body)
    assert sample("broadsheet_comments_posted_total", outcome="published") == published + 1
    assert sample("broadsheet_comments_refused_total", reason="too_long") == too_long + 1
    assert sample("broadsheet_comments_refused_total", reason="empty") == empty + 1


def test_held_comments_are_counted_as_held(article, kestrel, make_comment):
    from broadsheet.moderation.operations import set_discussion_mode

    set_discussion_mode(article=article, editor=None, mode="premoderated")
    held = sample("broadsheet_comments_posted_total", outcome="held")
    make_comment(article, kestrel)
    assert sample("broadsheet_comments_posted_total", outcome="held") == held + 1


def _scrape(base: str) -> dict[str, float]:
    status, text = fetch(base + "/metrics")
    assert status == 200
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = values.get(name, 0.0) + float(value)
    return values


@pytest.mark.slow
def test_two_app_processes_add_up_and_log_json_lines(tmp_path):
    """`serve --workers 2`: requests answered by either process are counted once
    each, open live pages are summed, and the access log is JSON lines."""
    server = Server(tmp_path / "var", "--workers", "2", env={"BROADSHEET_LOG_FORMAT": "json"})
    try:
        slug = "last-ferry-on-the-kama"
        for _ in range(20):
            assert fetch(f"{server.base}/articles/{slug}/")[0] == 200
        assert fetch(f"{server.base}/no-such-page")[0] == 404

        streams = []

        def open_stream() -> None:
            response = urllib.request.urlopen(f"{server.base}/articles/{slug}/live/", timeout=10)
            streams.append(response)

        threads = [threading.Thread(target=open_stream) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        deadline = time.monotonic() + 10
        while _scrape(server.base).get("broadsheet_live_pages_open", 0) < 3:
            assert time.monotonic() < deadline, "open live pages never reached 3"
            time.sleep(0.2)

        values = _scrape(server.base)
        article_200 = 'broadsheet_requests_total{kind="article",status="200"}'
        assert values[article_200] == 20
        assert values['broadsheet_requests_total{kind="other",status="404"}'] == 1
        hits = values.get('broadsheet_front_cache_lookups_total{result="hit"}', 0)
        misses = values.get('broadsheet_front_cache_lookups_total{result="miss"}', 0)
        # Every signed-out GET asks the front cache (health checks and scrapes too).
        assert hits >= 10 and hits + misses >= 20
        assert values['broadsheet_request_duration_seconds_count{kind="article"}'] == 20
        for stream in streams:
            stream.close()
    finally:
        server.stop()
    log = server.process.stdout.read()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("path") == f"/articles/{slug}/"]
    assert len(access) == 20
    assert {line["status"] for line in access} == {200}
    assert all(line["level"] == "INFO" and "time" in line for line in access)
    assert not re.search(r"^\S+ \S+ INFO uvicorn", log, re.M), "a plain line slipped through"
