"""Second factors over HTTP: the second step of signing in, one-time codes used
once, recovery codes, the lockout, and staff sessions held back until they pass
the step (BROADSHEET_STAFF_MFA). The browser side (passkeys with a virtual
authenticator) is in tests/browser/test_second_factor.py."""

import re
import time

import pyotp
import pytest
from django.urls import reverse

from broadsheet.discussion.models import Comment
from broadsheet.readers.models import Passkey, RecoveryCode, TotpDevice
from broadsheet.readers.operations import add_passkey, enable_totp, replace_recovery_codes
from broadsheet.readers.second_factor import hash_recovery_code, new_recovery_codes
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SECRET = pyotp.random_base32()
SECOND_STEP = "/accounts/sign-in/second-step/"


@pytest.fixture
def staff_mfa_required(settings):
    settings.BROADSHEET_STAFF_MFA = "required"


def give_totp(reader, secret: str = SECRET) -> None:
    enable_totp(reader=reader, secret=secret, confirmed_step=0)


def give_recovery_codes(reader) -> list[str]:
    codes = new_recovery_codes()
    replace_recovery_codes(reader=reader, code_hashes=[hash_recovery_code(c) for c in codes])
    return codes


def code_now(secret: str = SECRET, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset)


def sign_in(client, handle: str, next_url: str = ""):
    data = {"username": handle, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("readers:sign_in"), data)


def second_step(client, code: str, **extra):
    return client.post(SECOND_STEP, {"code": code}, **extra)


def signed_in_as(client):
    return client.get(reverse("readers:settings")).status_code == 200


def test_a_password_alone_does_not_sign_in_a_reader_with_a_second_factor(client, kestrel):
    give_totp(kestrel)
    response = sign_in(client, "kestrel-7", next_url="/accounts/settings/")
    assert response.status_code == 302 and response["Location"] == SECOND_STEP
    assert not signed_in_as(client)
    page = client.get(SECOND_STEP).content.decode()
    assert "6-digit code or recovery code" in page
    assert "Use a passkey" not in page  # no passkey: no button

    response = second_step(client, code_now())
    assert response.status_code == 302 and response["Location"] == "/accounts/settings/"
    assert signed_in_as(client)


def test_a_reader_without_a_factor_signs_in_with_the_password_alone(client, kestrel):
    response = sign_in(client, "kestrel-7")
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_as(client)


def test_a_wrong_code_is_refused_with_a_clear_message(client, kestrel):
    give_totp(kestrel)
    sign_in(client, "kestrel-7")
    wrong = f"{(int(code_now()) + 1) % 1_000_000:06d}"
    response = second_step(client, wrong)
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert not signed_in_as(client)


def test_a_used_code_is_refused_the_second_time(client, kestrel):
    give_totp(kestrel)
    code = code_now()
    sign_in(client, "kestrel-7")
    assert second_step(client, code).status_code == 302
    client.post(reverse("readers:sign_out"))

    sign_in(client, "kestrel-7")
    response = second_step(client, code)
    assert response.status_code == 400
    assert "That code was used already" in response.content.decode()
    assert not signed_in_as(client)


def test_a_recovery_code_works_once(client, kestrel):
    give_totp(kestrel)
    codes = give_recovery_codes(kestrel)
    sign_in(client, "kestrel-7")
    response = second_step(client, codes[3].upper())  # typed in any case
    assert response.status_code == 302
    page = client.get(reverse("readers:settings"))
    assert page.status_code == 200 and "9 codes are left" in page.content.decode()
    client.post(reverse("readers:sign_out"))

    sign_in(client, "kestrel-7")
    response = second_step(client, codes[3])
    assert response.status_code == 400
    assert "used already" in response.content.decode()
    assert not signed_in_as(client)


def test_recovery_codes_are_stored_hashed(kestrel):
    give_totp(kestrel)
    codes = give_recovery_codes(kestrel)
    stored = set(RecoveryCode.objects.filter(reader=kestrel).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not {c for c in codes} & stored
    assert not {c.replace("-", "") for c in codes} & stored


def test_repeated_wrong_codes_lock_the_second_step_out(client, kestrel, settings):
    give_totp(kestrel)
    sign_in(client, "kestrel-7")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert second_step(client, "000000").status_code == 400
    locked = second_step(client, "000000")
    assert locked.status_code in (403, 429)
    # Locked: even the right code is not looked at now.
    response = second_step(client, code_now())
    assert response.status_code in (403, 429)
    assert "Sign-in paused" in response.content.decode()
    assert not signed_in_as(client)


def test_the_second_step_is_under_the_sign_in_rate_limit(client, kestrel, settings):
    settings.BROADSHEET_SIGNIN_ATTEMPTS_PER_HOUR = "3"
    settings.AXES_FAILURE_LIMIT = 100
    give_totp(kestrel)
    sign_in(client, "kestrel-7")  # one
    second_step(client, "000000")  # two
    second_step(client, "000000")  # three
    response = second_step(client, code_now())
    assert response.status_code == 429 and response["Retry-After"] == "3600"


def test_the_second_step_without_a_password_first_leads_to_sign_in(client, kestrel):
    give_totp(kestrel)
    response = second_step(client, code_now())
    assert response.status_code == 302 and response["Location"] == reverse("readers:sign_in")
    assert not signed_in_as(client)


def test_overlong_and_hostile_codes_are_refused_plainly(client, kestrel):
    give_totp(kestrel)
    sign_in(client, "kestrel-7")
    response = second_step(client, "<script>alert(1)</script>" * 100)
    assert response.status_code == 400
    assert "<script>alert(1)" not in response.content.decode()


def test_setting_up_an_app_shows_a_qr_code_and_the_key_and_gives_recovery_codes_once(
    client, kestrel
):
    client.force_login(kestrel)
    page = client.get(reverse("readers:totp_setup"))
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "<svg" in html and "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", html)[1]

    wrong = client.post(reverse("readers:totp_setup"), {"code": "123456x"})
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    assert not TotpDevice.objects.filter(reader=kestrel).exists()

    done = client.post(reverse("readers:totp_setup"), {"code": code_now(secret)})
    html = done.content.decode()
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    shown = re.findall(r"<code>([a-z2-7]{5}-[a-z2-7]{5})</code>", html)
    assert len(shown) == 10
    assert TotpDevice.objects.get(reader=kestrel).secret == secret
    assert RecoveryCode.objects.filter(reader=kestrel).count() == 10
    # Never shown again: the page says how many are left, not which.
    page = client.get(reverse("readers:two_factor")).content.decode()
    assert "10 unused recovery codes" in page and shown[0] not in page

    again = client.post(reverse("readers:regenerate_recovery_codes"))
    new_codes = re.findall(r"<code>([a-z2-7]{5}-[a-z2-7]{5})</code>", again.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(shown)
    assert RecoveryCode.objects.filter(reader=kestrel).count() == 10


def test_a_password_alone_cannot_add_a_factor_to_an_account_that_has_one(client, kestrel):
    """Else a stolen password would let a thief add their own app and pass the step."""
    give_totp(kestrel)
    client.force_login(kestrel)  # a session that never passed the second step
    for response in (
        client.get(reverse("readers:two_factor")),
        client.get(reverse("readers:totp_setup")),
        client.post(reverse("readers:totp_setup"), {"code": "123456"}),
        client.post(reverse("readers:remove_totp")),
        client.post(reverse("readers:regenerate_recovery_codes")),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(SECOND_STEP)
    assert TotpDevice.objects.get(reader=kestrel).secret == SECRET


def test_a_readers_passkeys_are_theirs_alone(client, kestrel, nikolai):
    passkey = add_passkey(
        reader=nikolai, name="Phone", credential_id="abc", public_key=b"k", sign_count=0
    )
    client.force_login(kestrel)
    remove = client.post(reverse("readers:remove_passkey", args=[passkey.pk]))
    rename = client.post(reverse("readers:rename_passkey", args=[passkey.pk]), {"name": "Mine"})
    assert remove.status_code == 404 and rename.status_code == 404
    assert Passkey.objects.get(pk=passkey.pk).name == "Phone"


def test_a_passkey_name_is_escaped_and_bounded(client, kestrel):
    client.force_login(kestrel)
    passkey = add_passkey(
        reader=kestrel, name="Phone", credential_id="abc", public_key=b"k", sign_count=0
    )
    client.force_login(kestrel)
    session = client.session
    session["readers.second_step_passed"] = 1
    session.save()
    response = client.post(
        reverse("readers:rename_passkey", args=[passkey.pk]), {"name": "<b>x</b>" * 20}
    )
    assert response.status_code == 400
    client.post(reverse("readers:rename_passkey", args=[passkey.pk]), {"name": "<b>Key</b>"})
    page = client.get(reverse("readers:two_factor")).content.decode()
    assert "&lt;b&gt;Key&lt;/b&gt;" in page and "<b>Key</b>" not in page


def test_a_forged_or_oversized_passkey_answer_is_refused(client, kestrel):
    client.force_login(kestrel)
    client.get(reverse("readers:two_factor"))  # the challenge
    forged = client.post(
        reverse("readers:add_passkey"), {"name": "Laptop", "credential": '{"id": "x"}'}
    )
    assert forged.status_code == 400
    assert "could not be added" in forged.content.decode()
    client.get(reverse("readers:two_factor"))
    huge = client.post(
        reverse("readers:add_passkey"), {"name": "Laptop", "credential": "x" * 20_000}
    )
    assert huge.status_code == 400
    assert not Passkey.objects.exists()


def test_the_two_factor_page_costs_a_fixed_number_of_queries(
    client, kestrel, django_assert_max_num_queries
):
    client.force_login(kestrel)
    for n in range(5):
        add_passkey(
            reader=kestrel, name=f"Key {n}", credential_id=f"id{n}", public_key=b"k", sign_count=0
        )
    session = client.session
    session["readers.second_step_passed"] = 1
    session.save()
    with django_assert_max_num_queries(12):
        assert client.get(reverse("readers:two_factor")).status_code == 200


# --- Staff -----------------------------------------------------------------------------


@pytest.fixture
def held_comment(article, make_comment, kestrel, settings):
    """Held the way the site holds: a rule holds its text."""
    settings.BROADSHEET_SUSPECT_WORDS = ["suspicious"]
    comment = make_comment(article, kestrel, body="Suspicious. Held for review")
    assert comment.status == Comment.Status.PENDING
    return comment


@pytest.mark.usefixtures("staff_mfa_required")
def test_staff_without_a_factor_are_sent_to_set_one_up(client, moderator):
    client.force_login(moderator)
    for path in ("/moderation/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("readers:two_factor"))
    page = client.get(reverse("readers:two_factor") + "?next=/moderation/")
    assert "Staff accounts need a second factor" in page.content.decode()


@pytest.mark.usefixtures("staff_mfa_required")
def test_staff_signing_in_without_a_factor_go_to_set_one_up(client, moderator):
    response = sign_in(client, "mod-1", next_url="/moderation/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("readers:two_factor"))


@pytest.mark.usefixtures("staff_mfa_required")
def test_a_staff_session_that_has_not_passed_the_step_cannot_moderate(
    client, moderator, held_comment
):
    give_totp(moderator)
    client.force_login(moderator)  # as the admin's own sign-in would leave it
    assert client.get("/moderation/")["Location"].startswith(SECOND_STEP)
    assert client.get("/admin/")["Location"].startswith(SECOND_STEP)
    decide = client.post(f"/moderation/comments/{held_comment.pk}/decide/", {"action": "approve"})
    assert decide.status_code == 302 and decide["Location"].startswith(SECOND_STEP)
    held_comment.refresh_from_db()
    assert held_comment.status == Comment.Status.PENDING
    # Search does not show held comments to such a session either.
    held_url = held_comment.get_absolute_url()
    held_in_search = held_url in client.get("/search/", {"q": "Held"}).content.decode()

    response = client.post(f"{SECOND_STEP}?next=/moderation/", {"code": code_now()})
    assert response.status_code == 302 and response["Location"] == "/moderation/"
    assert "Held for review" in client.get("/moderation/").content.decode()
    assert client.get("/admin/").status_code == 200
    assert not held_in_search
    assert held_url in client.get("/search/", {"q": "Held"}).content.decode()


@pytest.mark.usefixtures("staff_mfa_required")
def test_staff_who_sign_in_at_the_admin_are_asked_for_their_factor(client, moderator):
    give_totp(moderator)
    response = client.post("/admin/login/", {"username": "mod-1", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/")["Location"].startswith(SECOND_STEP)


@pytest.mark.usefixtures("staff_mfa_required")
def test_staff_signing_in_with_a_factor_reach_the_queue(client, moderator):
    give_totp(moderator)
    sign_in(client, "mod-1", next_url="/moderation/")
    response = second_step(client, code_now())
    assert response["Location"] == "/moderation/"
    assert client.get("/moderation/").status_code == 200


def test_the_optional_policy_lets_staff_through(client, moderator, settings):
    settings.BROADSHEET_STAFF_MFA = "optional"
    client.force_login(moderator)
    assert client.get("/moderation/").status_code == 200
    assert client.get("/admin/").status_code == 200


@pytest.mark.usefixtures("staff_mfa_required")
def test_readers_are_not_held_back_by_the_staff_policy(client, kestrel):
    client.force_login(kestrel)
    assert client.get("/").status_code == 200
    assert client.get("/moderation/").status_code == 404


@pytest.mark.skip(reason="API tokens of moderators: the /api/v1/ door is another branch's")
def test_a_moderators_api_token_is_not_held_back_by_the_session_step():
    pass


def test_an_admin_resets_the_factors_of_a_reader_who_lost_them_all(client, kestrel):
    from django.core.management import call_command

    give_totp(kestrel)
    give_recovery_codes(kestrel)
    add_passkey(reader=kestrel, name="Phone", credential_id="abc", public_key=b"k", sign_count=0)
    call_command("reset_second_factors", "KESTREL-7")
    assert not Passkey.objects.filter(reader=kestrel).exists()
    assert not TotpDevice.objects.filter(reader=kestrel).exists()
    assert not RecoveryCode.objects.filter(reader=kestrel).exists()
    assert sign_in(client, "kestrel-7")["Location"] == "/"
