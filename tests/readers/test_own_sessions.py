"""A reader's list of their sessions, ending them, and the sign-in history
(docs/your-data.md)."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from broadsheet.readers.devices import address_network, describe_user_agent
from broadsheet.readers.models import Reader, ReaderSession, SignInRecord
from broadsheet.readers.operations import prune_sign_in_history
from tests.conftest import PASSWORD

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
SESSIONS = "/accounts/settings/sessions/"


def signed_in(handle: str, user_agent: str, address: str = "203.0.113.7") -> Client:
    client = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    response = client.post("/accounts/sign-in/", {"username": handle, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def is_signed_in(client: Client) -> bool:
    return client.get("/accounts/settings/").status_code == 200


def test_the_user_agent_and_address_are_told_in_words_and_networks():
    assert describe_user_agent(FIREFOX) == ("Firefox 128", "Windows 10")
    assert describe_user_agent(CHROME_MAC)[0] == "Chrome 126"
    assert describe_user_agent("") == ("", "")
    assert address_network("203.0.113.7") == "203.0.113.0/24"
    assert address_network("2001:db8:1:2::5") == "2001:db8:1::/48"
    assert address_network("::ffff:198.51.100.9") == "198.51.100.0/24"
    assert address_network("not an address") == ""


def test_a_reader_sees_each_signed_in_browser_and_which_is_this_one(kestrel):
    home = signed_in("kestrel-7", FIREFOX)
    signed_in("kestrel-7", CHROME_MAC, "2001:db8:1:2::5")
    page = home.get(SESSIONS).content.decode()
    assert "Firefox 128" in page and "Windows 10" in page and "203.0.113.0/24" in page
    assert "Chrome 126" in page and "2001:db8:1::/48" in page
    assert page.count("data-this-device") == 1
    assert "203.0.113.7" not in page  # the network, never the address
    rows = ReaderSession.objects.filter(reader=kestrel)
    assert rows.count() == 2
    # The key opens the account: neither the table nor the page carries it.
    key = home.session.session_key
    assert not rows.filter(key_hash=key).exists() and key not in page


def test_ending_another_session_signs_it_out_on_its_next_request(kestrel):
    home = signed_in("kestrel-7", FIREFOX)
    other = signed_in("kestrel-7", CHROME_MAC)
    assert is_signed_in(other)
    target = ReaderSession.objects.get(reader=kestrel, browser="Chrome 126").key_hash
    response = home.post(f"{SESSIONS}end/", {"session": target})
    assert response.status_code == 302
    assert not is_signed_in(other)
    assert is_signed_in(home)
    assert list(ReaderSession.objects.filter(reader=kestrel).values_list("browser", flat=True)) == [
        "Firefox 128"
    ]
    # Signed out once, the ended session is forgotten from the reader's row.
    assert Reader.objects.get(pk=kestrel.pk).ended_sessions == {}


def test_a_reader_cannot_end_their_own_session_from_the_list_nor_another_readers(kestrel, nikolai):
    home = signed_in("kestrel-7", FIREFOX)
    theirs = signed_in("unc-2", FIREFOX)
    own = ReaderSession.objects.get(reader=kestrel).key_hash
    assert home.post(f"{SESSIONS}end/", {"session": own}).status_code == 400
    nikolais = ReaderSession.objects.get(reader=nikolai).key_hash
    home.post(f"{SESSIONS}end/", {"session": nikolais})
    assert is_signed_in(theirs) and is_signed_in(home)


def test_ending_all_other_sessions_keeps_this_one(kestrel):
    home = signed_in("kestrel-7", FIREFOX)
    others = [signed_in("kestrel-7", CHROME_MAC) for _ in range(3)]
    home.post(f"{SESSIONS}end/", {"all": "others"})
    assert not any(is_signed_in(other) for other in others)
    assert is_signed_in(home)


def test_a_password_change_ends_every_other_session_and_keeps_this_one(kestrel):
    home = signed_in("kestrel-7", FIREFOX)
    other = signed_in("kestrel-7", CHROME_MAC)
    response = home.post(
        "/accounts/settings/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a different long passphrase",
            "new_password2": "a different long passphrase",
        },
    )
    assert response.status_code == 302
    assert is_signed_in(home)
    assert not is_signed_in(other)
    # Said in the list at once, not only when the other browser comes back.
    assert ReaderSession.objects.filter(reader=kestrel, browser="Chrome 126").count() == 0
    assert ReaderSession.objects.filter(reader=kestrel).count() == 1


def test_a_wrong_old_password_changes_nothing(kestrel):
    home = signed_in("kestrel-7", FIREFOX)
    other = signed_in("kestrel-7", CHROME_MAC)
    response = home.post(
        "/accounts/settings/password/",
        {"old_password": "guess", "new_password1": "x" * 20, "new_password2": "x" * 20},
    )
    assert response.status_code == 400
    assert is_signed_in(other)


def test_a_password_reset_ends_every_session(kestrel, mailoutbox):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    other = signed_in("kestrel-7", CHROME_MAC)
    kestrel.refresh_from_db()  # the token covers the last sign-in's time
    uid = urlsafe_base64_encode(force_bytes(kestrel.pk))
    token = default_token_generator.make_token(kestrel)
    stranger = Client()
    step = stranger.get(f"/accounts/password-reset/{uid}/{token}/")
    assert step.status_code == 302
    done = stranger.post(
        step.url,
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
    )
    assert done.status_code == 302
    assert not is_signed_in(other)
    assert not ReaderSession.objects.filter(reader=kestrel).exists()


def test_an_active_session_is_written_at_most_once_a_minute(kestrel, django_assert_num_queries):
    client = signed_in("kestrel-7", FIREFOX)
    row = ReaderSession.objects.get(reader=kestrel)
    start = timezone.now()
    with time_machine.travel(start + dt.timedelta(seconds=10), tick=False):
        client.get("/accounts/settings/")
    row.refresh_from_db()
    first = row.last_active_at
    with time_machine.travel(start + dt.timedelta(seconds=90), tick=False):
        client.get("/accounts/settings/")
    row.refresh_from_db()
    assert row.last_active_at > first
    assert row.last_active_at >= start + dt.timedelta(seconds=89)


def test_a_signed_in_request_costs_no_query_for_its_session_list(kestrel, client):
    """Within the minute, checking the session costs nothing: the same queries as
    before this feature (the session and the reader)."""
    client.force_login(kestrel)
    client.get("/accounts/settings/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get("/accounts/settings/")
    assert not any("readers_readersession" in q["sql"] for q in queries.captured_queries)


def test_sign_ins_and_failed_attempts_are_in_the_history_and_kept_a_bounded_time(kestrel, settings):
    client = Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="198.51.100.4")
    client.post("/accounts/sign-in/", {"username": "kestrel-7", "password": "wrong"})
    signed_in("kestrel-7", FIREFOX)
    page = signed_in("kestrel-7", CHROME_MAC).get(SESSIONS).content.decode()
    assert page.count('data-sign-in="ok"') == 2 and page.count('data-sign-in="failed"') == 1
    assert "198.51.100.0/24" in page
    settings.BROADSHEET_SIGN_IN_HISTORY_DAYS = 30
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        prune_sign_in_history()
    assert not SignInRecord.objects.filter(reader=kestrel).exists()


def test_hostile_user_agents_are_bounded_and_escaped(kestrel):
    hostile = "<script>alert(1)</script>" + "A" * 5000
    client = signed_in("kestrel-7", hostile)
    row = ReaderSession.objects.get(reader=kestrel)
    assert len(row.user_agent) <= 300
    assert "<script>alert(1)" not in client.get(SESSIONS).content.decode()


def test_the_sessions_page_needs_sign_in(client):
    assert client.get(SESSIONS).status_code == 302
    assert client.post(f"{SESSIONS}end/", {"all": "others"}).status_code == 302


@pytest.mark.parametrize("count", [1, 8])
def test_the_sessions_page_costs_a_fixed_number_of_queries(
    kestrel, count, django_assert_max_num_queries
):
    clients = [signed_in("kestrel-7", FIREFOX) for _ in range(count)]
    with django_assert_max_num_queries(8):
        assert clients[0].get(SESSIONS).status_code == 200
