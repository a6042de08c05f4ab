"""A reader of an edition shows a comment written in another language in the
page's language, machine-translated, and goes back to the original."""

import time

import pytest
from playwright.sync_api import expect

from broadsheet.background.worker import run_ready_tasks
from tests.translation.conftest import (  # noqa: F401 (the translation tests' fixtures)
    edition,
    original,
    standin_process,
)
from tests.translation.conftest import russian_comment as russian_comment
from tests.translation.conftest import standin as standin

pytestmark = pytest.mark.django_db(transaction=True)


def run_the_worker_once_asked(timeout: float = 10) -> None:
    """The worker's part (no worker process runs in tests): once the page's request
    has queued the translation, make it."""
    deadline = time.monotonic() + timeout
    while not run_ready_tasks():
        assert time.monotonic() < deadline, "the page never asked for a translation"
        time.sleep(0.05)


def test_show_translation_then_the_original(new_page, standin, russian_comment):
    page = new_page()
    page.goto("/articles/the-last-ferry-en/")
    comment = page.locator("#comment-1")
    expect(comment.locator(".comment__language")).to_have_text("Русский")
    original_words = comment.locator(".comment__body")
    expect(original_words).to_have_text("Привет, город! Хорошая статья.")

    show = comment.get_by_role("button", name="Show translation")
    show.focus()
    page.keyboard.press("Enter")  # the keyboard works as well as the mouse
    expect(comment.get_by_role("button", name="Translating…")).to_be_visible()
    run_the_worker_once_asked()

    translation = comment.locator(".comment__translation")
    expect(translation).to_be_visible(timeout=10_000)
    expect(translation.locator(".comment__translation-label")).to_have_text("Machine translation")
    expect(translation).to_contain_text("[en] Hello, town! Good article.")
    expect(translation).to_have_attribute("lang", "en")
    expect(original_words).to_be_hidden()
    expect(comment.get_by_role("status")).to_have_text("Machine translation")

    back = comment.get_by_role("button", name="Show original")
    expect(back).to_have_attribute("aria-expanded", "true")
    expect(back).to_be_focused()
    back.click()
    expect(original_words).to_be_visible()
    expect(translation).to_be_hidden()
    again = comment.get_by_role("button", name="Show translation")
    expect(again).to_have_attribute("aria-expanded", "false")
    again.click()  # shown again from the page, no second request
    expect(translation).to_be_visible()
    assert standin.calls() == 1
    assert page.console_errors == []


def test_no_control_without_a_service(new_page, settings, russian_comment):
    settings.BROADSHEET_TRANSLATION_URL = ""
    page = new_page()
    page.goto("/articles/the-last-ferry-en/")
    comment = page.locator("#comment-1")
    expect(comment.locator(".comment__language")).to_have_text("Русский")
    expect(comment.get_by_role("button", name="Show translation")).to_have_count(0)
