"""A real headless Chromium (Debian's package) driven by Playwright, against the
site served over ASGI (as `broadsheet serve` does) on the test database.

pytest-django's live_server is WSGI, which cannot hold a live stream open."""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# calls from the same thread (fixtures, assertions) are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("BROADSHEET_TEST_ARTIFACTS", "test-artifacts"))


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright for the whole run: its sync API cannot be started a second
    time in a thread where it is already running."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: the test command installs Debian's chromium")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    )
    yield browser
    browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def new_page(browser, asgi_server, request):
    """Open pages in fresh browser contexts (one per reader); screenshot on failure."""
    contexts = []

    def open_page(**context_options):
        context = browser.new_context(base_url=asgi_server, **context_options)
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.console_errors = []
        page.on(
            "console",
            lambda message: message.type == "error" and page.console_errors.append(message.text),
        )
        return page

    yield open_page
    failed = getattr(request.node, "rep_call", None) and request.node.rep_call.failed
    for index, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for n, page in enumerate(context.pages):
                page.screenshot(
                    path=ARTIFACTS / f"{request.node.name}-{index}-{n}.png", full_page=True
                )
        context.close()
