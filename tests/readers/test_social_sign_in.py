"""Sign-in with other accounts over OpenID Connect, against a real provider process
(tests/oidc_provider/, django-oauth-toolkit) reached over HTTP."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from broadsheet.moderation.models import AuditEntry
from broadsheet.readers.models import Reader
from broadsheet.readers.operations import (
    LastWayIn,
    SocialIdentity,
    SocialSignInRefused,
    disconnect_social_account,
    sign_in_with_social_identity,
)
from tests.oidc_provider.fixtures import (
    CALLBACK_PATH,
    PROVIDER_ID,
    configure,
    log_in_and_consent,
)

pytestmark = pytest.mark.django_db

SIGN_IN_URL = f"/accounts/oidc/{PROVIDER_ID}/login/"


def start(client, **fields) -> str:
    """Press "Sign in with Test ID": answers the provider's authorize URL."""
    response = client.post(SIGN_IN_URL, fields)
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def come_back(client, callback_url: str):
    parts = urlsplit(callback_url)
    assert parts.path == CALLBACK_PATH
    return client.get(f"{parts.path}?{parts.query}")


def sign_in_as(client, username: str, **fields):
    return come_back(client, log_in_and_consent(start(client, **fields), username))


def signed_in_reader(client) -> Reader | None:
    user_id = client.session.get("_auth_user_id")
    return Reader.objects.get(pk=user_id) if user_id else None


def test_a_first_sign_in_makes_a_reader_with_the_providers_verified_address(
    client, with_oidc_provider
):
    response = sign_in_as(client, "osprey", next="/accounts/settings/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/settings/"
    reader = signed_in_reader(client)
    assert reader.handle == "osprey"
    assert reader.display_name == "Olga Sokolova"
    assert reader.email == "osprey@example.org"
    assert reader.email_verified_at is not None
    assert not reader.has_usable_password()
    account = SocialAccount.objects.get(user=reader)
    assert account.provider == PROVIDER_ID
    actions = set(AuditEntry.objects.filter(actor=reader).values_list("action", flat=True))
    assert actions == {"reader.social_created", "reader.social_linked"}


def test_a_second_sign_in_is_the_same_reader(client, with_oidc_provider):
    sign_in_as(client, "osprey-again")
    first = signed_in_reader(client)
    client.logout()

    response = sign_in_as(client, "osprey-again")

    assert response.status_code == 302
    assert signed_in_reader(client) == first
    assert Reader.objects.filter(email="osprey-again@example.org").count() == 1
    assert AuditEntry.objects.filter(actor=first, action="reader.social_signed_in").exists()


def test_links_to_the_reader_whose_address_both_sides_verified(
    client, make_reader, with_oidc_provider
):
    local = make_reader("lena", email="linker@example.org", email_verified_at=timezone.now())

    sign_in_as(client, "linker")

    assert signed_in_reader(client) == local
    assert SocialAccount.objects.get(provider=PROVIDER_ID, user=local)
    assert AuditEntry.objects.filter(actor=local, action="reader.social_linked").exists()


def test_an_address_the_provider_has_not_verified_does_not_link(
    client, make_reader, with_oidc_provider
):
    local = make_reader(
        "ulla-here", email="unverified@example.org", email_verified_at=timezone.now()
    )

    sign_in_as(client, "unverified")

    reader = signed_in_reader(client)
    assert reader != local
    assert reader.email == ""  # the address stays its verified owner's
    assert not SocialAccount.objects.filter(user=local).exists()


def test_an_address_used_here_but_not_verified_is_refused_and_never_taken_over(
    client, make_reader, with_oidc_provider
):
    local = make_reader("sam-here", email="squatted@example.org")  # never verified

    response = sign_in_as(client, "squatter")

    assert response.status_code == 409
    assert "has not verified it" in response.content.decode()
    assert signed_in_reader(client) is None
    assert not SocialAccount.objects.exists()
    assert Reader.objects.count() == 1 and Reader.objects.get() == local


def test_a_taken_handle_gets_a_unique_one(client, kestrel, with_oidc_provider):
    sign_in_as(client, "copycat")

    reader = signed_in_reader(client)
    assert reader != kestrel
    assert reader.handle.lower() != "kestrel-7"
    assert reader.handle.startswith("kestrel-7-")


def test_hostile_names_are_cleaned_and_bounded(client, with_oidc_provider):
    sign_in_as(client, "hostile")

    reader = signed_in_reader(client)
    assert "\u202e" not in reader.display_name
    assert len(reader.display_name) <= 64
    assert reader.handle == "b-amp"
    page = client.get(reader.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page


def test_a_banned_reader_is_refused(client, make_reader, with_oidc_provider):
    banned = make_reader(
        "bob",
        email="banned@example.org",
        email_verified_at=timezone.now(),
        banned_at=timezone.now(),
    )

    response = sign_in_as(client, "banned")

    assert response.status_code == 403
    assert "This account is closed" in response.content.decode()
    assert signed_in_reader(client) is None
    assert not SocialAccount.objects.filter(user=banned).exists()


def test_a_wrong_state_is_refused_and_creates_nothing(client, with_oidc_provider):
    callback = log_in_and_consent(start(client), "osprey")
    code = parse_qs(urlsplit(callback).query)["code"][0]

    response = client.get(CALLBACK_PATH, {"code": code, "state": "not-the-state"})

    assert response.status_code == 400
    assert "did not work" in response.content.decode()
    assert signed_in_reader(client) is None
    assert not Reader.objects.exists()
    assert not SocialAccount.objects.exists()


def test_an_id_token_with_another_nonce_is_refused(client, with_oidc_provider):
    """The authorization request altered on its way (the nonce swapped, as an attacker
    replaying an ID token of their own sign-in would need): state and PKCE still match,
    so only the nonce inside the signed ID token tells."""
    authorize = urlsplit(start(client))
    query = parse_qs(authorize.query)
    assert query["nonce"][0]
    query["nonce"] = ["a-nonce-of-someone-elses-sign-in"]
    altered = authorize._replace(query=urlencode(query, doseq=True)).geturl()

    response = come_back(client, log_in_and_consent(altered, "osprey"))

    assert response.status_code == 400
    assert "not issued for this sign-in" in response.content.decode()
    assert signed_in_reader(client) is None
    assert not Reader.objects.exists()
    assert not SocialAccount.objects.exists()


def test_a_code_from_another_sign_in_is_refused(client, with_oidc_provider):
    """Two sign-ins started in one browser: the second's code with the first's state."""
    first = start(client)
    second_callback = log_in_and_consent(start(client), "osprey")
    first_state = parse_qs(urlsplit(first).query)["state"][0]
    code = parse_qs(urlsplit(second_callback).query)["code"][0]

    response = client.get(CALLBACK_PATH, {"code": code, "state": first_state})

    assert response.status_code == 400
    assert signed_in_reader(client) is None
    assert not Reader.objects.exists()


def test_a_callback_used_twice_signs_in_once(client, with_oidc_provider):
    callback = log_in_and_consent(start(client), "osprey")
    assert come_back(client, callback).status_code == 302
    client.logout()

    response = come_back(client, callback)

    assert response.status_code == 400
    assert signed_in_reader(client) is None


def test_the_sign_in_pages_offer_the_provider(client, with_oidc_provider):
    for path in ("/accounts/sign-in/", "/accounts/sign-up/"):
        page = client.get(path).content.decode()
        assert "Sign in with Test ID" in page
        assert f'action="{SIGN_IN_URL}"' in page
        assert 'method="post"' in page


def test_the_sign_in_page_lets_forms_go_to_the_provider(client, with_oidc_provider):
    policy = client.get("/accounts/sign-in/")["Content-Security-Policy"]
    form_action = next(d for d in policy.split(";") if "form-action" in d)
    assert urlsplit(with_oidc_provider.issuer).netloc in form_action


def test_starting_a_sign_in_is_post_only(client, with_oidc_provider):
    assert client.get(SIGN_IN_URL).status_code == 405


def test_without_providers_no_buttons_and_404(client, settings, db):
    configure(settings, {})
    for path in ("/accounts/sign-in/", "/accounts/sign-up/"):
        assert "Sign in with" not in client.get(path).content.decode()
    assert client.post(SIGN_IN_URL).status_code == 404
    assert client.get(CALLBACK_PATH, {"code": "x", "state": "y"}).status_code == 404
    assert client.get("/accounts/oidc/google/login/callback/").status_code == 404


def test_an_unknown_provider_is_404(client, with_oidc_provider):
    assert client.post("/accounts/oidc/nobody/login/").status_code == 404
    assert client.get("/accounts/oidc/nobody/login/callback/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/logout/",
        "/accounts/password/reset/",
        "/accounts/password/change/",
        "/accounts/email/",
        "/accounts/3rdparty/",
        "/accounts/3rdparty/signup/",
        "/accounts/social/signup/",
        "/accounts/social/connections/",
        "/accounts/confirm-email/x/",
        "/accounts/reauthenticate/",
        "/accounts/",
    ],
)
def test_allauths_account_pages_are_not_served(client, with_oidc_provider, path):
    """Only our pages sign in (with their rate limits and lockout): none of allauth's."""
    assert client.get(path).status_code == 404
    assert client.post(path, {"login": "x", "password": "y"}).status_code in (403, 404)


def test_starting_sign_ins_is_rate_limited(client, settings, with_oidc_provider):
    settings.BROADSHEET_OIDC_SIGNINS_PER_MINUTE = 2
    assert client.post(SIGN_IN_URL).status_code == 302
    assert client.post(SIGN_IN_URL).status_code == 302
    response = client.post(SIGN_IN_URL)
    assert response.status_code == 429
    assert response["Retry-After"]


def test_a_reader_sees_and_disconnects_a_linked_account(client, make_reader, with_oidc_provider):
    local = make_reader("lena2", email="linker@example.org", email_verified_at=timezone.now())
    sign_in_as(client, "linker")
    account = SocialAccount.objects.get(user=local)

    page = client.get("/accounts/settings/").content.decode()
    assert "Linked accounts" in page and "Disconnect Test ID" in page

    response = client.post(f"/accounts/settings/linked/{account.pk}/disconnect/")

    assert response.status_code == 302
    assert not SocialAccount.objects.filter(user=local).exists()
    assert AuditEntry.objects.filter(actor=local, action="reader.social_disconnected").exists()


def test_the_only_way_in_cannot_be_disconnected(client, with_oidc_provider):
    sign_in_as(client, "osprey")
    reader = signed_in_reader(client)
    account = SocialAccount.objects.get(user=reader)

    page = client.get("/accounts/settings/").content.decode()
    assert "Disconnect Test ID" not in page
    client.post(f"/accounts/settings/linked/{account.pk}/disconnect/")

    assert SocialAccount.objects.filter(pk=account.pk).exists()


def test_another_readers_linked_account_cannot_be_disconnected(client, kestrel, with_oidc_provider):
    sign_in_as(client, "osprey")
    account = SocialAccount.objects.get()
    client.logout()
    client.force_login(kestrel)

    response = client.post(f"/accounts/settings/linked/{account.pk}/disconnect/")

    assert response.status_code == 404
    assert SocialAccount.objects.filter(pk=account.pk).exists()


def test_a_signed_in_reader_links_an_account_from_the_settings_page(
    client, kestrel, with_oidc_provider
):
    client.force_login(kestrel)
    page = client.get("/accounts/settings/").content.decode()
    assert "Link Test ID" in page

    response = sign_in_as(client, "osprey", process="connect")

    assert response.status_code == 302 and response["Location"] == "/accounts/settings/"
    assert SocialAccount.objects.get().user == kestrel
    assert signed_in_reader(client) == kestrel


def test_the_settings_page_reads_linked_accounts_in_one_query(
    client, kestrel, with_oidc_provider, django_assert_max_num_queries
):
    """However many accounts are linked: one query for them all."""
    client.force_login(kestrel)
    SocialAccount.objects.create(user=kestrel, provider=PROVIDER_ID, uid="0")
    with CaptureQueriesContext(connection) as one_linked:
        assert client.get("/accounts/settings/").status_code == 200
    for n in range(1, 6):
        SocialAccount.objects.create(user=kestrel, provider=f"p{n}", uid=str(n))

    with django_assert_max_num_queries(len(one_linked)):
        page = client.get("/accounts/settings/").content.decode()

    assert page.count("Disconnect ") == 6
    assert len(one_linked) <= 6


def identity(**fields) -> SocialIdentity:
    return SocialIdentity(
        **{
            "provider": PROVIDER_ID,
            "provider_name": "Test ID",
            "uid": "42",
            "handle_hint": "heron",
            "name": "Hanna Heron",
            "email": "heron@example.org",
            "email_verified": True,
            "extra_data": {},
            **fields,
        }
    )


@pytest.mark.parametrize("email", ["not an address", "a@" + "b" * 300 + ".org"])
def test_an_address_that_is_not_one_is_not_stored(email):
    outcome = sign_in_with_social_identity(identity=identity(email=email))

    assert outcome.created
    assert outcome.reader.email == ""
    assert outcome.reader.email_verified_at is None


def test_an_account_linked_to_another_reader_cannot_be_linked_again(kestrel, nikolai):
    sign_in_with_social_identity(identity=identity(), connect_to=kestrel)

    with pytest.raises(SocialSignInRefused) as refusal:
        sign_in_with_social_identity(identity=identity(), connect_to=nikolai)

    assert refusal.value.code == "linked_elsewhere"
    assert SocialAccount.objects.get().user == kestrel


def test_a_deactivated_reader_is_refused(kestrel):
    sign_in_with_social_identity(identity=identity(), connect_to=kestrel)
    kestrel.is_active = False
    kestrel.save(update_fields=["is_active"])

    with pytest.raises(SocialSignInRefused) as refusal:
        sign_in_with_social_identity(identity=identity())

    assert refusal.value.code == "closed"


def test_the_buttons_cost_the_sign_in_pages_no_query(
    client, with_oidc_provider, django_assert_num_queries
):
    for path in ("/accounts/sign-in/", "/accounts/sign-up/"):
        with django_assert_num_queries(0):
            assert client.get(path).status_code == 200


def test_a_staff_account_is_never_signed_in_or_linked_by_another_account(moderator):
    moderator.refresh_from_db()  # `grant` made it staff
    assert moderator.is_staff
    moderator.email = "heron@example.org"
    moderator.email_verified_at = timezone.now()
    moderator.save(update_fields=["email", "email_verified_at"])

    for attempt in ({}, {"connect_to": moderator}):
        with pytest.raises(SocialSignInRefused) as refusal:
            sign_in_with_social_identity(identity=identity(), **attempt)
        assert refusal.value.code == "staff"
    assert not SocialAccount.objects.exists()


def test_a_reader_of_the_newsroom_may_disconnect_their_only_provider():
    outcome = sign_in_with_social_identity(identity=identity())
    reader = outcome.reader
    account = SocialAccount.objects.get(user=reader)
    with pytest.raises(LastWayIn):
        disconnect_social_account(reader=reader, account_id=account.pk)

    reader.sso_subject = "newsroom-42"  # single sign-on is another way in
    reader.save(update_fields=["sso_subject"])
    disconnect_social_account(reader=reader, account_id=account.pk)

    assert not SocialAccount.objects.exists()
