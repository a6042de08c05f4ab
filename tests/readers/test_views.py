import pytest
from django.urls import reverse

from broadsheet.readers.models import Reader
from tests.conftest import PASSWORD
from tests.mail import sent_mail

pytestmark = pytest.mark.django_db

SIGN_UP = {
    "handle": "kestrel-7",
    "display_name": "Anna Petrova",
    "email": "anna@example.org",
    "password": PASSWORD,
}


def test_sign_up_page_has_the_four_labelled_fields(client):
    html = client.get(reverse("readers:sign_up")).content.decode()
    for label in ["Handle", "Display name", "Email", "Password"]:
        assert f">{label}</label>" in html


def test_sign_up_creates_a_reader_signs_them_in_and_hashes_with_argon2(
    client, site_password_hashers
):
    # The site's own hashers, not the fast one the other tests use (tests/conftest.py).
    response = client.post(reverse("readers:sign_up"), SIGN_UP)
    assert response.status_code == 302
    reader = Reader.objects.get(handle="kestrel-7")
    assert reader.display_name == "Anna Petrova"
    assert reader.password.startswith("argon2")
    assert client.get("/").context["user"] == reader


def test_sign_up_refuses_a_handle_taken_in_another_letter_case(client, kestrel):
    response = client.post(reverse("readers:sign_up"), {**SIGN_UP, "handle": "KESTREL-7"})
    assert response.status_code == 400
    assert "This handle is taken" in response.content.decode()
    assert Reader.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("handle", "ab", "3 to 30 characters"),
        ("handle", "has space", "3 to 30 characters"),
        ("handle", "x" * 31, "at most 30 characters"),
        ("handle", "<script>", "3 to 30 characters"),
        ("display_name", "", "This field is required"),
        ("display_name", "n" * 65, "at most 64 characters"),
        ("email", "not-an-email", "valid email"),
        ("password", "123", "too short"),
    ],
)
def test_bad_sign_up_shows_the_error_next_to_the_field_and_creates_nothing(
    client, field, value, message
):
    response = client.post(reverse("readers:sign_up"), {**SIGN_UP, field: value})
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert not Reader.objects.exists()


def test_sign_up_with_an_email_in_use_makes_no_account_says_nothing_and_tells_its_owner(
    client, kestrel
):
    response = client.post(
        reverse("readers:sign_up"),
        {**SIGN_UP, "handle": "another", "email": kestrel.email.upper()},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Check your email" in html
    assert "already" not in html and kestrel.email not in html
    assert not Reader.objects.filter(handle="another").exists()
    assert not client.get("/").context["user"].is_authenticated
    assert [message.to for message in sent_mail()] == [[kestrel.email]]
    assert "kestrel-7" in sent_mail()[0].body and "/accounts/sign-in/" in sent_mail()[0].body


def test_sign_in_page_labels(client):
    html = client.get(reverse("readers:sign_in")).content.decode()
    assert ">Handle or email</label>" in html
    assert ">Password</label>" in html


@pytest.mark.parametrize("login", ["kestrel-7", "KESTREL-7", "kestrel-7@example.org"])
def test_sign_in_with_handle_or_email_in_any_case(client, kestrel, login):
    response = client.post(reverse("readers:sign_in"), {"username": login, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").context["user"] == kestrel


def test_sign_in_with_a_wrong_password_says_so(client, kestrel):
    response = client.post(
        reverse("readers:sign_in"), {"username": "kestrel-7", "password": "wrong password"}
    )
    assert response.status_code == 400
    assert "do not match an account" in response.content.decode()


def test_sign_in_ignores_an_outside_next_url(client, kestrel):
    response = client.post(
        reverse("readers:sign_in") + "?next=https://evil.example/",
        {"username": "kestrel-7", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_sign_out_ends_the_session(signed_in_client):
    response = signed_in_client.post(reverse("readers:sign_out"))
    assert response.status_code in {200, 302}
    assert not signed_in_client.get("/").context["user"].is_authenticated


def test_password_reset_by_email_lets_the_reader_choose_a_new_password(client, kestrel):
    response = client.post(reverse("readers:password_reset"), {"email": "Kestrel-7@Example.org"})
    assert response.status_code == 302
    assert len(sent_mail()) == 1
    link = next(line for line in sent_mail()[0].body.splitlines() if "/password-reset/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    new_password = "a brand new passphrase 42"
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    kestrel.refresh_from_db()
    assert kestrel.check_password(new_password)


def test_password_reset_for_an_unknown_email_sends_nothing_and_reveals_nothing(client):
    response = client.post(reverse("readers:password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert sent_mail() == []


def test_profile_shows_display_name_presence_and_comments_newest_first(
    client, kestrel, article, make_comment, django_assert_max_num_queries
):
    make_comment(article, kestrel, "First words.")
    make_comment(article, kestrel, "Second words.")
    with django_assert_max_num_queries(4):
        response = client.get("/readers/KESTREL-7/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Anna Petrova" in html
    assert "Offline" in html
    assert html.index("Second words.") < html.index("First words.")
    assert "/articles/the-last-ferry/comments/2/" in html


def test_profile_of_a_missing_reader_is_404(client, db):
    assert client.get("/readers/nobody-here/").status_code == 404


def test_profile_hides_comments_on_unpublished_articles(
    client, kestrel, make_article, make_comment
):
    draft = make_article("secret-draft", title="Secret draft", status="draft")
    make_comment(draft, kestrel, "Draft talk.")
    html = client.get("/readers/kestrel-7/").content.decode()
    assert "Secret draft" not in html


@pytest.mark.parametrize("url", ["/accounts/sign-up/", "/accounts/sign-in/"])
def test_every_field_description_a_screen_reader_is_pointed_to_exists(client, url):
    import re

    html = client.post(url, {}).content.decode()
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    for described_by in re.findall(r'aria-describedby="([^"]+)"', html):
        for target in described_by.split():
            assert target in ids, f"aria-describedby points at missing #{target}"
