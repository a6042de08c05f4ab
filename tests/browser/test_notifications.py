"""A reader's notifications in a real browser: the header's count goes up live,
and a reply the open page has shown is read and never e-mailed."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from broadsheet.background.worker import run_ready_tasks
from broadsheet.discussion.operations import post_comment
from broadsheet.notifications.models import Notification
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import sign_in
from tests.browser.test_live import open_live

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reply_shown_live_is_read_and_not_emailed(
    new_page, article, kestrel, nikolai, settings, mailoutbox
):
    settings.BROADSHEET_NOTIFICATION_EMAIL_DELAY_SECONDS = 60
    kestrel.email_verified_at = timezone.now()
    kestrel.save(update_fields=["email_verified_at"])
    first = post_comment(article=article, author=kestrel, body="Is the ferry on time?")
    run_ready_tasks()

    page = new_page()
    sign_in(page, "kestrel-7")
    open_live(page)
    link = page.locator("#notifications-link")
    expect(link.locator("[data-notification-count]")).to_be_hidden()

    post_comment(article=article, author=nikolai, parent=first, body="On time today.")
    run_ready_tasks()  # the worker tells kestrel
    expect(link.locator("[data-notification-count]")).to_have_text("1")
    expect(link).to_have_attribute("aria-label", "Notifications, 1 unread")

    # The reply waits behind the "new comments" bar: not shown, not read yet.
    assert Notification.objects.get(recipient=kestrel).read_at is None
    page.get_by_role("button", name="1 new comment").click()
    expect(page.locator("#comment-2")).to_be_visible()
    expect(link.locator("[data-notification-count]")).to_be_hidden()
    notification = Notification.objects.get(recipient=kestrel)
    assert notification.seen_live_at is not None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notifications-read-live.png"))

    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        run_ready_tasks()
    assert Notification.objects.get(recipient=kestrel).email == "skipped"
    assert mailoutbox == []


def test_the_notifications_page_by_keyboard_and_on_a_phone(new_page, article, kestrel, nikolai):
    first = post_comment(article=article, author=kestrel, body="Is the ferry on time?")
    post_comment(article=article, author=nikolai, parent=first, body="@kestrel-7 on time today.")
    post_comment(article=article, author=nikolai, body="Hello @kestrel-7, see #1")
    run_ready_tasks()
    page = new_page(viewport={"width": 390, "height": 800}, color_scheme="dark")
    sign_in(page, "kestrel-7")
    page.goto("/")
    # Through the header by keyboard (skip link, site name, search, then the link).
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "notifications-link":
            break
    assert page.evaluate("document.activeElement.id") == "notifications-link"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    expect(page.locator(".notification")).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "notifications-phone-dark.png"), full_page=True)
    page.get_by_role("link", name="Notification settings").click()
    expect(page.get_by_role("group", name="By e-mail")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "notification-settings-phone-dark.png"), full_page=True)
