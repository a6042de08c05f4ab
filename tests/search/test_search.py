"""Search over articles and comments: stemming, snippets, who finds what, the index
kept by every write, hostile queries, limits."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from time_machine import travel

from broadsheet.articles.operations import delete_article, save_article
from broadsheet.discussion.operations import delete_comment, edit_comment
from broadsheet.moderation.operations import (
    approve_comment,
    reject_comment,
    reject_comment_and_restrict_author,
)
from broadsheet.search.models import SearchEntry
from broadsheet.search.queries import SearchFilters, search

pytestmark = pytest.mark.django_db

SEARCH = "/search/"


def found(viewer, query: str, **filters) -> list[str]:
    """The URLs `viewer` finds for `query`."""
    page = search(viewer=viewer or AnonymousUser(), query=query, filters=SearchFilters(**filters))
    return [result.url for result in page.results]


def indexed_ids_matching(word: str) -> list[int]:
    """Ask the database's full-text index itself, not our query code."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT rowid FROM search_entry_fts WHERE search_entry_fts MATCH %s", [f'"{word}"']
            )
        else:
            cursor.execute(
                "SELECT id FROM search_searchentry WHERE document @@ plainto_tsquery("
                "'russian'::regconfig, %s)",
                [word],
            )
        return [row[0] for row in cursor.fetchall()]


# --- stemming and language --------------------------------------------------------


def test_english_words_are_found_by_their_other_forms(article, kestrel, make_comment):
    comment = make_comment(article, kestrel, "Thank you for the reply about the tugboats.")
    assert found(None, "replies") == [comment.get_absolute_url()]
    assert found(None, "tugboat") == [comment.get_absolute_url()]


def test_russian_words_are_found_by_their_other_forms(article, kestrel, make_comment):
    comment = make_comment(article, kestrel, "Это мой первый комментарий про паром.")
    assert found(None, "комментарии") == [comment.get_absolute_url()]
    assert found(None, "парому") == [comment.get_absolute_url()]
    assert found(None, "ПАРОМ") == [comment.get_absolute_url()]


def test_every_word_of_the_query_must_match(article, kestrel, make_comment):
    both = make_comment(article, kestrel, "The council meets about the tugboat.")
    make_comment(article, kestrel, "The council meets on Monday.")
    assert found(None, "council tugboat") == [both.get_absolute_url()]


def test_articles_are_found_by_headline_and_text(make_article):
    article = make_article(
        "harbour-news", title="Harbour cranes return", body_markdown="The dockers cheered."
    )
    assert found(None, "crane") == [article.get_absolute_url()]
    assert found(None, "docker") == [article.get_absolute_url()]


def test_language_filter_tells_russian_from_english(article, kestrel, make_comment):
    russian = make_comment(article, kestrel, "Паром опять опоздал, Tugboat!")
    english = make_comment(article, kestrel, "The tugboat was late again.")
    assert found(None, "tugboat", language="ru") == [russian.get_absolute_url()]
    assert found(None, "tugboat", language="en") == [english.get_absolute_url()]


# --- snippets ----------------------------------------------------------------------


def test_snippet_marks_the_matched_words_and_escapes_the_text(article, kestrel, make_comment):
    make_comment(article, kestrel, "Replies like `<script>alert(1)</script>` are not welcome.")
    [result] = search(viewer=AnonymousUser(), query="reply script", filters=SearchFilters()).results
    assert "<mark>Replies</mark>" in result.snippet
    assert "&lt;<mark>script</mark>&gt;" in result.snippet
    assert "<script" not in result.snippet


def test_the_page_shows_a_comment_s_markup_as_text(client, article, kestrel, make_comment):
    make_comment(article, kestrel, 'Look: <img src=x onerror="alert(1)"> tugboat')
    page = client.get(SEARCH, {"q": "tugboat"}).content.decode()
    assert "<img src=x" not in page
    assert "<mark>tugboat</mark>" in page


def test_a_long_text_is_cut_around_the_first_match(article, kestrel, make_comment):
    filler = " ".join(f"word{n}" for n in range(200))
    make_comment(article, kestrel, f"{filler} harbour {filler}")
    [result] = search(viewer=AnonymousUser(), query="harbour", filters=SearchFilters()).results
    assert "<mark>harbour</mark>" in result.snippet
    assert result.snippet.startswith("…") and result.snippet.endswith("…")
    assert len(result.snippet.split()) < 50


# --- who finds what -------------------------------------------------------------------


@pytest.fixture
def hidden_kinds(article, make_article, kestrel, nikolai, moderator, make_comment, settings):
    """One comment (or article) of every kind a reader must not find, each holding
    the word "secretword"."""
    visible = make_comment(article, nikolai, "A public secretword.")
    rejected = make_comment(article, nikolai, "A rejected secretword.")
    reject_comment(comment=rejected, moderator=moderator, reason="test")
    # Held the way the site holds: a rule holds the edited text.
    held = make_comment(article, nikolai, "A secretword, soon held.")
    settings.BROADSHEET_SUSPECT_WORDS = ["suspicious"]
    edit_comment(comment=held, editor=nikolai, body="Suspicious secretword, held.")
    deleted = make_comment(article, nikolai, "A deleted secretword.")
    delete_comment(comment=deleted, deleter=nikolai)
    draft = make_article("draft-one", title="Draft secretword", status="draft", published_at=None)
    scheduled = make_article(
        "later-one",
        title="Scheduled secretword",
        published_at=timezone.now() + dt.timedelta(days=1),
    )
    scheduled_comment_article = make_article("soon", title="Soon")
    on_scheduled = make_comment(scheduled_comment_article, nikolai, "Early secretword.")
    save_article(
        slug="soon",
        title="Soon",
        body_markdown="Text.",
        published_at=timezone.now() + dt.timedelta(days=1),
    )
    return {
        "visible": visible.get_absolute_url(),
        "held": held.get_absolute_url(),
        "rejected": rejected.get_absolute_url(),
        "deleted": deleted.get_absolute_url(),
        "draft": draft.get_absolute_url(),
        "scheduled": scheduled.get_absolute_url(),
        "on_scheduled": on_scheduled.get_absolute_url(),
    }


def test_readers_and_visitors_find_only_what_the_pages_show(hidden_kinds, kestrel, client):
    assert found(None, "secretword") == [hidden_kinds["visible"]]
    assert found(kestrel, "secretword") == [hidden_kinds["visible"]]
    page = client.get(SEARCH, {"q": "secretword"}).content.decode()
    for kind, url in hidden_kinds.items():
        assert (url in page) == (kind == "visible"), kind


def test_a_reader_finds_their_own_held_comment(hidden_kinds, nikolai):
    assert set(found(nikolai, "secretword")) == {hidden_kinds["visible"], hidden_kinds["held"]}


def test_moderators_find_held_and_rejected_comments(hidden_kinds, moderator):
    assert set(found(moderator, "secretword")) == {
        hidden_kinds["visible"],
        hidden_kinds["held"],
        hidden_kinds["rejected"],
    }


def test_a_scheduled_article_is_found_once_its_time_comes(make_article):
    soon = timezone.now() + dt.timedelta(hours=1)
    article = make_article("at-six", title="Lighthouse reopens", published_at=soon)
    assert found(None, "lighthouse") == []
    with travel(soon + dt.timedelta(minutes=1)):
        assert found(None, "lighthouse") == [article.get_absolute_url()]


def test_filters_by_author_article_and_dates(article, make_article, kestrel, nikolai, make_comment):
    other = make_article("other-story", title="Other")
    mine = make_comment(article, kestrel, "Harbour talk from kestrel.")
    theirs = make_comment(article, nikolai, "Harbour talk from nikolai.")
    elsewhere = make_comment(other, nikolai, "Harbour talk elsewhere.")
    assert found(None, "harbour", author_handle="KESTREL-7") == [mine.get_absolute_url()]
    assert found(None, "harbour", article_slug="other-story") == [elsewhere.get_absolute_url()]
    today = timezone.localdate()
    assert len(found(None, "harbour", since=today, until=today)) == 3
    assert found(None, "harbour", until=today - dt.timedelta(days=1)) == []
    assert theirs.get_absolute_url() in found(None, "harbour", author_handle="unc-2")


def test_a_moderator_filters_held_comments_by_author(hidden_kinds, moderator, kestrel):
    assert found(moderator, "secretword", author_handle="kestrel-7") == []
    assert len(found(moderator, "secretword", author_handle="unc-2")) == 3


# --- the index follows every write --------------------------------------------------------


def test_an_edit_that_is_held_leaves_public_results(article, kestrel, make_comment, rules):
    comment = make_comment(article, kestrel, "The gazebo changed again.")
    assert found(None, "gazebo") == [comment.get_absolute_url()]
    edit_comment(comment=comment, editor=kestrel, body="The gazebo is an idiot's work.")
    assert found(None, "gazebo") == []
    assert found(kestrel, "gazebo") == [comment.get_absolute_url()]


def test_an_edit_replaces_the_words_in_the_index(article, kestrel, make_comment):
    comment = make_comment(article, kestrel, "Original wording here.")
    edit_comment(comment=comment, editor=kestrel, body="Corrected phrasing here.")
    assert found(None, "original") == []
    assert found(None, "corrected") == [comment.get_absolute_url()]


def test_an_erased_comment_is_gone_from_the_index_itself(article, kestrel, make_comment):
    comment = make_comment(article, kestrel, "Erasable zanzibar words.")
    entry_id = SearchEntry.objects.get(comment=comment).pk
    assert indexed_ids_matching("zanzibar") == [entry_id]
    delete_comment(comment=comment, deleter=kestrel)
    assert not SearchEntry.objects.filter(comment=comment).exists()
    assert indexed_ids_matching("zanzibar") == []
    assert not SearchEntry.objects.filter(text__icontains="zanzibar").exists()


def test_a_rejected_comment_with_a_banned_author_stays_findable_by_moderators(
    article, nikolai, moderator, make_comment
):
    comment = make_comment(article, nikolai, "Rude walrus remark.")
    reject_comment_and_restrict_author(comment=comment, moderator=moderator, reason="rude")
    assert found(None, "walrus") == []
    assert found(moderator, "walrus") == [comment.get_absolute_url()]
    approve_comment(comment=comment, moderator=moderator)
    assert found(None, "walrus") == [comment.get_absolute_url()]


def test_a_deleted_article_takes_its_entries_with_it(article, kestrel, moderator, make_comment):
    make_comment(article, kestrel, "Gondola comment.")
    delete_article(article=article, actor=moderator)
    assert not SearchEntry.objects.exists()
    assert indexed_ids_matching("gondola") == []


def test_reindex_rebuilds_the_index_from_the_tables(article, kestrel, make_comment):
    comment = make_comment(article, kestrel, "Rebuilt albatross.")
    deleted = make_comment(article, kestrel, "Deleted albatross.")
    delete_comment(comment=deleted, deleter=kestrel)
    SearchEntry.objects.all().delete()
    assert found(None, "albatross") == []
    call_command("reindex", "--batch-size", "1")
    assert found(None, "albatross") == [comment.get_absolute_url()]
    assert SearchEntry.objects.filter(kind="article").count() == 1


def test_generated_comments_are_indexed(article, make_reader):
    from broadsheet.demo.generator import fill_discussion

    fill_discussion(article, [make_reader()], 25)
    assert SearchEntry.objects.filter(kind="comment").count() == 25
    assert len(found(None, "ministry")) == 5


# --- hostile and bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"tugboat',
        "tugboat*",
        "*",
        "NEAR(tugboat council)",
        "tugboat NOT council",
        "-tugboat",
        "tugboat OR council AND",
        "stems:tugboat",
        "^tugboat",
        "(((",
        "tugboat & | ! council",
        "'; DROP TABLE search_searchentry; --",
    ],
)
def test_query_syntax_from_users_is_only_words(client, article, kestrel, make_comment, query):
    make_comment(article, kestrel, "The tugboat and the council.")
    response = client.get(SEARCH, {"q": query})
    assert response.status_code == 200
    assert SearchEntry.objects.exists()


def test_a_null_character_is_refused_with_a_message(client):
    response = client.get(SEARCH, {"q": "\x00tugboat"})
    assert response.status_code == 400
    assert b'role="alert"' in response.content


def test_an_empty_or_wordless_query_gets_a_message(client):
    assert client.get(SEARCH).status_code == 200
    response = client.get(SEARCH, {"q": "  ?!*  "})
    assert response.status_code == 200
    assert "Type at least one word" in response.content.decode()


def test_a_too_long_query_is_refused_with_a_message(client, settings):
    settings.BROADSHEET_SEARCH_MAX_QUERY_LENGTH = 20
    response = client.get(SEARCH, {"q": "tugboat " * 10})
    assert response.status_code == 400
    assert "at most 20 characters" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"q": "tugboat", "page": "0"},
        {"q": "tugboat", "page": "99999"},
        {"q": "tugboat", "page": "x"},
        {"q": "tugboat", "since": "yesterday"},
        {"q": "tugboat", "since": "2024-02-02", "until": "2024-01-01"},
        {"q": "tugboat", "language": "klingon"},
        {"q": "tugboat", "article": "not a slug!"},
    ],
)
def test_bad_parameters_get_a_400_with_the_form(client, params):
    response = client.get(SEARCH, params)
    assert response.status_code == 400
    assert b'role="alert"' in response.content


def test_results_are_paged_and_the_depth_is_bounded(
    client, article, kestrel, make_comment, settings
):
    settings.BROADSHEET_SEARCH_RESULTS_PER_PAGE = 2
    settings.BROADSHEET_SEARCH_MAX_PAGES = 2
    for n in range(5):
        make_comment(article, kestrel, f"Pelican number {n}.")
    first = client.get(SEARCH, {"q": "pelican"}).content.decode()
    assert "page=2" in first
    second = client.get(SEARCH, {"q": "pelican", "page": 2}).content.decode()
    assert "page=3" not in second  # the last page served, though more matched
    assert client.get(SEARCH, {"q": "pelican", "page": 3}).status_code == 400


# --- the page ------------------------------------------------------------------------------------


def test_the_page_has_a_labelled_field_and_links_to_the_permalink(
    client, article, kestrel, make_comment
):
    comment = make_comment(article, kestrel, "Permalink heron.")
    page = client.get(SEARCH, {"q": "heron"}).content.decode()
    assert '<label for="id_q">Search for</label>' in page
    assert f'href="{comment.get_absolute_url()}"' in page
    assert f'href="{article.get_absolute_url()}"' not in page or "heron" in page
    assert "kestrel-7" in page and "Anna Petrova" in page
    assert reverse("search:search") == SEARCH


def test_the_site_header_has_a_search_box(client):
    page = client.get("/").content.decode()
    assert 'action="/search/"' in page and 'name="q"' in page


def test_the_page_is_in_russian_for_russian_readers(client):
    page = client.get(SEARCH, headers={"accept-language": "ru"}).content.decode()
    assert "Искать" in page or "Поиск" in page


def test_the_query_count_does_not_grow_with_results(
    client,
    article,
    make_article,
    kestrel,
    nikolai,
    moderator,
    make_comment,
    django_assert_max_num_queries,
):
    for n in range(30):
        make_comment(article if n % 2 else make_article(), nikolai, f"Countable otter {n}.")
    client.force_login(moderator)
    # The session, the reader, presence (2), the permission check (2), the results.
    with django_assert_max_num_queries(8):
        response = client.get(SEARCH, {"q": "otter"})
    assert response.content.decode().count('class="search-result"') == 20


def test_searches_are_rate_limited_per_address(client, settings):
    settings.BROADSHEET_SEARCHES_PER_MINUTE = 3
    answers = [client.get(SEARCH, {"q": "tugboat"}).status_code for _ in range(5)]
    assert answers == [200, 200, 200, 429, 429]
