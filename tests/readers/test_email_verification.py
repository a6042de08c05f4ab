"""Verified email addresses: the link sign-up mails, a change of address, the limits,
and what an unverified reader may do."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from broadsheet.readers.models import Reader
from broadsheet.readers.operations import (
    create_reader_without_password,
    request_email_change,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
SIGN_UP = {
    "handle": "kestrel-7",
    "display_name": "Anna Petrova",
    "email": "anna@example.org",
    "password": PASSWORD,
}
LINK = re.compile(r"http://testserver(/accounts/verify-email/[^/\s]+/)")


def link_in(message) -> str:
    """The path of the verification link in a mail."""
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def mail_to(outbox, address: str):
    """The one mail sent to `address`."""
    (message,) = [m for m in outbox if m.to == [address]]
    return message


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run what operations leave for after the commit (the mails), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def sign_up(client, commits, **fields):
    with commits():
        response = client.post(reverse("readers:sign_up"), {**SIGN_UP, **fields})
    assert response.status_code == 302
    return Reader.objects.get(handle=fields.get("handle", SIGN_UP["handle"]))


def change_email(client, commits, new_email, password=PASSWORD):
    with commits():
        return client.post(
            reverse("readers:settings"), {"new_email": new_email, "password": password}
        )


# --- sign-up and the link ----------------------------------------------------------


def test_sign_up_mails_a_link_that_verifies_only_after_the_button_is_pressed(
    client, commits, mailoutbox
):
    reader = sign_up(client, commits)
    assert not reader.email_is_verified
    assert [m.to for m in mailoutbox] == [["anna@example.org"]]
    assert "Verify your email address" in mailoutbox[0].subject
    path = link_in(mailoutbox[0])

    # What a mail scanner does: open the link. It shows a button and changes nothing.
    page = client.get(path)
    assert page.status_code == 200
    assert "Verify email address</button>" in page.content.decode()
    reader.refresh_from_db()
    assert reader.email_verified_at is None

    response = client.post(path)
    assert response.status_code == 200
    assert "Email address verified" in response.content.decode()
    reader.refresh_from_db()
    assert reader.email_is_verified and reader.may_receive_email
    assert list(Reader.objects.may_receive_email()) == [reader]


def test_the_link_works_for_a_reader_who_is_signed_out_on_that_device(client, commits, mailoutbox):
    reader = sign_up(client, commits)
    client.logout()
    assert client.post(link_in(mailoutbox[0])).status_code == 200
    reader.refresh_from_db()
    assert reader.email_is_verified


def test_a_used_link_says_so(client, commits, mailoutbox):
    sign_up(client, commits)
    path = link_in(mailoutbox[0])
    client.post(path)
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 410
        assert "verified already" in response.content.decode()


def test_links_expire(client, commits, mailoutbox, settings):
    settings.BROADSHEET_EMAIL_VERIFICATION_HOURS = 24
    reader = sign_up(client, commits)
    path = link_in(mailoutbox[0])
    with time_machine.travel(timezone.now() + timedelta(hours=23), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 410
            assert "This link has expired" in response.content.decode()
    reader.refresh_from_db()
    assert reader.email_verified_at is None


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "x" * 5000,
        "eyJyIjoxfQ:1tXyZa:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        signing.dumps({"r": 1, "s": "x"}, salt="another.salt"),
        signing.dumps({"r": "1 OR 1=1", "s": "x"}, salt="broadsheet.readers.email-verification"),
        signing.dumps([1, 2], salt="broadsheet.readers.email-verification"),
        "%00%0d%0a",
    ],
)
def test_garbled_or_forged_links_get_a_clear_400(client, kestrel, token):
    for method in (client.get, client.post):
        response = method(f"/accounts/verify-email/{token}/")
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    kestrel.refresh_from_db()
    assert kestrel.email_verified_at is None


def test_a_tampered_link_does_not_verify(client, commits, mailoutbox):
    reader = sign_up(client, commits)
    path = link_in(mailoutbox[0])
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert client.post(f"/accounts/verify-email/{tampered}/").status_code == 400
    reader.refresh_from_db()
    assert reader.email_verified_at is None


def test_the_confirmation_page_names_the_address_only_in_part(client, commits, mailoutbox):
    sign_up(client, commits, email="anna.petrova@example.org")
    html = client.get(link_in(mailoutbox[0])).content.decode()
    assert "a…@e….org" in html
    assert "anna.petrova@example.org" not in html


# --- changing the address ----------------------------------------------------------


def test_changing_the_email_mails_the_new_address_a_link_and_tells_the_old_one(
    client, commits, mailoutbox, kestrel
):
    client.force_login(kestrel)
    response = change_email(client, commits, "anna.new@example.net")
    assert response.status_code == 302
    to_new, to_old = (
        [m for m in mailoutbox if m.to == [address]]
        for address in ("anna.new@example.net", "kestrel-7@example.org")
    )
    assert len(to_new) == 1 and len(to_old) == 1
    notice = to_old[0]
    assert "change of email address" in notice.subject
    assert "a…@e….net" in notice.body
    assert "anna.new@example.net" not in notice.body and not LINK.search(notice.body)

    # The old address stays in use until the link is opened.
    kestrel.refresh_from_db()
    assert kestrel.email == "kestrel-7@example.org"
    assert kestrel.pending_email == "anna.new@example.net"
    client.logout()
    signed_in = client.post(
        reverse("readers:sign_in"), {"username": "anna.new@example.net", "password": PASSWORD}
    )
    assert signed_in.status_code == 400
    signed_in = client.post(
        reverse("readers:sign_in"), {"username": "kestrel-7@example.org", "password": PASSWORD}
    )
    assert signed_in.status_code == 302

    assert client.post(link_in(to_new[0])).status_code == 200
    kestrel.refresh_from_db()
    assert kestrel.email == "anna.new@example.net"
    assert kestrel.email_is_verified and kestrel.pending_email == ""


def test_password_reset_goes_only_to_the_address_in_use(client, commits, mailoutbox, kestrel):
    client.force_login(kestrel)
    change_email(client, commits, "anna.new@example.net")
    mailoutbox.clear()
    client.logout()
    client.post(reverse("readers:password_reset"), {"email": "anna.new@example.net"})
    assert mailoutbox == []
    client.post(reverse("readers:password_reset"), {"email": "kestrel-7@example.org"})
    assert [m.to for m in mailoutbox] == [["kestrel-7@example.org"]]


def test_a_link_for_the_old_address_does_not_verify_the_new_one(client, commits, mailoutbox):
    reader = sign_up(client, commits)
    old_link = link_in(mailoutbox[0])
    change_email(client, commits, "anna.new@example.net")
    response = client.post(old_link)
    assert response.status_code == 400
    reader.refresh_from_db()
    assert reader.email == "anna@example.org"
    assert reader.email_verified_at is None
    assert reader.pending_email == "anna.new@example.net"


def test_a_link_stops_working_when_the_change_is_cancelled_or_asked_again(
    client, commits, mailoutbox, kestrel
):
    client.force_login(kestrel)
    change_email(client, commits, "anna.new@example.net")
    first = link_in(mail_to(mailoutbox, "anna.new@example.net"))
    client.post(reverse("readers:cancel_email_change"))
    kestrel.refresh_from_db()
    assert kestrel.pending_email == ""
    assert client.post(first).status_code == 400  # for an address no longer asked for

    mailoutbox.clear()
    with time_machine.travel(timezone.now() + timedelta(seconds=1)):
        change_email(client, commits, "anna.other@example.net")
    assert client.post(first).status_code == 400
    kestrel.refresh_from_db()
    assert kestrel.email == "kestrel-7@example.org"


def test_a_change_needs_the_current_password(client, commits, mailoutbox, kestrel):
    client.force_login(kestrel)
    response = change_email(client, commits, "anna.new@example.net", password="guess")
    assert response.status_code == 400
    assert "That is not your current password." in response.content.decode()
    assert mailoutbox == []
    kestrel.refresh_from_db()
    assert kestrel.pending_email == ""


def test_the_address_in_use_is_refused_as_a_new_one(client, commits, kestrel):
    client.force_login(kestrel)
    response = change_email(client, commits, "KESTREL-7@example.org")
    assert response.status_code == 400
    assert "address your account uses already" in response.content.decode()


def test_another_accounts_address_looks_like_any_other_and_is_never_linked(
    client, commits, mailoutbox, kestrel, nikolai
):
    client.force_login(kestrel)
    response = change_email(client, commits, nikolai.email.upper())
    assert response.status_code == 302
    # The reader is told the same as for a free address; nikolai hears of the try.
    assert [m.to for m in mailoutbox if m.to != [kestrel.email]] == [[nikolai.email]]
    assert not LINK.search(mailoutbox[-1].body)
    page = client.get(reverse("readers:settings")).content.decode()
    assert 'data-email-state="pending"' in page
    kestrel.refresh_from_db()
    assert kestrel.email == "kestrel-7@example.org"


def test_an_address_taken_before_the_link_is_opened_is_a_clear_409(
    client, commits, mailoutbox, kestrel, make_reader
):
    client.force_login(kestrel)
    change_email(client, commits, "anna.new@example.net")
    make_reader("quick-1", email="anna.new@example.net")
    response = client.post(link_in(mail_to(mailoutbox, "anna.new@example.net")))
    assert response.status_code == 409
    assert "belongs to another account" in response.content.decode()
    kestrel.refresh_from_db()
    assert kestrel.email == "kestrel-7@example.org"


@pytest.mark.parametrize(
    "hostile",
    [
        "a" * 250 + "@example.org",
        "anna@example.org\nBcc: everyone@evil.example",
        "anna@example.org\r\nSubject: hi",
        "anna@example.org, other@evil.example",
        "<script>@example.org",
        "",
    ],
)
def test_hostile_addresses_are_refused_beside_the_field(
    client, commits, mailoutbox, kestrel, hostile
):
    client.force_login(kestrel)
    response = change_email(client, commits, hostile)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="field__errors"' in html
    assert "<script>@" not in html
    assert mailoutbox == []
    kestrel.refresh_from_db()
    assert kestrel.pending_email == ""


def test_the_admin_cannot_switch_an_address_without_its_owner(
    client, commits, mailoutbox, kestrel, make_reader
):
    boss = make_reader("boss-1", is_staff=True, is_superuser=True)
    client.force_login(boss)
    url = reverse("admin:readers_reader_change", args=[kestrel.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "email": "anna.new@example.net",
            "groups": [],
            "user_permissions": [],
            "date_joined_0": "",
            "restriction_reason": "",
        }
    )
    data.pop("date_joined", None)
    data.pop("last_seen_at", None)
    with commits():
        response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    kestrel.refresh_from_db()
    assert kestrel.email == "kestrel-7@example.org"
    assert kestrel.pending_email == "anna.new@example.net"
    assert {tuple(m.to) for m in mailoutbox} == {
        ("anna.new@example.net",),
        ("kestrel-7@example.org",),
    }


# --- the limits --------------------------------------------------------------------


def test_sending_the_link_again_is_limited_with_a_429(
    client, commits, mailoutbox, kestrel, settings
):
    settings.BROADSHEET_ACCOUNT_EMAILS_PER_HOUR = "2"
    client.force_login(kestrel)
    for _ in range(2):
        with commits():
            assert client.post(reverse("readers:resend_verification")).status_code == 302
    with commits():
        response = client.post(reverse("readers:resend_verification"))
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert len(mailoutbox) == 2


def test_changes_of_address_count_against_the_same_limit(
    client, commits, mailoutbox, kestrel, settings
):
    settings.BROADSHEET_ACCOUNT_EMAILS_PER_HOUR = "2"
    client.force_login(kestrel)
    assert change_email(client, commits, "one@example.net").status_code == 302
    assert client.post(reverse("readers:resend_verification")).status_code == 302
    response = change_email(client, commits, "two@example.net")
    assert response.status_code == 429
    kestrel.refresh_from_db()
    assert kestrel.pending_email == "one@example.net"


def test_one_address_gets_a_bounded_number_of_links_from_many_readers(
    client, commits, mailoutbox, make_reader, settings
):
    settings.BROADSHEET_ACCOUNT_EMAILS_PER_HOUR = "2"
    statuses = []
    for n in range(3):
        client.force_login(make_reader(f"spammer-{n}"))
        statuses.append(change_email(client, commits, "victim@example.net").status_code)
    assert statuses == [302, 302, 429]
    assert len([m for m in mailoutbox if m.to == ["victim@example.net"]]) == 2


def test_guesses_at_the_password_are_limited(client, commits, kestrel, settings):
    settings.BROADSHEET_SIGNIN_ATTEMPTS_PER_HOUR = "3"
    client.force_login(kestrel)
    codes = [change_email(client, commits, "x@example.net", "guess").status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]


def test_a_verified_reader_has_nothing_to_send_again(client, commits, mailoutbox, kestrel):
    kestrel.email_verified_at = timezone.now()
    kestrel.save(update_fields=["email_verified_at"])
    client.force_login(kestrel)
    with commits():
        response = client.post(reverse("readers:resend_verification"), follow=True)
    assert "verified already" in response.content.decode()
    assert mailoutbox == []


# --- the settings page -------------------------------------------------------------


def test_the_settings_page_shows_the_state_of_the_address(
    client, kestrel, django_assert_max_num_queries
):
    client.force_login(kestrel)
    with django_assert_max_num_queries(6):
        html = client.get(reverse("readers:settings")).content.decode()
    assert 'data-email-state="unverified"' in html
    assert "Send the link again" in html
    kestrel.email_verified_at = timezone.now()
    kestrel.save(update_fields=["email_verified_at"])
    html = client.get(reverse("readers:settings")).content.decode()
    assert 'data-email-state="verified"' in html
    assert "Send the link again" not in html


def test_the_settings_doors_are_for_signed_in_readers_only(client, kestrel):
    for name in ("settings", "resend_verification", "cancel_email_change"):
        response = client.post(reverse(f"readers:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("readers:sign_in"))
    assert client.get(reverse("readers:resend_verification")).status_code in (302, 405)


def test_the_settings_page_shows_nobody_elses_addresses(client, kestrel, nikolai):
    request_email_change(reader=nikolai, new_email="secret@example.net", site_url=SITE)
    client.force_login(kestrel)
    html = client.get(reverse("readers:settings")).content.decode()
    assert nikolai.email not in html and "secret@example.net" not in html
    # One reader's link cannot act on another's account.
    assert client.post("/accounts/verify-email/forged/").status_code == 400
    nikolai.refresh_from_db()
    assert nikolai.pending_email == "secret@example.net"


# --- who may take part -------------------------------------------------------------


def test_unverified_readers_may_comment_by_default(client, kestrel, article):
    client.force_login(kestrel)
    response = client.post(
        reverse("discussion:post_comment", kwargs={"slug": article.slug}),
        {"body": "An unverified but welcome voice."},
    )
    assert response.status_code == 302


def test_with_unverified_may_comment_off_the_page_says_why_and_posting_is_refused(
    client, kestrel, article, settings, make_comment, nikolai
):
    settings.BROADSHEET_UNVERIFIED_MAY_COMMENT = False
    client.force_login(kestrel)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Please verify your email address to post, reply or vote" in page
    assert reverse("readers:settings") in page
    assert 'id="comment-form"' not in page

    response = client.post(
        reverse("discussion:post_comment", kwargs={"slug": article.slug}),
        {"body": "Let me in."},
    )
    # The refusal, and the page again, with the reason and the way out in place of the form.
    assert response.status_code == 400
    assert "Please verify your email address to post, reply or vote" in response.content.decode()
    assert not article.comments.exists()

    nikolai.email_verified_at = timezone.now()
    nikolai.save(update_fields=["email_verified_at"])
    comment = make_comment(article, nikolai)
    vote = client.post(
        reverse("discussion:vote", kwargs={"slug": article.slug, "number": comment.number}),
        {"value": "up"},
        HTTP_ACCEPT="application/json",
    )
    assert vote.status_code == 400
    assert "verify your email address" in vote.json()["error"]


def test_verified_readers_post_when_unverified_may_not(client, kestrel, article, settings):
    settings.BROADSHEET_UNVERIFIED_MAY_COMMENT = False
    kestrel.email_verified_at = timezone.now()
    kestrel.save(update_fields=["email_verified_at"])
    client.force_login(kestrel)
    response = client.post(
        reverse("discussion:post_comment", kwargs={"slug": article.slug}),
        {"body": "A verified voice."},
    )
    assert response.status_code == 302


# --- accounts the site makes itself ------------------------------------------------


def test_demo_readers_are_verified_and_mailed_nothing(commits, mailoutbox):
    from broadsheet.demo.loader import DEMO_READERS, load_demo

    with commits():
        load_demo()
    readers = Reader.objects.filter(handle__in=[handle for handle, _name in DEMO_READERS])
    assert readers.count() == len(DEMO_READERS)
    assert all(reader.email_is_verified for reader in readers)
    assert mailoutbox == []


def test_readers_made_without_a_password_are_not_mailed(commits, mailoutbox):
    with commits():
        reader = create_reader_without_password(
            handle="imported-1", display_name="Imported", email="someone@example.org"
        )
    assert mailoutbox == [] and not reader.email_is_verified


def test_the_operators_own_account_from_the_shell_is_verified(db):
    admin = Reader.objects.create_superuser("chief-1", "chief@example.org", PASSWORD)
    assert admin.email_is_verified


def test_readers_of_before_the_migration_are_unverified(kestrel):
    assert kestrel.email_verified_at is None
    assert not Reader.objects.may_receive_email().exists()


def test_a_blank_or_inactive_address_receives_nothing(make_reader):
    now = timezone.now()
    make_reader("blank-1", email="", email_verified_at=now)
    make_reader("gone-1", is_active=False, email_verified_at=now)
    kept = make_reader("kept-1", email_verified_at=now)
    assert list(Reader.objects.may_receive_email()) == [kept]


def test_the_pages_and_the_mail_speak_russian(client, commits, mailoutbox, kestrel):
    client.force_login(kestrel)
    html = client.get(reverse("readers:settings"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Настройки учётной записи" in html and "Не подтверждён" in html  # noqa: RUF001 - Russian
    with commits():
        client.post(reverse("readers:resend_verification"), HTTP_ACCEPT_LANGUAGE="ru")
    assert "Подтвердите адрес электронной почты" in mailoutbox[0].subject
    assert "Ссылка действует 72 часа." in mailoutbox[0].body
    page = client.get(link_in(mailoutbox[0]), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Подтвердить адрес</button>" in page
