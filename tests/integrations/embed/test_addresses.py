import pytest

from broadsheet.integrations.embed.addresses import (
    InvalidPageAddress,
    normalize_origin,
    normalize_page_url,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://example.org/story", "https://example.org/story"),
        ("HTTPS://Example.ORG:443/story?utm_source=x#comments", "https://example.org/story"),
        ("http://example.org:80", "http://example.org/"),
        ("http://example.org:8080/a/b/", "http://example.org:8080/a/b/"),
        ("https://user:secret@example.org/story", "https://example.org/story"),
        ("https://example.org/a story/ёж", "https://example.org/a%20story/%D1%91%D0%B6"),
        ("https://example.org/already%20escaped", "https://example.org/already%20escaped"),
        (
            "https://пример.рф/новости",
            "https://xn--e1afmkfd.xn--p1ai/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8",
        ),
        ("  https://example.org./story  ", "https://example.org/story"),
    ],
)
def test_a_page_address_is_normalised_so_one_page_has_one_discussion(raw, expected):
    assert normalize_page_url(raw, max_length=500) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "javascript:alert(1)",
        "ftp://example.org/file",
        "https:///no-host",
        "https://example.org:99999/",
        "data:text/html,<script>",
        "//example.org/no-scheme",
    ],
)
def test_addresses_that_name_no_web_page_are_refused(raw):
    with pytest.raises(InvalidPageAddress):
        normalize_page_url(raw, max_length=500)


def test_the_length_bound_holds_after_normalising_and_before_parsing():
    path = "/" + "a" * 480
    assert normalize_page_url("https://example.org" + path, max_length=500)
    with pytest.raises(InvalidPageAddress, match="too long"):
        normalize_page_url("https://example.org" + path + "b" * 10, max_length=500)
    # Spaces triple in length when escaped: the bound is on what would be stored.
    with pytest.raises(InvalidPageAddress, match="too long"):
        normalize_page_url("https://example.org/" + "a " * 200 + "z", max_length=500)
    with pytest.raises(InvalidPageAddress, match="too long"):
        normalize_page_url("https://example.org/" + "a" * 100_000, max_length=500)


def test_origins_compare_as_browsers_compare_them():
    assert normalize_origin("HTTP://LocalHost:8001/") == "http://localhost:8001"
    assert normalize_origin("https://example.org:443") == "https://example.org"
    assert normalize_origin("null") == ""
    assert normalize_origin("") == ""
