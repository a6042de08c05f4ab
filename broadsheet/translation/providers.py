"""Machine translation services behind one small interface.

A provider turns text in one language into text in another. Broadsheet sends it
plain text (a comment's Markdown source, an article's paragraphs) and treats
what comes back as untrusted: the caller renders it like anything a reader
wrote (translation/operations.py).

The one provider so far speaks the LibreTranslate HTTP API, which a newsroom
runs itself (`libretranslate --host 127.0.0.1`), so no text leaves its
machines. Another (a commercial API, a local model) is one more class with a
`translate` method and a branch in `get_provider`.
"""

import contextlib
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Protocol

from django.conf import settings


class TranslationUnavailable(Exception):
    """The service did not translate: away, slow, refusing, or answering nonsense.

    `may_pass` says whether trying again later may help (a timeout, 429, a 5xx),
    as opposed to a refusal that will repeat (a bad key, an unsupported pair)."""

    def __init__(self, message: str, *, may_pass: bool = True):
        super().__init__(message)
        self.may_pass = may_pass


class TranslationProvider(Protocol):
    def translate(self, text: str, *, source: str, target: str) -> str: ...


class LibreTranslate:
    """A client of LibreTranslate's `POST /translate` (JSON in, JSON out).

    The standard library's urllib.request, not an HTTP client package: one POST
    of a small JSON body with a timeout is all this needs, and no such package
    is among Broadsheet's dependencies (adding one for a single call would be one
    more thing to keep current)."""

    def __init__(self, url: str, api_key: str = "", timeout: float = 10):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(f"a LibreTranslate address is http(s)://host[:port], not {url!r}")
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def translate(self, text: str, *, source: str, target: str) -> str:
        payload = {"q": text, "source": source, "target": target, "format": "text"}
        if self.api_key:
            payload["api_key"] = self.api_key
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked in __init__)
            f"{self.url}/translate",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as error:
            raise self._refusal(error) from error
        except TimeoutError as error:
            raise TranslationUnavailable(
                f"LibreTranslate at {self.url} did not answer within {self.timeout:g} s"
            ) from error
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError):
                message = f"LibreTranslate at {self.url} did not answer within {self.timeout:g} s"
            else:
                message = f"LibreTranslate at {self.url} is unreachable: {reason}"
            raise TranslationUnavailable(message) from error
        try:
            translated = json.loads(body)["translatedText"]
        except (ValueError, KeyError, TypeError) as error:
            raise TranslationUnavailable(
                f"LibreTranslate at {self.url} answered without a translatedText"
            ) from error
        if not isinstance(translated, str):
            raise TranslationUnavailable(f"LibreTranslate at {self.url} answered no text")
        return translated

    def _refusal(self, error: urllib.error.HTTPError) -> TranslationUnavailable:
        detail = ""
        with contextlib.suppress(ValueError, AttributeError, OSError):
            detail = str(json.loads(error.read()).get("error", ""))
        message = f"LibreTranslate at {self.url} answered HTTP {error.code}"
        if detail:
            message += f": {detail[:300]}"
        # 429: slow down; 5xx: the service's own trouble. 400 (an unsupported
        # language pair, a bad request) and 403 (the key) will say the same again.
        may_pass = error.code == 429 or error.code >= 500
        return TranslationUnavailable(message, may_pass=may_pass)


def get_provider() -> TranslationProvider | None:
    """The configured translation service, or None: translation is off unless
    BROADSHEET_TRANSLATION_URL names one."""
    if not settings.BROADSHEET_TRANSLATION_URL:
        return None
    return LibreTranslate(
        settings.BROADSHEET_TRANSLATION_URL,
        api_key=settings.BROADSHEET_TRANSLATION_API_KEY,
        timeout=settings.BROADSHEET_TRANSLATION_TIMEOUT_SECONDS,
    )


def translation_enabled() -> bool:
    return bool(settings.BROADSHEET_TRANSLATION_URL)
