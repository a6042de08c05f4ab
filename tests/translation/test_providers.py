"""The LibreTranslate client (the real one) against the stand-in process."""

import os

import pytest

from broadsheet.translation.providers import (
    LibreTranslate,
    TranslationUnavailable,
    get_provider,
)
from tests.servers import free_port
from tests.translation.conftest import API_KEY


def client(standin, **kw) -> LibreTranslate:
    return LibreTranslate(standin.url, api_key=kw.pop("api_key", API_KEY), **kw)


def test_translates_and_sends_what_the_api_expects(standin):
    translated = client(standin).translate("Привет, город!", source="ru", target="en")
    assert translated == "[en] Hello, town!"
    assert standin.last_request() == {
        "q": "Привет, город!",
        "source": "ru",
        "target": "en",
        "format": "text",
        "api_key": API_KEY,
    }


def test_a_server_error_says_its_status_and_error_and_may_pass(standin):
    standin.behave("error500")
    with pytest.raises(TranslationUnavailable) as caught:
        client(standin).translate("Привет", source="ru", target="en")
    assert "HTTP 500" in str(caught.value)
    assert "the stand-in was told to fail" in str(caught.value)
    assert caught.value.may_pass


def test_too_many_requests_may_pass(standin):
    standin.behave("error429")
    with pytest.raises(TranslationUnavailable, match="HTTP 429: Slowdown") as caught:
        client(standin).translate("Привет", source="ru", target="en")
    assert caught.value.may_pass


def test_a_wrong_key_and_an_unsupported_language_will_not_pass(standin):
    with pytest.raises(TranslationUnavailable, match="HTTP 403: Invalid API key") as caught:
        client(standin, api_key="wrong").translate("Привет", source="ru", target="en")
    assert not caught.value.may_pass
    with pytest.raises(TranslationUnavailable, match="HTTP 400: xx is not supported") as caught:
        client(standin).translate("Привет", source="ru", target="xx")
    assert not caught.value.may_pass


def test_a_slow_service_times_out(standin):
    standin.behave("slow", seconds=3)
    with pytest.raises(TranslationUnavailable, match=r"did not answer within 0\.5 s"):
        client(standin, timeout=0.5).translate("Привет", source="ru", target="en")


def test_an_unreachable_service_says_so():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TranslationUnavailable, match="is unreachable"):
        LibreTranslate(url, timeout=2).translate("Привет", source="ru", target="en")


def test_only_http_addresses():
    with pytest.raises(ValueError, match="http"):
        LibreTranslate("file:///etc/passwd")


@pytest.mark.skipif("BROADSHEET_TRANSLATION_URL" in os.environ, reason="configured here")
def test_off_by_default(settings):
    from broadsheet import settings as project_settings

    assert project_settings.BROADSHEET_TRANSLATION_URL == ""
    settings.BROADSHEET_TRANSLATION_URL = ""
    assert get_provider() is None


def test_the_provider_is_the_configured_service(standin):
    provider = get_provider()
    assert isinstance(provider, LibreTranslate)
    assert provider.url == standin.url
    assert provider.translate("паром", source="ru", target="en") == "[en] ferry"
