import pytest
from django.test import RequestFactory
from django.urls import reverse

from broadsheet.readers.backends import sign_in_name
from tests.conftest import PASSWORD
from tests.mail import sent_mail

pytestmark = pytest.mark.django_db


def reset(client, email, address="127.0.0.1"):
    return client.post(reverse("readers:password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_password_resets_from_one_address_are_limited(client, kestrel, settings):
    settings.BROADSHEET_PASSWORD_RESETS_PER_HOUR = "2"
    assert reset(client, "nobody@example.org").status_code == 302
    assert reset(client, "someone@example.org").status_code == 302
    response = reset(client, kestrel.email)
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert sent_mail() == []


def test_password_reset_mails_to_one_account_are_limited_without_saying_so(
    client, kestrel, settings
):
    settings.BROADSHEET_ACCOUNT_EMAILS_PER_HOUR = "2"
    for n in range(4):  # from four addresses, in any letter case
        response = reset(
            client, kestrel.email.upper() if n % 2 else kestrel.email, f"198.51.100.{n}"
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("readers:password_reset_done")
    assert len(sent_mail()) == 2


def test_sign_up_attempt_notices_count_against_the_same_per_account_limit(
    client, kestrel, settings
):
    settings.BROADSHEET_ACCOUNT_EMAILS_PER_HOUR = "1"
    for n in range(2):
        response = client.post(
            reverse("readers:sign_up"),
            {
                "handle": f"other-{n}",
                "display_name": "Other",
                "email": kestrel.email,
                "password": PASSWORD,
            },
            REMOTE_ADDR=f"198.51.100.{n}",
        )
        assert response.status_code == 200 and "Check your email" in response.content.decode()
    assert len(sent_mail()) == 1


def admin_sign_in(client, username, password, address="127.0.0.1"):
    return client.post(
        "/admin/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def site_sign_in(client, username, password, address="127.0.0.1"):
    return client.post(
        "/accounts/sign-in/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_the_admin_sign_in_shares_the_sites_limit_on_attempts_per_address(client, db, settings):
    settings.BROADSHEET_SIGNIN_ATTEMPTS_PER_HOUR = "2"
    assert site_sign_in(client, "nobody-1", "guess").status_code == 400
    assert admin_sign_in(client, "nobody-2", "guess").status_code == 200  # the form again
    response = admin_sign_in(client, "nobody-3", "guess")
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"


def test_failed_admin_sign_ins_lock_the_account_on_the_site_too(client, make_reader, settings):
    boss = make_reader("boss-1", is_staff=True, is_superuser=True)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert admin_sign_in(client, "boss-1", "wrong guess").status_code == 200
    assert admin_sign_in(client, "boss-1", "wrong guess").status_code == 429
    assert admin_sign_in(client, "boss-1", PASSWORD).status_code == 429
    assert site_sign_in(client, boss.email, PASSWORD).status_code == 429


def test_a_handle_and_an_email_count_as_one_account_for_the_lockout(client, kestrel, settings):
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        login = "kestrel-7" if n % 2 else "Kestrel-7@Example.org"
        assert site_sign_in(client, login, "wrong guess").status_code == 400
    assert site_sign_in(client, kestrel.email, "wrong guess").status_code == 429
    assert site_sign_in(client, "KESTREL-7", PASSWORD).status_code == 429
    assert site_sign_in(client, kestrel.email, PASSWORD).status_code == 429
    # and from another address the reader still signs in
    assert site_sign_in(client, kestrel.email, PASSWORD, "203.0.113.5").status_code == 302


def test_an_unknown_name_is_locked_out_like_a_known_one(client, db, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert site_sign_in(client, "nobody@example.org", "guess").status_code == 400
    assert site_sign_in(client, "nobody@example.org", "guess").status_code == 429


def test_the_lockout_name_costs_one_query_per_attempt_known_or_not(
    kestrel, django_assert_num_queries
):
    for typed, counted in [("kestrel-7@example.org", "kestrel-7"), ("Nobody", "nobody")]:
        request = RequestFactory().post("/accounts/sign-in/", {"username": typed})
        with django_assert_num_queries(1):
            assert sign_in_name(request, {"username": typed}) == counted
            assert sign_in_name(request, {"username": typed}) == counted
