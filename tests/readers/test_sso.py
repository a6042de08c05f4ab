"""Single sign-on with the newsroom's accounts: GET /accounts/sso/?token=JWT&next=URL
and, for the embedded discussion, POST /accounts/sso/token. Tokens are made here, with
the shared secret or with keys made here and served as a JWKS over real HTTP."""

import base64
import html
import json
import time
from datetime import timedelta

import jwt
import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from broadsheet.moderation.models import AuditEntry
from broadsheet.moderation.operations import ban_reader
from broadsheet.readers import sso
from broadsheet.readers.access import find_api_token
from broadsheet.readers.models import ApiToken, Reader, UsedSsoToken
from tests.readers.newsroom import SECRET, NewsroomKeys, claims, handmade_token, hs256_token

SSO = "/accounts/sso/"
TOKEN_EXCHANGE = "/accounts/sso/token"


@pytest.fixture
def sso_on(settings, db):
    settings.BROADSHEET_SSO_SECRET = SECRET
    settings.BROADSHEET_SSO_JWKS_URL = ""
    return settings


@pytest.fixture
def newsroom_keys(settings):
    keys = NewsroomKeys()
    settings.BROADSHEET_SSO_JWKS_URL = keys.url
    # A port may come round again: no client (and its cached key set) from an earlier test.
    sso._key_set_client.cache_clear()
    yield keys
    keys.stop()
    sso._key_set_client.cache_clear()


def rows() -> dict[str, int]:
    return {
        "readers": Reader.objects.count(),
        "used tokens": UsedSsoToken.objects.count(),
        "audit entries": AuditEntry.objects.count(),
        "api tokens": ApiToken.objects.count(),
    }


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def signed_in_reader(client) -> Reader | None:
    pk = client.session.get(SESSION_KEY)
    return Reader.objects.get(pk=pk) if pk else None


# --- signing in --------------------------------------------------------------------


def test_the_first_sign_in_makes_the_reader_and_signs_them_in(client, sso_on, article):
    next_url = f"/articles/{article.slug}/"
    response = client.get(SSO, {"token": hs256_token(), "next": next_url})

    assert response.status_code == 302 and response["Location"] == next_url
    reader = Reader.objects.get(sso_subject="newsroom-1001")
    assert signed_in_reader(client) == reader
    assert (reader.handle, reader.display_name) == ("anna", "Anna Petrova")
    assert reader.email == "anna@newsroom.example"
    assert reader.email_verified_at is None  # the newsroom did not say it verifies
    assert not reader.has_usable_password()
    actions = list(AuditEntry.objects.filter(actor=reader).values_list("action", flat=True))
    assert sorted(actions) == ["reader.sso_created", "reader.sso_signed_in"]
    assert response.headers["Cache-Control"].startswith("max-age=0")
    assert "anna" in client.get(next_url).content.decode()


def test_a_newsroom_that_verifies_addresses_gives_verified_ones(client, sso_on):
    sso_on.BROADSHEET_SSO_EMAIL_VERIFIED = True
    client.get(SSO, {"token": hs256_token()})
    assert Reader.objects.get(sso_subject="newsroom-1001").email_is_verified


def test_a_later_sign_in_finds_the_same_reader_and_updates_the_name(client, sso_on):
    client.get(SSO, {"token": hs256_token()})
    first = Reader.objects.get(sso_subject="newsroom-1001")

    again = Client()
    token = hs256_token(
        handle="petrova", name="Anna  Petrova-Smirnova", email="a@elsewhere.example"
    )
    response = again.get(SSO, {"token": token})

    assert response.status_code == 302
    assert signed_in_reader(again) == first
    first.refresh_from_db()
    assert first.display_name == "Anna Petrova-Smirnova"
    # The handle and the address are the reader's own here once made.
    assert (first.handle, first.email) == ("anna", "anna@newsroom.example")
    assert Reader.objects.count() == 1


def test_a_taken_handle_gets_a_unique_one(client, sso_on, kestrel):
    client.get(SSO, {"token": hs256_token(handle="kestrel-7")})
    made = Reader.objects.get(sso_subject="newsroom-1001")
    assert made != kestrel and made.handle.startswith("kestrel-7-")


def test_hostile_claims_are_cleaned_before_they_are_stored(client, sso_on):
    token = hs256_token(handle="<script>alert(1)</script>", name="Anna \u202eavorteP\u200b<b>")
    assert client.get(SSO, {"token": token}).status_code == 302
    reader = Reader.objects.get(sso_subject="newsroom-1001")
    assert reader.handle == "script-alert-1-script"
    assert reader.display_name == "Anna avorteP<b>"  # stored as text, escaped on pages
    page = client.get(reader.get_absolute_url()).content.decode()
    assert "avorteP<b>" not in page and "avorteP&lt;b&gt;" in page


def test_a_reserved_handle_is_not_given_away(client, sso_on):
    client.get(SSO, {"token": hs256_token(handle="admin")})
    assert Reader.objects.get(sso_subject="newsroom-1001").handle != "admin"


def test_an_address_of_a_local_reader_does_not_take_over_their_account(client, sso_on, kestrel):
    response = client.get(SSO, {"token": hs256_token(email="KESTREL-7@example.org")})

    assert response.status_code == 302
    newcomer = signed_in_reader(client)
    assert newcomer != kestrel and newcomer.sso_subject == "newsroom-1001"
    assert newcomer.email == ""  # the address stays kestrel's alone
    kestrel.refresh_from_db()
    assert kestrel.sso_subject == ""


def test_linking_by_address_happens_only_when_configured_and_verified(client, sso_on, kestrel):
    sso_on.BROADSHEET_SSO_EMAIL_VERIFIED = True
    sso_on.BROADSHEET_SSO_TRUST_EMAIL_TO_LINK_ACCOUNTS = True
    # kestrel's address is not verified here: still no link.
    client.get(SSO, {"token": hs256_token(email="kestrel-7@example.org")})
    assert signed_in_reader(client) != kestrel
    Reader.objects.filter(sso_subject="newsroom-1001").update(sso_subject="someone-else")

    Reader.objects.filter(pk=kestrel.pk).update(email_verified_at=timezone.now())
    client.get(SSO, {"token": hs256_token(email="kestrel-7@example.org")})
    assert signed_in_reader(client) == kestrel
    kestrel.refresh_from_db()
    assert kestrel.sso_subject == "newsroom-1001"
    assert AuditEntry.objects.filter(actor=kestrel, action="reader.sso_linked").exists()


def test_a_staff_account_is_never_linked_by_address(client, sso_on, moderator):
    sso_on.BROADSHEET_SSO_EMAIL_VERIFIED = True
    sso_on.BROADSHEET_SSO_TRUST_EMAIL_TO_LINK_ACCOUNTS = True
    Reader.objects.filter(pk=moderator.pk).update(email_verified_at=timezone.now())
    client.get(SSO, {"token": hs256_token(email=moderator.email)})
    assert signed_in_reader(client) != moderator


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("https://evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("javascript:alert(1)", "/"),
        ("/readers/anna/", "/readers/anna/"),
    ],
)
def test_next_stays_on_this_site(client, sso_on, next_url, lands_on):
    response = client.get(SSO, {"token": hs256_token(), "next": next_url})
    assert response.status_code == 302 and response["Location"] == lands_on


def test_signing_in_costs_a_bounded_number_of_queries(
    client, sso_on, django_assert_max_num_queries
):
    # Savepoints count; django-axes logs each sign-in (4 queries); the first sign-in
    # also queues the verification mail; every sign-in writes the session's row and
    # a line of sign-in history (2, docs/your-data.md).
    with django_assert_max_num_queries(29):
        assert client.get(SSO, {"token": hs256_token()}).status_code == 302
    with django_assert_max_num_queries(23):  # the old session is read and replaced
        assert client.get(SSO, {"token": hs256_token(name="Anna P.")}).status_code == 302


# --- refusals ----------------------------------------------------------------------


def _tamper_payload(token: str) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["sub"] = "newsroom-1"  # someone else
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _tamper_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{header}.{payload}.{flipped}"


def _signed_garbage() -> str:
    """Signed with the right secret, so only reading the claims can fail."""
    import hashlib
    import hmac

    signing_input = "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24"  # {"alg":"HS256"} . "not json"
    mac = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


NOW = int(time.time())

REFUSALS = {
    "expired": (
        lambda: hs256_token(iat=NOW - 900, exp=NOW - 600),
        403,
        "The sign-in token has expired.",
    ),
    "not yet valid": (
        lambda: hs256_token(nbf=int(time.time()) + 600),
        403,
        "The sign-in token is not valid yet.",
    ),
    "issued in the future": (
        lambda: hs256_token(iat=int(time.time()) + 600),
        403,
        "The sign-in token is not valid yet.",
    ),
    "signed with another secret": (
        lambda: hs256_token(secret="another secret of more than thirty-two bytes!"),
        403,
        "The sign-in token's signature does not match its contents.",
    ),
    "tampered signature": (
        lambda: _tamper_signature(hs256_token()),
        403,
        "The sign-in token's signature does not match its contents.",
    ),
    "tampered payload": (
        lambda: _tamper_payload(hs256_token()),
        403,
        "The sign-in token's signature does not match its contents.",
    ),
    "alg none": (
        lambda: handmade_token({"alg": "none", "typ": "JWT"}, claims()),
        403,
        "The sign-in token is signed in a way this site does not accept.",
    ),
    "alg None": (
        lambda: handmade_token({"alg": "None", "typ": "JWT"}, claims()),
        403,
        "The sign-in token is signed in a way this site does not accept.",
    ),
    "HS512": (
        lambda: jwt.encode(claims(), SECRET + SECRET, algorithm="HS512"),
        403,
        "The sign-in token is signed in a way this site does not accept.",
    ),
    "RS256 while no key set is configured": (
        lambda: handmade_token({"alg": "RS256", "kid": "x"}, claims()),
        403,
        "The sign-in token is signed in a way this site does not accept.",
    ),
    "no token": (lambda: "", 400, "The sign-in link carries no token."),
    "not a JWT": (lambda: "not-a-token", 400, "The sign-in token is not a valid JWT."),
    "three dots of nothing": (lambda: "a.b.c", 400, "The sign-in token is not a valid JWT."),
    "payload not JSON, signed": (
        lambda: _signed_garbage(),
        400,
        "The sign-in token is not a valid JWT.",
    ),
    "oversize": (
        lambda: hs256_token(name="A" * 200, padding="x" * 5000),
        400,
        "The sign-in token is too long.",
    ),
    "no subject": (
        lambda: hs256_token(sub=None),
        400,
        "The sign-in token lacks its “sub”.",
    ),
    "no expiry": (
        lambda: hs256_token(exp=None),
        400,
        "The sign-in token lacks its “exp”.",
    ),
    "a subject that is no text": (
        lambda: hs256_token(sub=1001),
        400,
        "The sign-in token is not a valid JWT.",
    ),
    "a name too long": (
        lambda: hs256_token(name="A" * 300),
        400,
        "The sign-in token's “name” is not a short text.",
    ),
    "an email that is no address": (
        lambda: hs256_token(email="anna at newsroom"),
        400,
        "The sign-in token's “email” is not an email address.",
    ),
    "valid for a day": (
        lambda: hs256_token(exp=int(time.time()) + 86400),
        403,
        "The sign-in token is valid for too long; ask for a fresh one.",
    ),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_a_bad_token_is_refused_with_a_page_that_says_why(client, sso_on, case):
    make, status, message = REFUSALS[case]
    before = rows()
    response = client.get(SSO, {"token": make(), "next": "/"})
    assert response.status_code == status
    assert message in page_text(response)
    assert "Single sign-on did not work" in page_text(response)
    assert rows() == before
    assert signed_in_reader(client) is None


def test_a_refusal_speaks_the_reader_s_language(client, sso_on):
    response = client.get(
        SSO, {"token": hs256_token(iat=NOW - 900, exp=NOW - 600)}, HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert response.status_code == 403
    assert "Срок действия токена входа истёк." in page_text(response)
    answer = exchange(client, {"token": "x"}, HTTP_ACCEPT_LANGUAGE="ru")
    assert answer.json()["detail"] == "Токен входа — не корректный JWT."


def test_the_audience_and_issuer_are_checked_when_configured(client, sso_on):
    sso_on.BROADSHEET_SSO_AUDIENCE = "https://broadsheet.example"
    sso_on.BROADSHEET_SSO_ISSUER = "https://newsroom.example"
    right = {"aud": "https://broadsheet.example", "iss": "https://newsroom.example"}
    before = rows()

    wrong_audience = client.get(
        SSO, {"token": hs256_token(**{**right, "aud": "https://x.example"})}
    )
    assert wrong_audience.status_code == 403
    assert "The sign-in token is meant for another site." in page_text(wrong_audience)
    no_audience = client.get(SSO, {"token": hs256_token(iss=right["iss"])})
    assert no_audience.status_code == 400
    wrong_issuer = client.get(SSO, {"token": hs256_token(**{**right, "iss": "https://x.example"})})
    assert wrong_issuer.status_code == 403
    assert "an issuer this site does not trust" in page_text(wrong_issuer)
    assert rows() == before

    assert client.get(SSO, {"token": hs256_token(**right)}).status_code == 302


def test_a_token_signs_in_once(client, sso_on):
    token = hs256_token()
    assert client.get(SSO, {"token": token}).status_code == 302
    before = rows()

    replayed = Client().get(SSO, {"token": token})
    assert replayed.status_code == 403
    assert "The sign-in token has been used already." in page_text(replayed)
    assert rows() == before


def test_a_token_id_signs_in_once_even_in_another_token(client, sso_on):
    assert client.get(SSO, {"token": hs256_token(jti="once")}).status_code == 302
    other = Client().get(SSO, {"token": hs256_token(jti="once", name="Someone")})
    assert other.status_code == 403
    assert "used already" in page_text(other)


def test_a_token_without_an_id_signs_in_once_too(client, sso_on):
    token = hs256_token(jti=None)
    assert client.get(SSO, {"token": token}).status_code == 302
    assert Client().get(SSO, {"token": token}).status_code == 403


def test_used_tokens_are_forgotten_once_they_expire(client, sso_on):
    UsedSsoToken.objects.create(token_id="old", expires_at=timezone.now() - timedelta(hours=1))
    UsedSsoToken.objects.create(token_id="fresh", expires_at=timezone.now() + timedelta(hours=1))
    client.get(SSO, {"token": hs256_token()})
    assert set(UsedSsoToken.objects.values_list("token_id", flat=True)) >= {"fresh"}
    assert not UsedSsoToken.objects.filter(token_id="old").exists()
    assert UsedSsoToken.objects.count() == 2


def test_a_banned_reader_is_refused(client, sso_on, moderator):
    client.get(SSO, {"token": hs256_token()})
    reader = Reader.objects.get(sso_subject="newsroom-1001")
    ban_reader(reader=reader, moderator=moderator, reason="abuse")
    before = rows()

    response = Client().get(SSO, {"token": hs256_token()})
    assert response.status_code == 403
    assert "This account is closed." in page_text(response)
    assert rows() == before


def test_a_deactivated_reader_is_refused(client, sso_on):
    client.get(SSO, {"token": hs256_token()})
    Reader.objects.filter(sso_subject="newsroom-1001").update(is_active=False)
    response = Client().get(SSO, {"token": hs256_token()})
    assert response.status_code == 403


def test_without_a_key_single_sign_on_is_not_there(client, settings, db):
    settings.BROADSHEET_SSO_SECRET = ""
    settings.BROADSHEET_SSO_JWKS_URL = ""
    assert client.get(SSO, {"token": hs256_token()}).status_code == 404
    answer = client.post(TOKEN_EXCHANGE, {"token": hs256_token()}, content_type="application/json")
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/problem+json"
    assert Reader.objects.count() == 0


def test_too_many_sign_ins_from_one_address_get_429(client, sso_on):
    sso_on.BROADSHEET_SSO_SIGNINS_PER_MINUTE = 2
    for _ in range(2):
        assert client.get(SSO, {"token": hs256_token()}).status_code == 302
    response = client.get(SSO, {"token": hs256_token()})
    assert response.status_code == 429 and response["Retry-After"] == "60"


# --- keys from the newsroom's key set (RS256, ES256) ---------------------------------


def test_rs256_and_es256_tokens_are_checked_with_the_published_keys(client, sso_on, newsroom_keys):
    sso_on.BROADSHEET_SSO_SECRET = ""
    assert client.get(SSO, {"token": newsroom_keys.rs256_token()}).status_code == 302
    reader = signed_in_reader(client)
    assert reader.sso_subject == "newsroom-1001"

    other = Client()
    response = other.get(SSO, {"token": newsroom_keys.es256_token(name="Anna from EC")})
    assert response.status_code == 302 and signed_in_reader(other) == reader
    # The key set was fetched once, then cached.
    assert newsroom_keys.requests == 1


def test_an_unknown_key_id_is_refused_and_refetches_at_most_once(client, sso_on, newsroom_keys):
    sso_on.BROADSHEET_SSO_SECRET = ""
    before = rows()
    for _ in range(3):
        response = client.get(SSO, {"token": newsroom_keys.rs256_token(kid="stolen-key")})
        assert response.status_code == 403
        assert "a key the newsroom does not publish" in page_text(response)
    assert rows() == before
    assert newsroom_keys.requests == 1  # the cooldown keeps made-up ids from refetching


def test_a_token_signed_by_a_key_under_another_keys_id_is_refused(client, sso_on, newsroom_keys):
    sso_on.BROADSHEET_SSO_SECRET = ""
    stranger = NewsroomKeys()
    try:
        token = stranger.rs256_token()  # kid "rsa-2026", but not the newsroom's key
    finally:
        stranger.stop()
    response = client.get(SSO, {"token": token})
    assert response.status_code == 403
    assert "signature does not match" in page_text(response)


def test_an_es256_header_on_an_rsa_key_is_refused(client, sso_on, newsroom_keys):
    sso_on.BROADSHEET_SSO_SECRET = ""
    ec_key = newsroom_keys.ec_key
    token = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "rsa-2026"})
    response = client.get(SSO, {"token": token})
    assert response.status_code == 403
    assert "signed in a way this site does not accept" in page_text(response)


@pytest.mark.parametrize("with_secret", [False, True], ids=["key set only", "secret too"])
def test_hs256_signed_with_the_public_key_is_refused(client, sso_on, newsroom_keys, with_secret):
    """The algorithm-confusion forgery: the RSA public key, which anyone can fetch,
    used as an HMAC secret."""
    if not with_secret:
        sso_on.BROADSHEET_SSO_SECRET = ""
    before = rows()
    for key in (newsroom_keys.public_rsa_pem(), json.dumps(newsroom_keys.jwks).encode()):
        token = handmade_token({"alg": "HS256", "kid": "rsa-2026"}, claims(), hmac_key=key)
        response = client.get(SSO, {"token": token})
        assert response.status_code == 403
        expected = "signature does not match" if with_secret else "does not accept"
        assert expected in page_text(response)
    assert rows() == before


def test_a_key_set_that_cannot_be_fetched_says_so(client, sso_on, newsroom_keys):
    sso_on.BROADSHEET_SSO_SECRET = ""
    token = newsroom_keys.rs256_token()
    newsroom_keys.stop()
    sso._key_set_client.cache_clear()
    response = client.get(SSO, {"token": token})
    assert response.status_code == 503
    assert "cannot be fetched right now" in page_text(response)
    assert Reader.objects.count() == 0


# --- the token exchange for the embedded discussion ---------------------------------


def exchange(client, body, **kwargs):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(TOKEN_EXCHANGE, data, content_type="application/json", **kwargs)


def test_the_embed_exchanges_a_newsroom_token_for_a_short_lived_write_token(sso_on):
    client = Client(enforce_csrf_checks=True)  # no cookie, no CSRF token: none needed
    response = exchange(client, {"token": hs256_token()})

    assert response.status_code == 200, response.content
    answer = response.json()
    reader = Reader.objects.get(sso_subject="newsroom-1001")
    assert answer["reader"] == {"handle": "anna", "display_name": "Anna Petrova"}
    token = find_api_token(answer["token"])
    assert token.reader == reader and token.scope == "write" and token.name == "Single sign-on"
    lifetime = token.expires_at - token.created_at
    assert lifetime == timedelta(seconds=sso_on.BROADSHEET_SSO_API_TOKEN_SECONDS)
    assert answer["expires_at"] == token.expires_at.isoformat()
    assert SESSION_KEY not in client.session  # no session is made
    assert "sessionid" not in response.cookies
    assert response["Cache-Control"].startswith("max-age=0")
    assert AuditEntry.objects.filter(actor=reader, action="reader.sso_signed_in").exists()

    again = exchange(client, {"token": hs256_token(name="Anna P.")})
    assert find_api_token(again.json()["token"]).reader == reader


@pytest.mark.parametrize("case", ["expired", "alg none", "tampered payload", "oversize"])
def test_the_exchange_refuses_as_the_page_does_in_json(client, sso_on, case):
    make, status, message = REFUSALS[case]
    before = rows()
    response = exchange(client, {"token": make()})
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["detail"] == message
    assert rows() == before


def test_the_exchange_refuses_a_replayed_token(client, sso_on):
    token = hs256_token()
    assert exchange(client, {"token": token}).status_code == 200
    before = rows()
    replayed = exchange(client, {"token": token})
    assert replayed.status_code == 403 and "used already" in replayed.json()["detail"]
    assert rows() == before


@pytest.mark.parametrize("body", ["not json", "[]", '{"token": 5}', "{}", b"\xff\xfe"])
def test_the_exchange_wants_a_json_object_with_a_token(client, sso_on, body):
    response = exchange(client, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "token" in response.json()["title"]


def test_the_exchange_is_rate_limited_in_json(client, sso_on):
    sso_on.BROADSHEET_SSO_SIGNINS_PER_MINUTE = 1
    assert exchange(client, {"token": hs256_token()}).status_code == 200
    response = exchange(client, {"token": hs256_token()})
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert response["Content-Type"] == "application/problem+json"


def test_the_exchange_answers_only_post(client, sso_on):
    assert client.get(TOKEN_EXCHANGE).status_code == 405


# --- signing out --------------------------------------------------------------------


def test_signing_out_after_single_sign_on_goes_to_the_newsroom(client, sso_on):
    sso_on.BROADSHEET_SSO_LOGOUT_URL = "https://newsroom.example/logout"
    client.get(SSO, {"token": hs256_token()})
    response = client.post("/accounts/sign-out/")
    assert response.status_code == 302
    assert response["Location"] == "https://newsroom.example/logout"
    assert signed_in_reader(client) is None


def test_a_reader_who_signed_in_here_signs_out_here(client, sso_on, kestrel):
    sso_on.BROADSHEET_SSO_LOGOUT_URL = "https://newsroom.example/logout"
    client.force_login(kestrel)
    response = client.post("/accounts/sign-out/")
    assert response["Location"] != "https://newsroom.example/logout"
    assert signed_in_reader(client) is None
