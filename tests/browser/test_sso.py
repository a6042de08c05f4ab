"""Single sign-on in a real browser: a link from the newsroom signs the reader in on
the article it names, and signing out ends at the newsroom's own sign-out page."""

import copy
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.readers.newsroom import SECRET, NewsroomKeys, hs256_token


class _NewsroomSignOut(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<!doctype html><title>Newsroom</title><h1>Signed out of the newsroom</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def newsroom_sign_out():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NewsroomSignOut)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/logout"
    server.shutdown()
    server.server_close()


def test_a_newsroom_link_signs_the_reader_in_and_sign_out_ends_at_the_newsroom(
    new_page, article, settings, newsroom_sign_out
):
    settings.BROADSHEET_SSO_SECRET = SECRET
    settings.BROADSHEET_SSO_LOGOUT_URL = newsroom_sign_out
    # What settings.py makes of the logout URL at start-up (tests/readers/test_sso_settings.py).
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] = ["'self'", newsroom_sign_out.rsplit("/", 1)[0]]
    settings.CONTENT_SECURITY_POLICY = policy
    page = new_page()
    query = urlencode({"token": hs256_token(handle="anna-p"), "next": f"/articles/{article.slug}/"})

    page.goto(f"/accounts/sso/?{query}")

    expect(page).to_have_url(re.compile(rf"/articles/{article.slug}/$"))
    expect(page.locator(".account-nav__me")).to_have_text("anna-p")
    expect(page.get_by_label("Comment")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(newsroom_sign_out)
    expect(page.get_by_role("heading", name="Signed out of the newsroom")).to_be_visible()

    page.goto(f"/articles/{article.slug}/")
    expect(page.locator(".account-nav__me")).to_have_count(0)


def test_an_es256_link_signs_in_with_the_newsroom_s_published_keys(new_page, article, settings):
    from broadsheet.readers import sso

    keys = NewsroomKeys()
    sso._key_set_client.cache_clear()
    settings.BROADSHEET_SSO_SECRET = ""
    settings.BROADSHEET_SSO_JWKS_URL = keys.url
    try:
        page = new_page()
        query = urlencode({"token": keys.es256_token(handle="anna-ec"), "next": "/"})
        page.goto(f"/accounts/sso/?{query}")
        expect(page.locator(".account-nav__me")).to_have_text("anna-ec")

        # The same link again is refused with a page that says why.
        response = page.goto(f"/accounts/sso/?{query}")
        assert response.status == 403
        expect(page.get_by_text("The sign-in token has been used already.")).to_be_visible()
    finally:
        keys.stop()
        sso._key_set_client.cache_clear()
