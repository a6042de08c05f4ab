"""Idempotency-Key: a retry replays the first answer, a different request with the key
is refused, a request still in flight is told 409, and the answer commits with the
comment or not at all."""

import datetime as dt
import json
import threading
import urllib.error
import urllib.request

import pytest
from django.utils import timezone

from broadsheet.discussion.models import Comment, Discussion
from broadsheet.integrations.api import idempotency, operations
from broadsheet.integrations.models import IdempotencyKey
from tests.concurrency import run_at_once
from tests.integrations.api.conftest import assert_problem, token_for


def post(api, article, body: dict, key: str | None = "key-1"):
    headers = {"Idempotency-Key": key} if key else {}
    return api.post(f"/articles/{article.slug}/comments", body, headers=headers)


@pytest.mark.django_db
def test_a_retry_gets_the_first_answer_and_no_second_comment(kestrel_api, article):
    first = post(kestrel_api, article, {"body": "Once only."})
    again = post(kestrel_api, article, {"body": "Once only."})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.json()["number"] == 1
    assert Comment.objects.count() == 1
    assert Discussion.objects.get(article=article).last_number == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422(kestrel_api, article):
    post(kestrel_api, article, {"body": "First."})
    assert_problem(post(kestrel_api, article, {"body": "Second."}), 422, "key_reused")
    assert Comment.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_their_reader(kestrel_api, nikolai_api, article):
    mine = post(kestrel_api, article, {"body": "Same words."})
    theirs = post(nikolai_api, article, {"body": "Same words."})
    assert theirs.status_code == 201
    assert theirs.json()["number"] != mine.json()["number"]


@pytest.mark.django_db
def test_a_key_in_flight_is_409(kestrel_api, kestrel, article):
    print_ = idempotency.fingerprint(
        "POST",
        f"/api/v1/articles/{article.slug}/comments",
        {"body": "Slow.", "parent": None, "quote_anchor": "", "quote_text": "", "language": ""},
    )
    operations.claim(reader=kestrel, key="key-1", print_=print_)
    response = post(kestrel_api, article, {"body": "Slow."})
    assert_problem(response, 409, "in_flight")
    assert response["Retry-After"] == "1"
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_an_abandoned_claim_is_taken_over_after_its_lease(kestrel_api, kestrel, article):
    row = operations.claim(reader=kestrel, key="key-1", print_="x")
    IdempotencyKey.objects.filter(pk=row.pk).update(
        fingerprint=idempotency.fingerprint(
            "POST",
            f"/api/v1/articles/{article.slug}/comments",
            {
                "body": "Retry.",
                "parent": None,
                "quote_anchor": "",
                "quote_text": "",
                "language": "",
            },
        ),
        leased_until=timezone.now() - dt.timedelta(seconds=1),
    )
    assert post(kestrel_api, article, {"body": "Retry."}).status_code == 201
    assert Comment.objects.count() == 1


@pytest.mark.django_db
def test_a_refusal_gives_the_key_back(kestrel_api, article, settings):
    settings.BROADSHEET_COMMENT_MAX_LENGTH = 5
    assert_problem(post(kestrel_api, article, {"body": "Far too long."}), 422, "too_long")
    settings.BROADSHEET_COMMENT_MAX_LENGTH = 50
    assert post(kestrel_api, article, {"body": "Far too long."}).status_code == 201


@pytest.mark.django_db
def test_expired_keys_are_new_keys_and_the_worker_sweeps_them(kestrel_api, article):
    post(kestrel_api, article, {"body": "Yesterday."})
    IdempotencyKey.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert post(kestrel_api, article, {"body": "Today."}).json()["number"] == 2
    IdempotencyKey.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert operations.sweep_expired_keys() == 1
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_a_bad_key_is_400(kestrel_api, article):
    assert_problem(
        post(kestrel_api, article, {"body": "x"}, key="k" * 201), 400, "bad_idempotency_key"
    )
    assert not Comment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_crash_before_commit_leaves_neither_the_comment_nor_its_answer(
    kestrel_api, article, monkeypatch
):
    """The answer is written in the comment's transaction: if that transaction dies,
    the retry posts the comment for the first time, with the number given back."""
    real_finish = operations.finish

    def crash(*, row, answer):
        real_finish(row=row, answer=answer)
        raise RuntimeError("power cut")

    monkeypatch.setattr(operations, "finish", crash)
    assert post(kestrel_api, article, {"body": "Survives."}).status_code == 500
    assert not Comment.objects.exists()
    assert not IdempotencyKey.objects.exists()
    monkeypatch.setattr(operations, "finish", real_finish)
    retried = post(kestrel_api, article, {"body": "Survives."})
    assert retried.status_code == 201
    assert retried.json()["number"] == 1
    assert Comment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_claims_of_one_key_let_exactly_one_through(kestrel):
    results, errors = run_at_once(
        [lambda: operations.claim(reader=kestrel, key="race", print_="same") for _ in range(4)]
    )
    assert len(results) == 1
    assert len(errors) == 3
    assert all(getattr(e, "status", None) == 409 for e in errors)


def _post_over_http(base: str, slug: str, secret: str, key: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base}/api/v1/articles/{slug}/comments",
        data=json.dumps({"body": "Sent twice at once."}).encode(),
        headers={
            "Authorization": f"Bearer {secret}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.slow
def test_two_clients_racing_one_key_against_a_live_server_make_one_comment(
    asgi_server, kestrel, make_article
):
    article = make_article("racing")
    secret = token_for(kestrel, "write")
    answers: list[tuple[int, dict]] = []
    barrier = threading.Barrier(6)

    def send():
        barrier.wait()
        answers.append(_post_over_http(asgi_server, article.slug, secret, "same-key"))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Comment.objects.filter(article=article).count() == 1
    created = [body for status, body in answers if status == 201]
    assert created and all(body["number"] == 1 for body in created)
    assert {status for status, _body in answers} <= {201, 409}


@pytest.mark.django_db
def test_a_retry_replays_even_past_the_rate_limit_or_a_ban(
    kestrel_api, kestrel, moderator, article, settings
):
    from broadsheet.moderation.operations import ban_reader

    settings.BROADSHEET_COMMENTS_PER_MINUTE = 1
    first = post(kestrel_api, article, {"body": "Just once."})
    assert first.status_code == 201
    assert post(kestrel_api, article, {"body": "Just once."}).json() == first.json()
    ban_reader(reader=kestrel, moderator=moderator, reason="later")
    assert post(kestrel_api, article, {"body": "Just once."}).json() == first.json()
    assert_problem(post(kestrel_api, article, {"body": "Another."}, key="key-2"), 403)
