import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from broadsheet.readers.models import Reader
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, password):
    return client.post("/accounts/sign-in/", {"username": "kestrel-7", "password": password})


def test_repeated_failed_sign_ins_lock_the_account_from_that_address_for_a_while(
    client, kestrel, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "wrong guess").status_code == 400
    assert sign_in(client, "wrong guess").status_code == 429  # the limit-th failure locks
    locked = sign_in(client, PASSWORD)
    assert locked.status_code == 429
    assert "too many failed attempts" in locked.content.decode()
    later = timezone.now() + settings.AXES_COOLOFF_TIME + dt.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert sign_in(client, PASSWORD).status_code == 302  # the lockout ends by itself


def test_a_lockout_from_one_address_does_not_lock_the_reader_out_elsewhere(
    client, kestrel, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/sign-in/",
            {"username": "kestrel-7", "password": "x"},
            REMOTE_ADDR="203.0.113.9",
        )
    assert sign_in(client, PASSWORD).status_code == 302  # from 127.0.0.1


def test_sign_ups_from_one_address_are_limited(client, settings):
    settings.BROADSHEET_SIGNUPS_PER_HOUR = "2"
    for n in range(2):
        response = client.post(
            "/accounts/sign-up/",
            {
                "handle": f"newbie-{n}",
                "display_name": "New",
                "email": f"n{n}@example.org",
                "password": PASSWORD,
            },
        )
        assert response.status_code == 302
        client.logout()
    response = client.post(
        "/accounts/sign-up/",
        {
            "handle": "newbie-9",
            "display_name": "New",
            "email": "n9@example.org",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert not Reader.objects.filter(handle="newbie-9").exists()


def test_votes_are_limited_per_reader(signed_in_client, article, nikolai, settings):
    from broadsheet.discussion.operations import post_comment

    settings.BROADSHEET_VOTES_PER_MINUTE = "2"
    post_comment(article=article, author=nikolai, body="Vote")
    url = "/articles/the-last-ferry/comments/1/vote/"
    assert signed_in_client.post(url, {"value": "up"}).status_code == 302
    assert signed_in_client.post(url, {"value": "none"}).status_code == 302
    response = signed_in_client.post(url, {"value": "up"})
    assert response.status_code == 429 and response["Retry-After"] == "60"
