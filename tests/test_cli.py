"""The `broadsheet` command as an operator runs it: a real process on a new data folder."""

import pytest

from tests.servers import Browserless, Server, fetch, run


def test_help_lists_every_command(tmp_path):
    result = run(["--help"], tmp_path)
    assert result.returncode == 0
    for command in ["serve", "publish", "grant", "demo", "createsuperuser", "migrate", "manage"]:
        assert f"  {command} " in result.stdout


def test_an_unknown_command_is_an_error(tmp_path):
    result = run(["frobnicate"], tmp_path)
    assert result.returncode == 2
    assert "unknown command" in result.stderr


@pytest.mark.slow
def test_serve_on_a_new_data_folder_migrates_makes_a_key_and_shows_the_demo(tmp_path):
    data_dir = tmp_path / "var"
    server = Server(data_dir)
    try:
        status, home = fetch(server.base + "/")
        assert status == 200
        assert "/articles/last-ferry-on-the-kama/" in home
        status, page = fetch(server.base + "/articles/last-ferry-on-the-kama/")
        assert status == 200
        assert "1." in page and "unc-2" in page and "Nikolai Malyugin" in page
        assert 'alt="winked"' in page
        assert "Lenta.ru" in page
        assert "must sign in" in page
        assert fetch(server.base + "/articles/last-ferry-on-the-kama/comments/3/")[0] == 200
        assert fetch(server.base + "/static/discussion/emoticons/wink.svg")[0] == 200
    finally:
        server.stop()
    assert (data_dir / "broadsheet.sqlite3").exists()
    key = data_dir / "secret_key"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"


@pytest.mark.slow
def test_serve_with_no_demo_leaves_the_site_empty(tmp_path):
    server = Server(tmp_path / "var", "--no-demo")
    try:
        status, home = fetch(server.base + "/")
        assert status == 200
        assert "Nothing has been published yet." in home
    finally:
        server.stop()


def test_publish_and_grant_work_on_a_new_data_folder(tmp_path):
    source = tmp_path / "story.md"
    source.write_text("---\ntitle: A story\nslug: a-story\n---\n\nBody text.\n")
    data_dir = tmp_path / "var"
    result = run(["publish", str(source)], data_dir)
    assert result.returncode == 0, result.stderr
    assert "published /articles/a-story/" in result.stdout
    result = run(["publish", str(source)], data_dir)
    assert "updated /articles/a-story/" in result.stdout
    result = run(["grant", "nobody", "editor"], data_dir)
    assert result.returncode != 0
    assert "no reader" in result.stderr


@pytest.mark.parametrize("command", ["serve", "publish", "grant"])
def test_each_command_explains_its_options(tmp_path, command):
    result = run([command, "--help"], tmp_path)
    assert result.returncode == 0
    assert "usage:" in result.stdout


@pytest.mark.slow
def test_an_acknowledged_comment_survives_the_server_being_killed(tmp_path):
    data_dir = tmp_path / "var"
    server = Server(data_dir)
    try:
        reader = Browserless(server.base)
        status, _ = reader.post_form(
            "/accounts/sign-up/",
            {
                "handle": "nightjar",
                "display_name": "Vera Krylova",
                "email": "vera@example.org",
                "password": "a long and private passphrase",
            },
        )
        assert status == 302
        article = "/articles/last-ferry-on-the-kama/"
        _status, page = reader.get(article)
        import re

        key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
        status, location = reader.post_form(
            article,
            {
                "body": "Acknowledged, so kept.",
                "submission_key": key,
                "_action": article + "comments/",
            },
        )
        assert (status, location) == (302, article + "comments/8/")  # the demo has 7
    finally:
        server.process.kill()  # no shutdown, no chance to flush anything more
        server.process.wait()
    server = Server(data_dir)
    try:
        status, page = fetch(server.base + article + "comments/8/")
        assert status == 200
        assert "Acknowledged, so kept." in page
        # The same form sent again after the restart does not make a second comment.
        reader = Browserless(server.base)
        reader.post_form(
            "/accounts/sign-in/",
            {"username": "nightjar", "password": "a long and private passphrase"},
        )
        status, location = reader.post_form(
            article,
            {
                "body": "Acknowledged, so kept.",
                "submission_key": key,
                "_action": article + "comments/",
            },
        )
        assert (status, location) == (302, article + "comments/8/")  # the demo has 7
        assert fetch(server.base + article + "comments/9/")[0] == 404
    finally:
        server.stop()


@pytest.mark.slow
def test_demo_generates_a_large_site(tmp_path):

    result = run(["demo", "--articles", "20", "--comments-per-article", "500"], tmp_path / "var")
    assert result.returncode == 0, result.stderr
    assert "generated 20 articles and 10000 comments" in result.stdout
    server = Server(tmp_path / "var", "--no-demo")
    try:
        status, page = fetch(server.base + "/articles/generated-7/")
        assert status == 200 and "500 comments" in page
        status, page = fetch(server.base + "/articles/generated-7/comments/499/")
        assert status == 200 and 'id="comment-499"' in page
    finally:
        server.stop()


@pytest.mark.slow
def test_demo_adds_articles_of_another_size_beside_the_first(tmp_path):
    run(["demo", "--articles", "1", "--comments-per-article", "3"], tmp_path / "var")
    result = run(
        ["demo", "--articles", "2", "--comments-per-article", "7", "--slug-prefix", "big"],
        tmp_path / "var",
    )
    assert result.returncode == 0, result.stderr
    again = run(
        ["demo", "--articles", "2", "--comments-per-article", "7", "--slug-prefix", "big"],
        tmp_path / "var",
    )
    assert again.returncode == 0, again.stderr  # existing articles are left as they are
    server = Server(tmp_path / "var", "--no-demo")
    try:
        assert "3 comments" in fetch(server.base + "/articles/generated-0/")[1]
        assert "7 comments" in fetch(server.base + "/articles/big-1/")[1]
        counts = fetch(server.base + "/comment-counts/?article=big-0&article=generated-0")[1]
        assert counts == '{"counts": {"big-0": 7, "generated-0": 3}}'
    finally:
        server.stop()


def test_demo_refuses_a_prefix_that_cannot_be_an_address(tmp_path):
    result = run(["demo", "--articles", "1", "--slug-prefix", "no/slashes"], tmp_path / "var")
    assert result.returncode != 0
    assert "--slug-prefix may hold only" in result.stderr
