# ruff: noqa: RUF001 - Russian text is the point here
"""The translation tests' service: the stand-in for LibreTranslate
(tests/translation_standin.py), started as a real process on a free port."""

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.servers import free_port

STANDIN = Path(__file__).resolve().parent.parent / "translation_standin.py"
API_KEY = "stand-in-key"


class StandIn:
    """A running stand-in and the means to tell it how to behave."""

    def __init__(self, url: str, process: subprocess.Popen):
        self.url = url
        self.process = process

    def _post(self, path: str, data: dict) -> dict:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(data).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def behave(self, mode: str, seconds: float = 0) -> None:
        self._post("/_standin/mode", {"mode": mode, "seconds": seconds})

    def reset(self) -> None:
        self._post("/_standin/reset", {})

    def calls(self) -> int:
        with urllib.request.urlopen(self.url + "/_standin/calls", timeout=5) as response:
            return json.loads(response.read())["calls"]

    def last_request(self) -> dict:
        with urllib.request.urlopen(self.url + "/_standin/calls", timeout=5) as response:
            return json.loads(response.read())["last"]


@pytest.fixture(scope="session")
def standin_process():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(STANDIN), "--port", str(port), "--api-key", API_KEY],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(url + "/languages", timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"the stand-in did not start: {process.stdout.read()}") from None
            time.sleep(0.05)
    yield StandIn(url, process)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def standin(standin_process, settings):
    """The stand-in, behaving normally, and the site's settings pointed at it."""
    standin_process.reset()
    settings.BROADSHEET_TRANSLATION_URL = standin_process.url
    settings.BROADSHEET_TRANSLATION_API_KEY = API_KEY
    settings.BROADSHEET_TRANSLATION_TIMEOUT_SECONDS = 5
    yield standin_process
    standin_process.reset()


RUSSIAN_BODY = """\
Паром отходит от пирса в шесть утра.

## Городское собрание

> «Мы просим тот паром, который у нас уже есть», — сказала фармацевт.

![Пирс на рассвете](/static/demo/ferry.svg "Пирс. Иллюстрация: Broadsheet")

P.S. Расписание висит на пирсе.
"""

ENGLISH_BODY = """\
The ferry leaves the pier at six in the morning.

## A town meeting

> "We are asking for the boat we already have," said a pharmacist.

![The pier at dawn](/static/demo/ferry.svg "The pier. Illustration: Broadsheet")

PS. The timetable is posted at the pier.
"""


@pytest.fixture
def original(make_article):
    """An article first written in Russian."""
    return make_article(
        "posledniy-parom",
        title="Последний паром",
        lead="Паром отходит утром.",
        body_markdown=RUSSIAN_BODY,
        language="ru",
    )


@pytest.fixture
def edition(make_article, original):
    """Its English edition, by a human."""
    return make_article(
        "the-last-ferry-en",
        title="The last ferry",
        body_markdown=ENGLISH_BODY,
        language="en",
        translation_of=original,
    )


@pytest.fixture
def russian_comment(original, edition, nikolai, make_comment):
    """Comment 1, written in Russian under the original: on the English edition it
    is in another language."""
    return make_comment(original, nikolai, "Привет, город! Хорошая статья.")


def translation_url(number: int = 1, to: str = "en", slug: str = "the-last-ferry-en") -> str:
    return f"/articles/{slug}/comments/{number}/translation/?to={to}"
