"""Every kind of bad request: a 4xx problem (RFC 9457) naming what was wrong with a
JSON pointer, nothing stored, no comment number spent, the input never echoed."""

import pytest

from broadsheet.discussion.models import Comment, Discussion
from tests.integrations.api.conftest import assert_problem

pytestmark = pytest.mark.django_db

SECRET_WORDS = "zebra-crossing-7731"


def post(api, article, raw: bytes, content_type: str = "application/json"):
    return api.post(f"/articles/{article.slug}/comments", raw=raw, content_type=content_type)


def nothing_stored(article) -> None:
    assert not Comment.objects.exists()
    assert Discussion.objects.get(article=article).last_number == 0  # no number spent


@pytest.mark.parametrize(
    ("raw", "status", "code", "pointer"),
    [
        (b'{"body": "' + SECRET_WORDS.encode() + b'"', 400, "malformed_json", ""),
        (b'{"body": 5}', 422, "wrong_type", "/body"),
        (b'{"body": "ok", "parent": "1"}', 422, "wrong_type", "/parent"),
        (b'{"body": "ok", "parent": 1.5}', 422, "wrong_type", "/parent"),
        (b'{"body": "ok", "parent": true}', 422, "wrong_type", "/parent"),
        (
            b'{"body": "ok", "colour": "' + SECRET_WORDS.encode() + b'"}',
            422,
            "unknown_field",
            "/colour",
        ),
        (b'{"body": "ok", "parent": NaN}', 400, "not_a_number", ""),
        (b'{"body": "ok", "parent": Infinity}', 400, "not_a_number", ""),
        (b'{"body": "ok", "parent": 1e999}', 400, "out_of_range", ""),
        (b'{"body": "ok", "parent": 99999999999999999999999}', 400, "out_of_range", ""),
        (b'{"body": "ok", "parent": 3000000000}', 422, "out_of_range", "/parent"),
        (b'{"body": "ok", "parent": 0}', 422, "out_of_range", "/parent"),
        (b'{"body": "ok", "x": ' + b"[" * 50 + b"]" * 50 + b"}", 400, "too_deep", ""),
        (b"[" * 100000, 400, "too_deep", ""),
        (b'{"body": "caf\xe9 ' + SECRET_WORDS.encode() + b'"}', 400, "invalid_utf8", ""),
        (b'{"body": "\\ud800 lone surrogate"}', 400, "invalid_unicode", ""),
        (b'{"body": "nul \\u0000 inside"}', 422, "null_character", "/body"),
        (b'{"parent": null}', 422, "required", "/body"),
        (b'{"body": "   "}', 422, "blank", "/body"),
        (b"[]", 422, None, None),
        (b'"just a string"', 422, None, None),
        (b'{"body": "ok", "language": "xx"}', 422, "unknown_language", "/language"),
    ],
)
def test_bad_bodies_are_refused_and_nothing_is_stored(
    kestrel_api, article, raw, status, code, pointer
):
    response = post(kestrel_api, article, raw)
    assert_problem(response, status, code, pointer)
    assert SECRET_WORDS.encode() not in response.content
    nothing_stored(article)


def test_too_long_names_the_field_the_limit_and_the_length(kestrel_api, article, settings):
    settings.BROADSHEET_COMMENT_MAX_LENGTH = 10
    response = kestrel_api.post(f"/articles/{article.slug}/comments", {"body": "x" * 11})
    problem = assert_problem(response, 422, "too_long", "/body")
    assert "11" in problem["detail"] and "10" in problem["detail"]
    nothing_stored(article)


def test_wrong_content_type_is_415(kestrel_api, article):
    response = post(kestrel_api, article, b"body=hello", "application/x-www-form-urlencoded")
    assert_problem(response, 415, "unsupported_media_type")
    nothing_stored(article)


def test_oversize_body_is_413_problem_not_html(kestrel_api, article, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = post(kestrel_api, article, b'{"body": "' + b"x" * 4096 + b'"}')
    assert_problem(response, 413, "too_large")
    nothing_stored(article)


def test_missing_token_for_a_write_is_401_with_a_bearer_challenge(anonymous_api, article):
    response = anonymous_api.post(f"/articles/{article.slug}/comments", {"body": "Hi."})
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    nothing_stored(article)


@pytest.mark.parametrize(
    "header", ["Bearer nonsense", "Bearer ", "Basic a2VzdHJlbDpwdw==", "Bearer " + "x" * 5000]
)
def test_a_bad_token_is_401_even_for_public_reads(client, article, header):
    response = client.get(
        f"/api/v1/articles/{article.slug}/comments", headers={"Authorization": header}
    )
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_read_token_cannot_post_403(kestrel_reader_api, article):
    response = kestrel_reader_api.post(f"/articles/{article.slug}/comments", {"body": "Hi."})
    assert_problem(response, 403, "insufficient_scope")
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    nothing_stored(article)


def test_a_revoked_token_is_401(client, kestrel, article):
    from broadsheet.readers.operations import create_api_token, revoke_api_token

    issued = create_api_token(reader=kestrel, name="gone", scope="write")
    revoke_api_token(token=issued.token)
    response = client.post(
        f"/api/v1/articles/{article.slug}/comments",
        b'{"body": "Hi."}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {issued.secret}"},
    )
    assert_problem(response, 401)
    nothing_stored(article)


def test_unknown_article_comment_and_path_are_404_problems(anonymous_api, article):
    assert_problem(anonymous_api.get("/articles/no-such-thing/comments"), 404)
    assert_problem(anonymous_api.get(f"/articles/{article.slug}/comments/7"), 404)
    assert_problem(anonymous_api.get("/nowhere/at/all"), 404)


def test_a_draft_is_as_missing_as_a_typo(anonymous_api, make_article):
    draft = make_article(status="draft", published_at=None)
    assert_problem(anonymous_api.get(f"/articles/{draft.slug}"), 404)
    assert_problem(anonymous_api.get(f"/articles/{draft.slug}/comments"), 404)


def test_a_wrong_method_is_a_405_problem(kestrel_api, article):
    response = kestrel_api.send("put", f"/articles/{article.slug}/comments", {"body": "x"})
    assert_problem(response, 405)
    assert "POST" in response["Allow"]


def test_bad_query_parameters_are_422_naming_the_parameter(anonymous_api, article):
    problem = assert_problem(anonymous_api.get(f"/articles/{article.slug}/comments?after=-1"), 422)
    assert problem["errors"][0]["pointer"] == "/query/after"
    assert_problem(
        anonymous_api.get(f"/articles/{article.slug}/comments?limit=abc"), 422, "wrong_type"
    )
    assert_problem(anonymous_api.get(f"/articles/{article.slug}/comments/99999999999999"), 422)


def test_session_writes_need_csrf(client, kestrel, article):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(kestrel)
    response = browser.post(
        f"/api/v1/articles/{article.slug}/comments",
        b'{"body": "Forged."}',
        content_type="application/json",
    )
    assert_problem(response, 403, "csrf_failed")
    assert not Comment.objects.exists()
    # With the token from a page of the site, the same post goes through.
    browser.get("/api/v1/docs")
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        f"/api/v1/articles/{article.slug}/comments",
        b'{"body": "Meant."}',
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201, response.content


def test_an_unexpected_failure_is_a_500_problem_without_a_traceback(
    kestrel_api, article, monkeypatch
):
    from broadsheet.integrations.api import comments

    def explode(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(comments, "post_comment", explode)
    response = kestrel_api.post(f"/articles/{article.slug}/comments", {"body": "Boom."})
    assert_problem(response, 500)
    assert b"secret internals" not in response.content and b"Traceback" not in response.content


@pytest.mark.slow
def test_an_oversize_body_to_a_real_server_is_a_413_problem(asgi_server, settings):
    """The request-size cap refuses on the declared length, before anything is read;
    under /api/ its refusal is a problem too, not plain text."""
    import http.client
    import json
    from urllib.parse import urlsplit

    address = urlsplit(asgi_server)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    connection.putrequest("POST", "/api/v1/articles/anything/comments")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(settings.BROADSHEET_MAX_REQUEST_BYTES + 1))
    connection.endheaders()  # the body is never sent: the answer comes first
    response = connection.getresponse()
    assert response.status == 413
    assert response.getheader("Content-Type") == "application/problem+json"
    problem = json.loads(response.read())
    connection.close()
    assert problem["status"] == 413 and problem["errors"][0]["code"] == "too_large"


def test_every_caller_is_limited_per_minute(anonymous_api, kestrel_api, article, settings):
    import time_machine
    from django.utils import timezone

    settings.BROADSHEET_API_REQUESTS_PER_MINUTE = 2
    # Time stands still: the counters' minute cannot end between the requests.
    with time_machine.travel(timezone.now(), tick=False):
        for api in (anonymous_api, kestrel_api):
            for _ in range(2):
                assert api.get(f"/articles/{article.slug}").status_code == 200
            response = api.get(f"/articles/{article.slug}")
            assert_problem(response, 429, "rate_limited")
            assert response["Retry-After"] == "60"


def test_the_api_root_answers_a_problem_not_html(anonymous_api):
    assert_problem(anonymous_api.get("/"), 404)
