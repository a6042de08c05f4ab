"""A reader's own data in a real browser: two signed-in browsers of one reader,
one ending the other; downloading the data; deleting the account, and the page
after the grace period (docs/your-data.md)."""

import datetime as dt
import json
import re
from pathlib import Path

import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from broadsheet.background.worker import run_ready_tasks
from broadsheet.discussion.operations import post_comment
from tests.browser.helpers import sign_in
from tests.conftest import PASSWORD


def test_a_reader_ends_their_other_session_from_the_list(new_page, kestrel):
    phone = new_page(viewport={"width": 390, "height": 844})
    laptop = new_page()
    sign_in(phone, "kestrel-7")
    sign_in(laptop, "kestrel-7")

    laptop.goto("/accounts/settings/")
    laptop.locator("[data-sessions-link]").click()
    expect(laptop.locator("[data-session]")).to_have_count(2)
    expect(laptop.locator("[data-this-device]")).to_contain_text("This device")
    expect(laptop.locator("[data-this-device]")).to_contain_text("127.0.0.0/24")
    laptop.get_by_role("button", name="End this session").click()
    expect(laptop.get_by_role("status")).to_contain_text("1 session ended")
    expect(laptop.locator("[data-session]")).to_have_count(1)

    phone.goto("/accounts/settings/")
    expect(phone).to_have_url(re.compile(r"/accounts/sign-in/"))
    laptop.goto("/accounts/settings/")
    expect(laptop).to_have_url(re.compile(r"/accounts/settings/$"))


def test_a_reader_downloads_their_data(new_page, kestrel, article):
    post_comment(article=article, author=kestrel, body="Words I wrote myself")
    page = new_page()
    sign_in(page, "kestrel-7")
    page.goto("/accounts/settings/")
    page.locator("[data-your-data-link]").click()
    page.get_by_role("button", name="Prepare my data").click()
    expect(page.locator("[data-download-waiting]")).to_be_visible()
    run_ready_tasks()  # the worker's turn
    page.reload()
    with page.expect_download() as download_info:
        page.locator("[data-download-link]").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".json")
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["profile"]["handle"] == "kestrel-7"
    assert [c["text"] for c in data["comments"]] == ["Words I wrote myself"]
    assert len(data["sessions"]) == 1 and data["sign_ins"][0]["succeeded"]


def test_a_deleted_account_leaves_numbered_placeholders(
    new_page, kestrel, nikolai, article, settings
):
    settings.BROADSHEET_DELETED_READER_COMMENTS = "erase"
    mine = post_comment(article=article, author=kestrel, body="Soon to be erased")
    reply = post_comment(article=article, author=nikolai, body="A reply that stays", parent=mine)
    page = new_page()
    sign_in(page, "kestrel-7")
    page.goto("/accounts/settings/data/")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Your account will be deleted")).to_be_visible()
    page.goto("/accounts/settings/")
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/"))

    days = settings.BROADSHEET_ACCOUNT_DELETION_DAYS
    with time_machine.travel(timezone.now() + dt.timedelta(days=days, hours=1)):
        run_ready_tasks()
        page.goto(article.get_absolute_url())
        erased = page.locator(f"#comment-{mine.number}")
        expect(erased).to_be_visible()
        expect(erased).not_to_contain_text("Soon to be erased")
        expect(erased).not_to_contain_text("Anna Petrova")
        expect(page.locator(f"#comment-{reply.number}")).to_contain_text("A reply that stays")
        expect(page.locator("body")).not_to_contain_text("kestrel-7")
