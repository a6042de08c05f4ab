"""A moderator clears a reported comment with the keyboard alone."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from broadsheet.discussion.operations import post_comment
from broadsheet.moderation.models import AuditEntry
from broadsheet.moderation.operations import report_comment
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reported_comment_is_rejected_with_keys_only(
    new_page, article, kestrel, nikolai, make_reader
):
    make_reader("mod-1", "Maria Moderator")
    call_command("grant", "mod-1", "moderator")
    fine = post_comment(article=article, author=nikolai, body="A fair point about fares.")
    spam = post_comment(article=article, author=nikolai, body="Cheap watches at example.test")
    report_comment(comment=spam, reporter=kestrel, reason="spam")
    report_comment(comment=fine, reporter=kestrel, reason="off_topic")
    report_comment(comment=spam, reporter=make_reader(), reason="spam")

    page = new_page()
    sign_in(page, "mod-1")
    page.goto("/moderation/")
    items = page.locator(".queue__item")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("Cheap watches")  # two reports: most urgent first
    expect(items.first).to_be_focused()
    page.keyboard.press("j")
    expect(items.nth(1)).to_be_focused()
    page.keyboard.press("k")
    page.keyboard.press("r")
    expect(page.locator(".queue__item")).to_have_count(1)
    expect(page.locator("[data-queue-status]")).to_have_text("Rejected comment 2.")
    assert page.console_errors == []

    page.keyboard.press("s")  # the other one: reject it and suspend its author
    expect(page.locator(".queue__item")).to_have_count(0)
    nikolai.refresh_from_db()
    assert nikolai.is_suspended

    page.goto("/articles/the-last-ferry/")
    expect(page.locator("#comment-2")).to_contain_text("Comment removed by a moderator.")
    expect(page.locator("#comment-1")).to_contain_text("Comment removed by a moderator.")
    entry = AuditEntry.objects.get(action="comment.rejected", target="comment 2 on the-last-ferry")
    assert entry.actor.handle == "mod-1"
    assert AuditEntry.objects.filter(action="reader.suspended", target="reader unc-2").exists()
    assert re.search("Breaks the discussion rules", entry.reason)
