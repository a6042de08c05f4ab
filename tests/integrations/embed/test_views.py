"""The embedded discussion's doors over HTTP: the frame, the reader's view of it,
the sign-in popup's handoff, sign-out and /embed.js."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from broadsheet.articles.models import Article
from broadsheet.discussion.models import Comment
from broadsheet.readers.models import ApiToken
from broadsheet.readers.operations import create_api_token

HOST = "http://localhost:8001"
STORY = f"{HOST}/news/the-bridge"
FRAME = reverse("embed:frame")


@pytest.fixture(autouse=True)
def embed_origins(settings):
    settings.BROADSHEET_EMBED_ORIGINS = [HOST, "https://news.example.org/"]
    settings.BROADSHEET_EMBED_PAGES_PER_HOUR = 30


def open_frame(client, url=STORY, origin=HOST, referer=f"{HOST}/", **params):
    headers = {"HTTP_REFERER": referer} if referer else {}
    return client.get(FRAME, {"url": url, "origin": origin, **params}, **headers)


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_an_allowed_page_gets_its_discussion_opened_and_framable_by_it_alone(client, db):
    response = open_frame(
        client, url=STORY + "?utm_source=feed#top", title="The bridge <b>reopens</b>"
    )
    assert response.status_code == 200
    page = Article.objects.get(external_url=STORY)
    assert page.title == "The bridge <b>reopens</b>"  # stored as given, escaped on output
    csp = response["Content-Security-Policy"]
    assert re.search(r"frame-ancestors http://localhost:8001(;|$)", csp)
    assert "script-src 'self'" in csp
    assert "X-Frame-Options" not in response
    assert f'data-host-origin="{HOST}"' in response.content.decode()
    # The second view finds it (query and fragment are not part of the page).
    assert open_frame(client, url=STORY + "?other=1").status_code == 200
    assert Article.objects.filter(external_url__startswith=HOST).count() == 1
    # ... and the rest of the site keeps its own framing rules.
    home = client.get("/")
    assert "frame-ancestors 'self'" in home["Content-Security-Policy"]
    assert home["X-Frame-Options"] == "SAMEORIGIN"


def test_an_origin_not_allowed_gets_nothing(client, db):
    evil = "https://evil.example"
    response = open_frame(client, url=f"{evil}/page", origin=evil, referer=f"{evil}/")
    assert response.status_code == 403
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert not Article.objects.exists()
    # Claiming an allowed origin for another site's address opens nothing either.
    assert open_frame(client, url=f"{evil}/page").status_code == 403
    # Nor does an allowed address asked for from elsewhere (the Referer says who asks).
    assert open_frame(client, referer=f"{evil}/").status_code == 403
    assert open_frame(client, referer=None).status_code == 403
    assert not Article.objects.exists()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "", f"{HOST}/" + "x" * 600])
def test_bad_addresses_get_a_clear_400_and_open_nothing(client, db, url):
    response = open_frame(client, url=url)
    assert response.status_code == 400
    assert not Article.objects.exists()


def test_opening_new_pages_is_limited_per_client_address(client, db, settings):
    settings.BROADSHEET_EMBED_PAGES_PER_HOUR = 3
    for n in range(3):
        assert open_frame(client, url=f"{HOST}/story-{n}").status_code == 200
    refused = open_frame(client, url=f"{HOST}/story-3")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert Article.objects.count() == 3
    # Pages already open are not counted: their discussion still shows.
    assert open_frame(client, url=f"{HOST}/story-0").status_code == 200
    other_address = Client(REMOTE_ADDR="10.0.0.9")
    assert open_frame(other_address, url=f"{HOST}/story-3").status_code == 200


def test_external_pages_are_never_listed(client, db):
    open_frame(client, title="A page of another site")
    assert "A page of another site" not in client.get("/").content.decode()
    assert "A page of another site" not in client.get("/sitemap.xml").content.decode()


def test_one_of_our_own_articles_shows_its_own_discussion(client, article, make_comment, kestrel):
    make_comment(article, kestrel, "Our own article, its first comment.")
    url = f"http://testserver{article.get_absolute_url()}?ref=partner"
    response = open_frame(client, url=url)
    assert response.status_code == 200
    assert "Our own article, its first comment." in response.content.decode()
    assert not Article.objects.exclude(external_url="").exists()
    # An address of our own site that is no article is not a discussion.
    assert open_frame(client, url="http://testserver/search/").status_code == 403


def test_the_frame_shows_the_discussion_as_the_article_page_does(
    client, article, make_comment, kestrel, nikolai
):
    first = make_comment(article, kestrel, "The ferry was late again.")
    make_comment(article, nikolai, "Not this morning.", parent=first)
    html = open_frame(client, url=f"http://testserver{article.get_absolute_url()}").content.decode()
    assert 'id="comment-1"' in html and 'id="comment-2"' in html
    assert "kestrel-7" in html and "Anna Petrova" in html
    assert 'data-presence-handle="kestrel-7"' in html
    assert "in reply to #1" in html
    assert 'data-live-url="/articles/the-last-ferry/live/"' in html
    assert "2 comments" in html


def test_the_frame_speaks_the_host_pages_language(client, article):
    url = f"http://testserver{article.get_absolute_url()}"
    assert "Войти" in open_frame(client, url=url, lang="ru-RU").content.decode()
    assert "Sign in" in open_frame(client, url=url, lang="xx").content.decode()


def test_the_frame_ignores_a_session_and_the_readers_own_view_comes_with_a_token(
    client, article, make_comment, kestrel, nikolai, settings
):
    settings.BROADSHEET_PREMODERATE_FIRST_COMMENTS = 0
    make_comment(article, nikolai, "Visible to everyone.")
    held = make_comment(article, kestrel, "Held for a moderator.")
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    url = f"http://testserver{article.get_absolute_url()}"

    client.force_login(kestrel)
    frame = open_frame(client, url=url).content.decode()
    assert "Visible to everyone." in frame
    assert "Held for a moderator." not in frame

    personal = reverse("embed:comments", kwargs={"slug": article.slug})
    anonymous = Client()
    assert "Held for a moderator." not in anonymous.get(personal).content.decode()
    others = create_api_token(reader=nikolai, name="Embedded discussion", scope="write")
    seen_by_other = anonymous.get(personal, **bearer(others.secret))
    assert seen_by_other.status_code == 200
    assert "Held for a moderator." not in seen_by_other.content.decode()
    own = create_api_token(reader=kestrel, name="Embedded discussion", scope="write")
    seen_by_author = anonymous.get(personal, **bearer(own.secret))
    assert "Held for a moderator." in seen_by_author.content.decode()
    assert "Awaiting moderation" in seen_by_author.content.decode()
    assert "no-store" in seen_by_author["Cache-Control"]
    assert "Authorization" in seen_by_author["Vary"]
    assert anonymous.get(personal, **bearer("bst_forged")).status_code == 401


def test_the_frame_costs_the_same_queries_whatever_the_size_of_the_discussion(
    client, article, make_comment, kestrel, django_assert_num_queries, settings
):
    settings.BROADSHEET_COMMENTS_PER_PAGE = 10
    url = f"http://testserver{article.get_absolute_url()}"
    personal = reverse("embed:comments", kwargs={"slug": article.slug})
    token = create_api_token(reader=kestrel, name="Embedded discussion", scope="write")
    counts = []
    for total in (5, 40):
        while Comment.objects.filter(article=article).count() < total:
            make_comment(article, kestrel)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as frame_queries:
            assert open_frame(client, url=url).status_code == 200
        with CaptureQueriesContext(connection) as personal_queries:
            assert client.get(personal, **bearer(token.secret)).status_code == 200
        counts.append((len(frame_queries), len(personal_queries)))
    assert counts[0] == counts[1], counts
    with django_assert_num_queries(counts[1][0]):
        open_frame(client, url=url)
    # The article with its discussion, the editions, one page of comments with their
    # replies, the newest live event; and for a reader the token and their votes.
    assert counts[1][0] <= 5 and counts[1][1] <= 8, counts


def test_the_popup_keeps_its_opener_and_the_rest_of_the_site_does_not(client, db):
    sign_in = client.get(reverse("embed:sign_in") + "?next=" + reverse("embed:signed_in"))
    assert sign_in.status_code == 200
    assert sign_in["Cross-Origin-Opener-Policy"] == "unsafe-none"
    assert 'name="next" value="/embed/signed-in/"' in sign_in.content.decode()
    assert client.get("/accounts/sign-in/")["Cross-Origin-Opener-Policy"] == "same-origin"
    # Any other "next" is put back to the handoff.
    elsewhere = client.get(reverse("embed:sign_in") + "?next=https://evil.example/")
    assert elsewhere.status_code == 302
    assert elsewhere["Location"] == "/embed/sign-in/?next=%2Fembed%2Fsigned-in%2F"


def test_signing_in_in_the_popup_hands_a_short_lived_write_token_to_our_own_origin_only(
    client, kestrel
):
    signed_in = reverse("embed:signed_in")
    assert client.get(signed_in)["Location"].startswith(reverse("embed:sign_in"))
    assert not ApiToken.objects.exists()

    client.force_login(kestrel)
    response = client.get(signed_in, HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 200
    html = response.content.decode()
    token = ApiToken.objects.get(reader=kestrel)
    assert token.scope == "write" and token.name == "Embedded discussion"
    assert (token.expires_at - token.created_at).total_seconds() == 12 * 3600
    secret = re.search(r'data-token="([^"]+)"', html).group(1)
    assert token.token_hash and secret.startswith(token.prefix)
    assert 'data-target-origin="http://testserver"' in html
    assert response["Cross-Origin-Opener-Policy"] == "unsafe-none"
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    script = Path("broadsheet/integrations/static/integrations/embed/signed-in.js").read_text()
    posts = re.findall(r"postMessage\((.*?)\);", script, re.S)
    assert len(posts) == 1 and posts[0].rstrip().endswith("data.targetOrigin")
    assert '"*"' not in script and "'*'" not in script


def test_another_site_cannot_make_tokens_by_opening_the_handoff(client, kestrel):
    client.force_login(kestrel)
    response = client.get(reverse("embed:signed_in"), HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_handoffs_are_limited_per_reader(client, kestrel, settings):
    settings.BROADSHEET_EMBED_SIGN_INS_PER_HOUR = 2
    client.force_login(kestrel)
    statuses = [client.get(reverse("embed:signed_in")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert ApiToken.objects.count() == 2


def test_signing_out_in_the_frame_revokes_its_token(client, kestrel):
    issued = create_api_token(reader=kestrel, name="Embedded discussion", scope="write")
    assert client.post(reverse("embed:sign_out"), **bearer(issued.secret)).status_code == 204
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    assert client.post(reverse("embed:sign_out"), **bearer(issued.secret)).status_code == 204
    assert client.post(reverse("embed:sign_out")).status_code == 204
    assert client.get(reverse("embed:sign_out")).status_code == 405


def test_embed_js_carries_both_languages_and_no_markup(client, db):
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "max-age=300" in response["Cache-Control"]
    body = response.content.decode()
    assert '"one": "{count} comment"' in body
    assert '"few": "{count} комментария"' in body
    assert '"many": "{count} комментариев"' in body
    assert "<" not in body.split("var LABELS =")[1].split(";")[0]


def test_a_reader_signed_in_on_the_site_goes_straight_to_the_handoff(client, kestrel):
    client.force_login(kestrel)
    response = client.get(reverse("embed:sign_in") + "?next=" + reverse("embed:signed_in"))
    assert response.status_code == 302
    assert response["Location"] == reverse("embed:signed_in")
    assert response["Cross-Origin-Opener-Policy"] == "unsafe-none"
