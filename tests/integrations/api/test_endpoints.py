"""Articles, me, counts and moderation; query counts that do not grow with the
discussion; and answers no shared cache keeps."""

import pytest
from django.core.management import call_command

from broadsheet.articles.operations import open_external_page
from broadsheet.discussion.operations import post_comment
from broadsheet.serving.front_cache import MARK_HEADER
from tests.integrations.api.conftest import ApiClient, assert_problem, token_for

pytestmark = pytest.mark.django_db


def test_articles_list_newest_first_with_a_cursor(anonymous_api, make_article):
    import datetime as dt

    from django.utils import timezone

    for n in range(3):
        make_article(f"story-{n}", published_at=timezone.now() - dt.timedelta(hours=3 - n))
    make_article("draft-story", status="draft", published_at=None)
    first = anonymous_api.get("/articles?limit=2").json()
    assert [a["slug"] for a in first["items"]] == ["story-2", "story-1"]
    rest = anonymous_api.get(f"/articles?limit=2&cursor={first['next_cursor']}").json()
    assert [a["slug"] for a in rest["items"]] == ["story-0"]
    assert rest["next_cursor"] is None
    assert_problem(
        anonymous_api.get("/articles?cursor=rubbish"), 422, "bad_cursor", "/query/cursor"
    )


def test_article_detail_names_its_editions_and_languages(anonymous_api, article, make_article):
    make_article("posledniy-parom", title="Последний паром", language="ru", translation_of=article)
    detail = anonymous_api.get("/articles/posledniy-parom").json()
    assert detail["original"] == article.slug
    assert sorted(detail["languages"]) == ["en", "ru"]
    assert {e["slug"] for e in detail["editions"]} == {article.slug, "posledniy-parom"}


def test_me_says_who_and_patch_sets_appear_offline(kestrel_api, anonymous_api, kestrel):
    me = kestrel_api.get("/me").json()
    assert me["handle"] == "kestrel-7"
    assert me["display_name"] == "Anna Petrova"
    assert me["scope"] == "write"
    assert me["appear_offline"] is False
    assert kestrel_api.patch("/me", {"appear_offline": True}).json()["appear_offline"] is True
    kestrel.refresh_from_db()
    assert kestrel.appear_offline is True
    assert_problem(
        kestrel_api.patch("/me", {"appear_offline": "yes"}), 422, "wrong_type", "/appear_offline"
    )
    assert_problem(kestrel_api.patch("/me", {"display_name": "Evil"}), 422)
    assert_problem(anonymous_api.get("/me"), 401)


def test_patch_me_needs_the_write_scope(kestrel_reader_api):
    assert_problem(
        kestrel_reader_api.patch("/me", {"appear_offline": True}), 403, "insufficient_scope"
    )


def test_counts_of_slugs_and_addresses(anonymous_api, kestrel, article, make_comment):
    page = open_external_page(url="https://news.example/story", title="A story elsewhere")
    make_comment(article, kestrel)
    make_comment(page, kestrel)
    make_comment(page, kestrel)
    counts = anonymous_api.get(
        f"/counts?slug={article.slug}&slug=unknown&url=https://news.example/story&url=https://x.example/"
    ).json()
    assert counts == {"slugs": {article.slug: 1}, "urls": {"https://news.example/story": 2}}


def test_counts_are_bounded(anonymous_api, settings):
    settings.BROADSHEET_API_COUNTS_MAX = 2
    assert_problem(anonymous_api.get("/counts?slug=a&slug=b&slug=c"), 422, "too_many")
    assert_problem(anonymous_api.get("/counts?slug=no%20spaces"), 422, "bad_slug", "/query/slug/0")
    assert_problem(
        anonymous_api.get("/counts?url=javascript:alert(1)"), 422, "bad_url", "/query/url/0"
    )


def test_counts_answer_cors_only_to_embedding_origins(client, article, settings):
    settings.BROADSHEET_EMBED_ORIGINS = ["https://friend.example"]
    allowed = client.get(
        f"/api/v1/counts?slug={article.slug}", headers={"Origin": "https://friend.example"}
    )
    assert allowed["Access-Control-Allow-Origin"] == "https://friend.example"
    assert "Origin" in allowed["Vary"]
    stranger = client.get(
        f"/api/v1/counts?slug={article.slug}", headers={"Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in stranger
    assert "Origin" in stranger["Vary"]


def test_moderators_decide_through_the_api(
    moderator_api, kestrel_api, kestrel, nikolai, article, make_comment
):
    from broadsheet.moderation.operations import set_discussion_mode

    set_discussion_mode(article=article, editor=None, mode="premoderated")
    make_comment(article, nikolai, "Please approve.")
    make_comment(article, nikolai, "Please reject.")
    queue = moderator_api.get("/moderation/queue").json()["items"]
    assert [item["comment"]["number"] for item in queue] == [1, 2]
    assert queue[0]["comment"]["html"]  # moderators read what they decide on
    assert queue[0]["reason"]
    approve = moderator_api.post(
        f"/moderation/comments/{queue[0]['id']}/decision", {"action": "approve"}
    )
    assert approve.json() == {"id": queue[0]["id"], "state": "visible"}
    assert_problem(
        moderator_api.post(f"/moderation/comments/{queue[1]['id']}/decision", {"action": "reject"}),
        422,
        "required",
        "/reason",
    )
    reject = moderator_api.post(
        f"/moderation/comments/{queue[1]['id']}/decision", {"action": "reject", "reason": "Spam"}
    )
    assert reject.json()["state"] == "rejected"
    banned = moderator_api.post(
        "/moderation/readers/unc-2/restriction",
        {"action": "suspend", "reason": "Cool off", "days": 2},
    ).json()
    assert banned["handle"] == "unc-2" and banned["suspended_until"]
    # A reader's token, even one of the moderate scope, does not make them a moderator.
    kestrel_moderate = ApiClient(kestrel_api.client, token_for(kestrel, "moderate"))
    assert_problem(kestrel_moderate.get("/moderation/queue"), 403, "not_a_moderator")
    assert_problem(kestrel_api.get("/moderation/queue"), 403, "insufficient_scope")


def test_a_moderators_write_token_cannot_moderate(client, moderator):
    api = ApiClient(client, token_for(moderator, "write"))
    assert_problem(api.get("/moderation/queue"), 403, "insufficient_scope")


def test_a_moderator_cannot_ban_staff_through_the_api(moderator_api, make_reader):
    editor = make_reader("ed-1")
    call_command("grant", "ed-1", "editor")
    response = moderator_api.post(
        "/moderation/readers/ed-1/restriction", {"action": "ban", "reason": "Coup"}
    )
    assert_problem(response, 403, "refused")
    editor.refresh_from_db()
    assert editor.banned_at is None


def _fill(article, author, count: int) -> None:
    for n in range(count):
        post_comment(article=article, author=author, body=f"Comment {n}.")


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_comment_list_costs_the_same_for_10_or_200_comments(
    client, kestrel, nikolai, make_article, django_assert_num_queries, signed_in
):
    small, big = make_article("small"), make_article("big")
    _fill(small, nikolai, 10)
    _fill(big, nikolai, 200)
    api = ApiClient(client, token_for(kestrel, "read") if signed_in else None)
    api.get("/me")  # the token's first use is written down once; not counted below
    counted = []
    for article in (small, big):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"/articles/{article.slug}/comments?limit=100")
        assert response.status_code == 200
        counted.append(len(queries))
    assert counted[0] == counted[1]
    # The token; the article with its discussion; its family of editions; one page
    # of comments with authors and parent numbers; the reader's votes on them.
    with django_assert_num_queries(5 if signed_in else 3):
        api.get(f"/articles/{big.slug}/comments?limit=100")


def test_api_answers_are_private_and_never_marked_shared(kestrel_api, anonymous_api, article):
    for api in (anonymous_api, kestrel_api):
        response = api.get(f"/articles/{article.slug}/comments")
        assert MARK_HEADER not in response
        assert "Authorization" in response["Vary"] and "Cookie" in response["Vary"]
    assert "private" in kestrel_api.get(f"/articles/{article.slug}/comments")["Cache-Control"]
    assert "no-store" in kestrel_api.get("/me")["Cache-Control"]


def test_the_reference_page_uses_only_our_own_files(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert "<script>" not in html.replace(" ", "")  # no inline code: only src= and JSON data
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/articles/{slug}/comments" in schema["paths"]


def test_counts_leave_out_held_and_deleted_comments(
    anonymous_api, kestrel, nikolai, article, make_comment
):
    from broadsheet.discussion.operations import delete_comment
    from broadsheet.moderation.operations import set_discussion_mode

    shown = make_comment(article, kestrel)
    gone = make_comment(article, nikolai)
    delete_comment(comment=gone, deleter=nikolai)
    set_discussion_mode(article=article, editor=None, mode="premoderated")
    held = make_comment(article, nikolai)
    assert held.status == held.Status.PENDING and shown.number == 1
    counts = anonymous_api.get(f"/counts?slug={article.slug}").json()
    assert counts == {"slugs": {article.slug: 1}, "urls": {}}
