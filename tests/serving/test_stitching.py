"""The personal layer stitched into the shared page (serving/stitching.py, ADR 0024):
when the front cache holds both the shared page and a fresh layer of this session
for the same page, the page comes with the layer inside it as a data block, and
the page script asks nothing more.

Hidden means hidden: a stitched page carries only its own session's layer, never
a stale one, and never reaches another session or a signed-out reader.
"""

import gzip
import json
import re
import time

import pytest
import time_machine
from django.test import Client

from broadsheet.discussion.operations import post_comment, vote_on_comment
from broadsheet.moderation.operations import set_discussion_mode
from broadsheet.readers.devices import hash_session_key
from broadsheet.readers.operations import change_reader_details, end_sessions
from broadsheet.serving import stitching
from tests.serving.test_front_cache import Site
from tests.serving.test_personal_layer import URL, cookie_of, layer_of, session_of

pytestmark = pytest.mark.django_db(transaction=True)

BLOCK = re.compile(
    r'<script type="application/json" id="personal-layer-data">(.*?)</script>', re.DOTALL
)
GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture
def site(article):
    site = Site()
    yield site
    site.close()


def stitched_layer(reply) -> dict | None:
    """The layer a page answer carries, or None when it is the shared page alone."""
    found = BLOCK.findall(reply.text)
    assert len(found) <= 1
    return json.loads(found[0]) if found else None


def view(site, headers, path: str = URL):
    """A page view as the page script makes it: the page, and the layer only when
    the page did not carry it."""
    page = site.get(path, headers=headers)
    assert page.status == 200
    if stitched_layer(page) is None:
        query = path.partition("?")[2]
        layer_of(site, headers, "?" + query if query else "")
    return page


def test_the_second_view_carries_the_layer_and_reaches_no_one(site, article, kestrel):
    marked = session_of(kestrel)
    first = view(site, marked)
    assert stitched_layer(first) is None  # nothing kept yet: the script asks
    reached = site.through_django
    second = site.get(headers=marked)
    assert site.through_django == reached  # page and layer both from memory
    layer = stitched_layer(second)
    assert layer == layer_of(site, marked)
    assert layer["handle"] == "kestrel-7"
    # The shared page, with the block just before </body>, and nothing else changed.
    assert second.text.replace(BLOCK.search(second.text).group(0), "") == first.text
    assert re.search(r"</script></body>\s*</html>\s*$", second.text)


def test_two_readers_each_get_only_their_own_layer_in_the_page(
    site, article, kestrel, nikolai, moderator
):
    set_discussion_mode(article=article, editor=moderator, mode="premoderated")
    held = post_comment(article=article, author=nikolai, body="Nikolai's held words")
    set_discussion_mode(article=article, editor=moderator, mode="")
    hers = post_comment(article=article, author=kestrel, body="Anna writes")
    his = post_comment(article=article, author=nikolai, body="Nikolai answers")
    vote_on_comment(comment=his, voter=kestrel, value=1)
    anna = session_of(kestrel, csrf="a" * 32)
    niko = session_of(nikolai, csrf="n" * 32)
    view(site, anna)
    view(site, niko)

    annas_page, nikos_page = site.get(headers=anna), site.get(headers=niko)
    annas, nikos = stitched_layer(annas_page), stitched_layer(nikos_page)
    assert annas["handle"] == "kestrel-7" and nikos["handle"] == "unc-2"
    # Her votes and controls, not his.
    assert annas["comments"][str(his.number)]["my_vote"] == 1
    assert annas["comments"][str(hers.number)]["edit_url"]
    assert str(hers.number) not in nikos["comments"]
    assert nikos["comments"][str(his.number)]["my_vote"] == 0
    assert nikos["comments"][str(his.number)]["edit_url"]
    # His held comment is on his page only.
    assert [h["number"] for h in nikos["held"]] == [held.number]
    assert "held words" not in annas_page.text
    # Each page's CSRF token is made from that browser's own cookie, and appears
    # nowhere in the other's.
    assert annas["csrf_token"] != nikos["csrf_token"]
    assert annas["csrf_token"] not in nikos_page.text
    assert nikos["csrf_token"] not in annas_page.text
    assert "unc-2" not in json.dumps(annas) and "kestrel-7" not in json.dumps(nikos)


def test_another_sessions_cookie_never_gets_the_layer(site, article, kestrel, nikolai):
    anna = session_of(kestrel)
    view(site, anna)
    assert stitched_layer(site.get(headers=anna))["handle"] == "kestrel-7"
    signed_out = site.get()
    # Another reader with the same CSRF cookie, the same session with another CSRF
    # cookie, and a made-up session: each gets the shared page, not her layer.
    for headers in (
        session_of(nikolai),
        session_of(kestrel, csrf="z" * 32),  # a new session of hers, too
        cookie_of(anna["Cookie"].split(";")[0].split("=")[1], csrf="z" * 32),
        cookie_of("x" * 32),
    ):
        page = site.get(headers=headers)
        assert page.body == signed_out.body, headers
        assert "kestrel-7" not in page.text


def test_a_signed_out_reader_after_stitched_views_still_gets_the_shared_bytes(
    site, article, kestrel
):
    before = site.get(headers=GZIP)
    anna = session_of(kestrel)
    view(site, anna)
    assert stitched_layer(site.get(headers={**anna, **GZIP}))
    assert stitched_layer(site.get(headers=anna))
    after = site.get(headers=GZIP)
    assert after.body == before.body and after.headers == before.headers
    assert "kestrel-7" not in after.text and "personal-layer-data" not in after.text
    assert "private" not in after.headers["cache-control"]


def test_a_stitched_answer_is_private_with_its_own_etag(site, article, kestrel, nikolai):
    theirs = post_comment(article=article, author=nikolai, body="Nikolai answers")
    anna = session_of(kestrel)
    shared = site.get(headers=anna)
    layer_of(site, anna)
    page = site.get(headers=anna)
    assert stitched_layer(page)
    cache_control = set(page.headers["cache-control"].replace(" ", "").split(","))
    assert cache_control == {"private", "no-cache"}
    assert page.headers["vary"] == shared.headers["vary"]
    assert "last-modified" not in page.headers
    assert page.headers["etag"] not in (shared.headers["etag"], "")
    assert page.headers["etag"].startswith(shared.headers["etag"][:-1])
    # The browser's copy is good while page and layer are unchanged...
    again = site.get(headers={**anna, "If-None-Match": page.headers["etag"]})
    assert again.status == 304 and again.body == b""
    assert "private" in again.headers["cache-control"]
    # ...and the shared page's ETag is no proof it has the reader's layer.
    assert site.get(headers={**anna, "If-None-Match": shared.headers["etag"]}).status == 200
    # A change to the layer alone (her vote: the page's score changes too, so a
    # reply to a date only would be wrong) gives a new answer.
    vote_on_comment(comment=theirs, voter=kestrel, value=1)
    view(site, anna)
    renewed = site.get(headers={**anna, "If-None-Match": page.headers["etag"]})
    assert renewed.status == 200
    assert stitched_layer(renewed)["comments"][str(theirs.number)]["my_vote"] == 1


def test_the_stitched_gzip_is_the_identity_body_compressed(site, article, kestrel, nikolai):
    for n in range(30):
        post_comment(article=article, author=nikolai, body=f"Comment {n} <b>&amp;</b>")
    anna = session_of(kestrel)
    view(site, anna)
    plain = site.get(headers=anna)
    zipped = site.get(headers={**anna, **GZIP})
    assert plain.headers.get("content-encoding") is None
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == plain.body
    assert int(zipped.headers["content-length"]) == len(zipped.body)
    assert zipped.headers["etag"] == plain.headers["etag"][:-1] + '-gz"'
    assert len(zipped.body) < len(plain.body) / 3
    # Unstitched, the same page's gzip is the shared one, whole on its own.
    shared = site.get(headers=GZIP)
    assert gzip.decompress(shared.body) == site.get().body


def test_head_gives_the_stitched_answers_headers_and_no_body(site, article, kestrel):
    anna = session_of(kestrel)
    view(site, anna)
    page = site.get(headers=anna)
    head = site.get(method="HEAD", headers=anna)
    assert head.status == 200 and head.body == b""
    assert head.headers["content-length"] == str(len(page.body))
    assert head.headers["etag"] == page.headers["etag"]


def test_a_new_comment_makes_the_kept_layer_stale(site, article, kestrel, nikolai):
    anna = session_of(kestrel)
    view(site, anna)
    assert stitched_layer(site.get(headers=anna))
    post_comment(article=article, author=nikolai, body="Something new")
    page = site.get(headers=anna)
    assert "Something new" in page.text
    assert stitched_layer(page) is None  # the script asks, and that refills it
    layer_of(site, anna)
    assert stitched_layer(site.get(headers=anna))


def test_a_change_to_the_reader_makes_the_kept_layer_stale(site, article, kestrel):
    anna = session_of(kestrel)
    view(site, anna)
    assert stitched_layer(site.get(headers=anna))["nav"].count("kestrel-7")
    change_reader_details(
        reader=kestrel, handle="kestrel-8", display_name="Anna P.", email=kestrel.email
    )
    assert stitched_layer(site.get(headers=anna)) is None
    assert "kestrel-8" in layer_of(site, anna)["nav"]
    assert "kestrel-8" in stitched_layer(site.get(headers=anna))["nav"]


def test_an_ended_session_gets_no_layer_in_the_page(site, article, kestrel):
    client = Client()
    client.force_login(kestrel)
    session_key = client.cookies["sessionid"].value
    anna = cookie_of(session_key)
    view(site, anna)
    assert stitched_layer(site.get(headers=anna))
    end_sessions(reader=kestrel, key_hashes=[hash_session_key(session_key)])
    page = site.get(headers=anna)
    assert stitched_layer(page) is None and "kestrel-7" not in page.text


def test_a_layer_older_than_its_seconds_is_not_stitched(site, article, kestrel, settings):
    settings.BROADSHEET_PERSONAL_LAYER_SECONDS = 30
    anna = session_of(kestrel)
    view(site, anna)
    assert stitched_layer(site.get(headers=anna))
    with time_machine.travel(time.time() + 31, tick=False):
        assert stitched_layer(site.get(headers=anna)) is None


def test_only_the_layer_of_the_same_query_and_language_is_stitched(site, article, kestrel):
    anna = session_of(kestrel)
    view(site, anna, URL + "?sort=newest")
    assert stitched_layer(site.get(URL + "?sort=newest", headers=anna))
    assert stitched_layer(site.get(headers=anna)) is None
    russian = {**anna, "Accept-Language": "ru"}
    assert stitched_layer(site.get(URL + "?sort=newest", headers=russian)) is None


def test_a_hostile_held_comment_cannot_close_the_data_block(site, article, kestrel, moderator):
    set_discussion_mode(article=article, editor=moderator, mode="premoderated")
    hostile = "</script><script>alert(1)</script><!-- ]]> & \u2028"
    post_comment(article=article, author=kestrel, body=hostile)
    anna = session_of(kestrel)
    view(site, anna)
    page = site.get(headers=anna)
    block = BLOCK.search(page.text).group(1)
    assert "<" not in block and ">" not in block and "&" not in block
    assert page.text.count("<script>alert") == 0
    held = json.loads(block)["held"][0]["html"]
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in held  # the text it is, escaped


def test_a_page_without_a_closing_body_is_never_stitched():
    body = b"<html><body>" + b"words " * 400 + b"</body><p>after</p></html>"
    gzipped, point = stitching.compress_page(body)
    assert point is None and gzip.decompress(gzipped) == body
    page = b"<html><body>" + b"words " * 400 + b"</body>\n</html>\n"
    gzipped, point = stitching.compress_page(page)
    block = stitching.layer_block(b'{"a": "</script>"}', b'W/"x"')
    joined = stitching.stitched_gzip(page, gzipped, point, block)
    assert gzip.decompress(joined) == stitching.stitched_body(page, point, block)
    assert gzip.decompress(gzipped) == page
