"""The page scripts: each page loads the behaviours it uses, and the discussion hands
them what they need in data attributes (docs/adr/0008-page-scripts.md)."""

import re
from pathlib import Path

import pytest

import broadsheet

SCRIPT_SRC = re.compile(r'<script src="/static/([\w/-]+?)\.[0-9a-f]{12}\.js" defer></script>')
DISCUSSION_SCRIPTS = {
    "discussion/personal-layer",
    "discussion/permalink",
    "discussion/quote-selection",
    "discussion/comment-form",
    "discussion/quote-source",
    "discussion/voting",
    "discussion/presence",
    "discussion/live",
}


def scripts_of(response) -> set[str]:
    return set(SCRIPT_SRC.findall(response.content.decode()))


def section_tag(response) -> str:
    return re.search(r'<section class="discussion".*?>', response.content.decode(), re.S).group(0)


@pytest.mark.django_db
def test_the_home_page_loads_no_script(client, article):
    assert "<script" not in client.get("/").content.decode()


@pytest.mark.django_db
def test_an_article_page_loads_the_discussion_behaviours_only(client, article):
    assert scripts_of(client.get(article.get_absolute_url())) == DISCUSSION_SCRIPTS


@pytest.mark.django_db
def test_the_moderation_queue_loads_its_keyboard_program_only(client, moderator):
    client.force_login(moderator)
    # Every signed-in page also keeps the header's notification count live.
    assert scripts_of(client.get("/moderation/")) == {
        "moderation/queue",
        "notifications/notifications",
    }


def test_no_template_holds_an_inline_script():
    """The Content-Security-Policy allows scripts from our own files only."""
    for template in Path(broadsheet.__file__).parent.rglob("templates/**/*.html"):
        for tag in re.findall(r"<script\b[^>]*>", template.read_text()):
            assert " src=" in tag, f"{template}: {tag}"


@pytest.mark.django_db
def test_a_signed_out_readers_discussion_names_no_reader_and_no_token(client, article):
    tag = section_tag(client.get(article.get_absolute_url()))
    assert "data-reader-handle" not in tag and "data-csrf-token" not in tag
    assert 'data-comment-url="/articles/the-last-ferry/comments/{number}/"' in tag
    assert (
        'data-sign-in-url="/accounts/sign-in/?next=/articles/the-last-ferry/%23discussion"' in tag
    )


@pytest.mark.django_db
def test_a_signed_in_readers_discussion_hands_over_handle_and_token(client, article, kestrel):
    client.force_login(kestrel)
    response = client.get(article.get_absolute_url())
    tag = section_tag(response)
    assert 'data-reader-handle="kestrel-7"' in tag
    token = re.search(r'data-csrf-token="([^"]+)"', tag).group(1)
    assert f'name="csrfmiddlewaretoken" value="{token}"' in response.content.decode()
