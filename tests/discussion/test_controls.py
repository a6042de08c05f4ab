"""Which controls a comment shows to whom: one answer, for the page and live events alike."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from broadsheet.discussion.controls import NEUTRAL_VIEWER, controls_for
from broadsheet.discussion.events import comment_posted
from broadsheet.discussion.links import comment_url, comment_url_pattern
from broadsheet.discussion.operations import delete_comment, post_comment

pytestmark = pytest.mark.django_db


def shown(controls) -> set[str]:
    names = {"Reply": controls.reply, "Quote": controls.quote}
    names["Vote"] = bool(controls.vote)
    names |= {
        "Edit": bool(controls.edit_url),
        "Delete": bool(controls.delete_url),
        "Report": bool(controls.report_url),
    }
    return {name for name, on in names.items() if on}


def test_the_author_may_edit_and_delete_but_not_vote_or_report(article, kestrel):
    comment = post_comment(article=article, author=kestrel, body="Mine")
    controls = controls_for(comment, kestrel, timezone.now())
    assert shown(controls) == {"Reply", "Quote", "Edit", "Delete"}
    assert controls.edit_url == "/articles/the-last-ferry/comments/1/edit/"
    assert controls.delete_url == "/articles/the-last-ferry/comments/1/delete/"


def test_the_author_may_not_edit_after_the_window(article, kestrel):
    comment = post_comment(article=article, author=kestrel, body="Mine")
    later = timezone.now() + dt.timedelta(days=1)
    assert shown(controls_for(comment, kestrel, later)) == {"Reply", "Quote", "Delete"}


def test_another_reader_may_vote_and_report(article, kestrel, nikolai):
    comment = post_comment(article=article, author=kestrel, body="Yours")
    comment.my_vote = -1
    controls = controls_for(comment, nikolai, timezone.now())
    assert shown(controls) == {"Reply", "Quote", "Vote", "Report"}
    assert (controls.vote, controls.my_vote) == ("form", -1)
    assert controls.report_url == "/articles/the-last-ferry/comments/1/report/"


def test_a_signed_out_reader_is_led_to_sign_in_to_vote(article, kestrel):
    comment = post_comment(article=article, author=kestrel, body="Yours")
    controls = controls_for(comment, AnonymousUser(), timezone.now())
    assert controls.vote == "sign_in"
    assert controls.url == "/articles/the-last-ferry/comments/1/"


def test_a_deleted_comment_can_only_be_answered(article, kestrel, nikolai):
    comment = delete_comment(
        comment=post_comment(article=article, author=kestrel, body="Gone"), deleter=kestrel
    )
    assert shown(controls_for(comment, kestrel, timezone.now())) == {"Reply"}
    assert shown(controls_for(comment, nikolai, timezone.now())) == {"Reply"}


def test_the_live_event_shows_what_the_neutral_viewer_gets(article, kestrel):
    parent = post_comment(article=article, author=kestrel, body="First")
    reply = post_comment(article=article, author=kestrel, body="Second", parent=parent)
    controls = controls_for(reply, NEUTRAL_VIEWER)
    assert shown(controls) == {"Reply", "Quote", "Vote", "Report"}
    assert controls.parent_url == "/articles/the-last-ferry/comments/1/"
    html = comment_posted(reply)["html"]
    assert 'action="/articles/the-last-ferry/comments/2/vote/"' in html
    assert 'href="/articles/the-last-ferry/comments/1/"' in html
    assert ">Report</button>" in html and ">Edit</button>" not in html


def test_one_function_gives_every_comment_address(article):
    assert comment_url(article, 7) == "/articles/the-last-ferry/comments/7/"
    assert comment_url(article, 7, "vote") == "/articles/the-last-ferry/comments/7/vote/"
    assert comment_url_pattern(article) == "/articles/the-last-ferry/comments/{number}/"


def test_a_slug_holding_the_placeholder_digits_keeps_them(make_article):
    article = make_article(slug="story-987654321")
    assert comment_url(article, 3) == "/articles/story-987654321/comments/3/"


def test_references_to_comments_in_a_text_link_to_their_permalink(article, kestrel):
    post_comment(article=article, author=kestrel, body="First")
    second = post_comment(article=article, author=kestrel, body="As #1 said")
    assert 'href="/articles/the-last-ferry/comments/1/"' in second.body_html
