"""The API's reference page in a real Chromium: Swagger UI from our own static
files, working under the site's CSP (no inline code, nothing from elsewhere)."""

from urllib.parse import urlsplit


def test_the_reference_page_renders_under_the_csp_from_our_own_origin(new_page, asgi_server):
    page = new_page()
    origins = set()
    page.on("request", lambda request: origins.add(urlsplit(request.url).netloc))
    response = page.goto("/api/v1/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    assert "Broadsheet API" in page.inner_text(".swagger-ui .info .title")
    page.get_by_text("/api/v1/articles/{slug}/comments", exact=True).first.wait_for()
    assert origins == {urlsplit(asgi_server).netloc}
    assert not [e for e in page.console_errors if "Content Security Policy" in e], (
        page.console_errors
    )
