"""A post's live event drawn before its number is known (docs/posting.md, round 4):
the event post_comment stores is byte for byte the one comment_posted draws for the
stored comment, whatever the comment is (a root, a reply, one too deep to indent, a
quote, an edition's, an imported one) and whatever digits its words hold."""

import datetime as dt

import pytest
from django.utils import timezone

from broadsheet.articles.operations import save_article
from broadsheet.discussion import events, fragments
from broadsheet.discussion.models import MAX_DEPTH, Comment
from broadsheet.discussion.operations import ImportedHistory, post_comment
from broadsheet.discussion.quotes import ArticleQuoteClaim
from broadsheet.live.models import LiveEvent

pytestmark = pytest.mark.django_db

HOLE = str(events.NUMBER_HOLE)
FULL_DRAW = events.comment_posted  # before any test counts its calls


@pytest.fixture
def full_draws(monkeypatch):
    """Counts the events drawn the whole way (comment_posted), calling the real one:
    a post must draw none under its lock."""
    calls = []
    real = events.comment_posted

    def counted(comment):
        calls.append(comment.number)
        return real(comment)

    monkeypatch.setattr(events, "comment_posted", counted)
    return calls


def stored_event_is_a_full_draw(comment: Comment) -> dict:
    stored = LiveEvent.objects.latest("pk").data
    assert stored["number"] == comment.number
    expected = FULL_DRAW(comment)
    assert stored == expected
    assert HOLE not in repr(stored)
    return stored


def test_a_root_and_a_reply_whose_words_hold_their_own_digits(article, make_reader, full_draws):
    digits = make_reader("r-0000000001", "Reader 1, 2 and 0000000002")
    root = post_comment(
        article=article, author=digits, body="Comment 1 of 1: #1, 0000000001 and 1."
    )
    assert full_draws == []
    event = stored_event_is_a_full_draw(root)
    assert (event["number"], event["thread"], event["path"]) == (1, 1, "0000000001")
    assert 'id="comment-1"' in event["html"] and 'data-path="0000000001"' in event["html"]

    reply = post_comment(
        article=article, author=digits, parent=root,
        body="Reply 2 to 1: 0000000001.0000000002, /comments/2/ and 2.",
    )  # fmt: skip
    assert full_draws == []
    event = stored_event_is_a_full_draw(reply)
    assert (event["number"], event["parent"], event["thread"]) == (2, 1, 1)
    assert event["path"] == "0000000001.0000000002"
    assert "in reply to #1" in event["html"]


def test_a_reply_too_deep_to_indent(article, kestrel, nikolai, full_draws):
    parent = post_comment(article=article, author=kestrel, body="Level 0")
    for level in range(1, MAX_DEPTH + 2):
        parent = post_comment(
            article=article, author=nikolai if level % 2 else kestrel, parent=parent,
            body=f"Level {level}",
        )  # fmt: skip
    assert parent.depth == MAX_DEPTH
    assert full_draws == []
    stored_event_is_a_full_draw(parent)


def test_a_quote_of_the_article(make_article, kestrel, full_draws):
    article = make_article(body_markdown="The ferry leaves the pier at ten past six.")
    anchor = next(iter(article.paragraphs))
    comment = post_comment(
        article=article, author=kestrel, body="> leaves the pier\n\nQuoted, and 1 more word.",
        quote=ArticleQuoteClaim(anchor=anchor, text="leaves the pier"),
    )  # fmt: skip
    assert comment.quote_anchor == anchor and full_draws == []
    event = stored_event_is_a_full_draw(comment)
    assert "article-quote" in event["html"]


def test_an_article_with_an_edition_and_a_post_under_it(article, kestrel, settings, full_draws):
    settings.BROADSHEET_TRANSLATION_URL = "http://127.0.0.1:19401/translate"
    edition, _ = save_article(
        slug="the-last-ferry-ru", title="Последний паром", body_markdown="Абзац.",
        language="ru", translation_of=article,
        published_at=timezone.now() - dt.timedelta(minutes=5),
    )  # fmt: skip
    from broadsheet.articles.models import Article

    original = Article.objects.get(pk=article.pk)
    first = post_comment(article=original, author=kestrel, body="In English, 1.")
    event = stored_event_is_a_full_draw(first)
    assert set(event["editions"]) == {"ru"}
    assert "/articles/the-last-ferry-ru/comments/1/" in event["editions"]["ru"]
    # Under the edition: in Russian, so the original's page offers a translation,
    # whose address holds the number.
    second = post_comment(
        article=Article.objects.get(pk=edition.pk), author=kestrel, body="По-русски, 2."
    )
    event = stored_event_is_a_full_draw(second)
    assert "/comments/2/translation/" in event["html"]
    assert full_draws == []


def test_an_imported_comment_keeps_its_time(article, kestrel, full_draws):
    then = timezone.now() - dt.timedelta(days=400)
    comment = post_comment(
        article=article, author=kestrel, body="From the archive.",
        history=ImportedHistory(posted_at=then),
    )  # fmt: skip
    assert comment.created_at == then and full_draws == []
    stored_event_is_a_full_draw(comment)


def test_the_time_shown_is_the_time_stored(article, kestrel):
    comment = post_comment(article=article, author=kestrel, body="What time is it?")
    comment.refresh_from_db()
    event = LiveEvent.objects.latest("pk").data
    assert f'datetime="{timezone.localtime(comment.created_at).isoformat()}"' in event["html"]


def test_a_held_comment_draws_nothing_public(
    article, kestrel, settings, django_capture_on_commit_callbacks, monkeypatch
):
    # Held by the discussion under the lock, so its HTML was drawn before it: that
    # drawing must reach no event, no process memory and no shared cache.
    settings.BROADSHEET_PREMODERATE_FIRST_COMMENTS = 1
    fragments.forget_kept_html()
    stored = []
    monkeypatch.setattr(fragments, "_keep", lambda made, seconds: stored.append(made))
    with django_capture_on_commit_callbacks(execute=True):
        comment = post_comment(article=article, author=kestrel, body="Held, 1.")
    assert comment.status == Comment.Status.PENDING
    assert not LiveEvent.objects.exists()
    assert stored == []
    assert not any("Held, 1." in html for html in fragments._recent.values())


def test_the_drawn_html_is_kept_for_the_pages_that_follow_after_the_commit(
    article, kestrel, django_capture_on_commit_callbacks, monkeypatch
):
    fragments.forget_kept_html()
    with django_capture_on_commit_callbacks(execute=True):
        comment = post_comment(article=article, author=kestrel, body="Keep me, 1.")
    event = LiveEvent.objects.latest("pk").data

    def no_render(*args, **kwargs):
        raise AssertionError("drawn again: it was not kept")

    monkeypatch.setattr(fragments, "_render_one", no_render)
    # The same values as the event's (a neutral viewer), asked for as a page asks.
    from django.utils import translation

    with translation.override(article.language):
        events._prepare_for_page(comment, article, None)
        html = fragments.render_comments([comment], article=article, csrf_token="").strip()
    assert html == event["html"]


def a_draft(article, author, created_at) -> Comment:
    from broadsheet.discussion.operations import place_in_thread

    draft = Comment(
        article=article, number=events.NUMBER_HOLE, author=author, body_markdown="Drawn early.",
        body_html="<p>Drawn early.</p>", created_at=created_at, language="en",
    )  # fmt: skip
    place_in_thread(draft, None)
    return draft


@pytest.mark.parametrize("minutes_early", [0, 1, 61])
@pytest.mark.parametrize("coarse", [True, False])
def test_drawn_in_one_minute_and_numbered_in_another(
    article, kestrel, monkeypatch, minutes_early, coarse
):
    from broadsheet.discussion.operations import place_in_thread

    if not coarse:  # as if the site's format showed seconds: the element is drawn again
        monkeypatch.setattr(events, "_shows_minutes_at_most", lambda format_string: False)
    stored_at = timezone.now().replace(second=30)
    draft = a_draft(article, kestrel, stored_at - dt.timedelta(minutes=minutes_early, seconds=1))
    drawn = events.draw_comment_posted(draft)
    draft.number, draft.created_at = 12, stored_at
    place_in_thread(draft, None)
    event = drawn.event(draft)
    assert event == FULL_DRAW(draft)
    assert HOLE not in repr(event) and 'data-path="0000000012"' in event["html"]


def test_which_formats_show_minutes_at_most():
    assert events._shows_minutes_at_most("j F Y H:i")
    assert events._shows_minutes_at_most("j E Y \u0433. G:i")  # the Russian format
    assert events._shows_minutes_at_most("N j, Y, P")
    assert not events._shows_minutes_at_most("j F Y H:i:s")
    assert not events._shows_minutes_at_most("c")
    assert not events._shows_minutes_at_most("r")
    assert not events._shows_minutes_at_most("H:i T")
    assert not events._shows_minutes_at_most("\\a\\t H:i")
