"""What a post sends to Redis, pinned (docs/posting.md, round 6): the new comment's
HTML is kept in the shared cache only once its transaction commits (not while the
discussion's row lock is held, and never for a post that rolled back), by one
command; and a form post on PostgreSQL + Redis costs a fixed handful of Redis
commands."""

import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from broadsheet.discussion.models import Comment
from broadsheet.discussion.operations import post_comment

WORDS = "The ferry timetable should be printed at the pier."


@pytest.fixture
def cache_writes(monkeypatch):
    """The shared cache's writes as they happen (each still reaches the cache)."""
    writes = []
    real_set, real_set_many = cache.set, cache.set_many

    def recorded_set(key, value, *args, **kwargs):
        writes.append(("set", key, value))
        return real_set(key, value, *args, **kwargs)

    def recorded_set_many(data, *args, **kwargs):
        writes.append(("set_many", data))
        return real_set_many(data, *args, **kwargs)

    monkeypatch.setattr(cache, "set", recorded_set)
    monkeypatch.setattr(cache, "set_many", recorded_set_many)
    return writes


def _fragments(writes) -> list:
    return [write for write in writes if write[0] == "set" and WORDS in str(write[2])]


@pytest.mark.django_db
def test_a_new_comments_html_is_kept_once_the_post_commits(
    article, kestrel, cache_writes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        post_comment(article=article, author=kestrel, body=WORDS)
    assert _fragments(cache_writes) == []  # nothing while the transaction was open
    for callback in after_commit:
        callback()
    [(command, _key, html)] = _fragments(cache_writes)
    assert command == "set"  # one SET with its expiry, not MULTI/MSET/EXPIRE/EXEC
    assert WORDS in html


@pytest.mark.django_db(transaction=True)
def test_a_post_that_rolls_back_leaves_nothing_in_the_shared_cache(article, kestrel, cache_writes):
    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        post_comment(article=article, author=kestrel, body=WORDS)
        raise Abandoned
    assert not Comment.objects.filter(body_markdown=WORDS).exists()
    assert _fragments(cache_writes) == []
    post_comment(article=article, author=kestrel, body=WORDS)  # committed: kept
    assert len(_fragments(cache_writes)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_form_post_sends_redis_four_commands(article, kestrel, client):
    """The session (cached_db), the webhook subscriptions, the new comment's HTML
    and the live event's publish: nothing else, and no transaction wrapper."""
    if not settings.BROADSHEET_REDIS_URL:
        pytest.skip("this test process was given no Redis")
    import redis

    server = redis.Redis.from_url(settings.BROADSHEET_REDIS_URL)

    def calls():
        stats = server.info("commandstats")
        return {name: row["calls"] for name, row in stats.items()}

    client.force_login(kestrel)
    url = f"{article.get_absolute_url()}comments/"
    for body in ("The first, which warms the session and caches up.", WORDS):
        before = calls()
        response = client.post(url, {"body": body, "submission_key": str(uuid.uuid4())})
        assert response.status_code == 302
        after = calls()
    made = {
        name.removeprefix("cmdstat_"): after[name] - before.get(name, 0)
        for name in after
        if after[name] != before.get(name, 0)
    }
    made["info"] = made.get("info", 0) - 1  # the reading itself
    made = {name: count for name, count in made.items() if count}
    assert made == {"get": 2, "set": 1, "publish": 1}
