# ruff: noqa: RUF001 - Russian text is the point here
"""The search page in a real browser: typed into the header's box, the results
with their marked words, a comment's markup shown as text, light and dark, on a
phone. Screenshots go to test-artifacts/ (BROADSHEET_TEST_ARTIFACTS) to look at."""

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS


def test_a_reader_searches_from_the_header_and_reaches_the_comment(
    new_page, article, kestrel, make_comment
):
    make_comment(article, kestrel, "The new tugboats were late <script>window.pwned=1</script>")
    comment = make_comment(article, kestrel, "Комментарии о буксире: он опоздал на час.")
    page = new_page()
    page.goto(article.get_absolute_url())
    page.get_by_role("searchbox", name="Search the site").fill("tugboat")
    page.get_by_role("search").first.get_by_role("button", name="Search").click()
    expect(page).to_have_url("/search/?q=tugboat")
    result = page.locator(".search-result")
    expect(result).to_have_count(1)
    expect(result.locator("mark")).to_have_text("tugboats")
    expect(result).to_contain_text("<script>window.pwned=1</script>")
    assert page.evaluate("window.pwned") is None
    expect(page.get_by_label("Search for")).to_have_value("tugboat")

    page.get_by_label("Search for").fill("комментарий")
    page.locator("main").get_by_role("button", name="Search").click()
    page.get_by_role("link", name=f"Comment {comment.number} on").click()
    expect(page).to_have_url(comment.get_absolute_url())


def test_the_results_page_in_light_and_dark_on_a_desk_and_a_phone(
    new_page, article, kestrel, nikolai, make_comment
):
    for n in range(3):
        make_comment(article, nikolai if n % 2 else kestrel, f"The ferry timetable {n} <b>x</b>.")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        for name, viewport in (
            ("desk", {"width": 1100, "height": 800}),
            ("phone", {"width": 390, "height": 800}),
        ):
            page = new_page(color_scheme=scheme, viewport=viewport)
            page.goto("/search/?q=ferry+timetables&language=en")
            expect(page.locator(".search-result")).to_have_count(4)
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            page.screenshot(path=ARTIFACTS / f"search-{scheme}-{name}.png", full_page=True)
