"""A real receiver on 127.0.0.1 that records what it was sent and verifies the
signatures with the `standardwebhooks` package, and the people who manage
webhooks."""

import http.server
import threading
import time
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.core.management import call_command
from standardwebhooks import Webhook, WebhookVerificationError

from broadsheet.integrations.webhooks import operations


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    # What to answer, one per request in turn (the last one repeats).
    statuses: list[int] = field(default_factory=lambda: [200])
    answer: bytes = b"ok"
    sleep_seconds: float = 0.0

    def verify(self, secret: str, index: int = -1):
        """The message, as `standardwebhooks` verifies it (raises if it does not)."""
        request = self.received[index]
        return Webhook(secret).verify(request.body, request.headers)

    def verified_types(self, secret: str) -> list[str]:
        return [self.verify(secret, i)["type"] for i in range(len(self.received))]


def _handler(receiver: Receiver):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.received.append(Received(self.path, dict(self.headers.items()), body))
            if receiver.sleep_seconds:
                time.sleep(receiver.sleep_seconds)
            index = min(len(receiver.received), len(receiver.statuses)) - 1
            status = receiver.statuses[index]
            try:
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.url + "elsewhere")
                self.send_header("Content-Length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)
            except OSError:
                pass  # the sender gave up waiting (the timeout tests)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver():
    state = Receiver(url="")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _webhooks_may_reach_this_machine(settings):
    # The receiver is on 127.0.0.1, which webhooks refuse by default.
    settings.BROADSHEET_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.BROADSHEET_WEBHOOK_TIMEOUT_SECONDS = 2
    settings.BROADSHEET_SITE_URL = "https://news.example"


@pytest.fixture(autouse=True)
def _fresh_subscriptions():
    cache.delete(operations.SUBSCRIBED_EVENTS_KEY)
    yield
    cache.delete(operations.SUBSCRIBED_EVENTS_KEY)


@pytest.fixture
def editor(make_reader):
    reader = make_reader("ed-1", "Elena Editor")
    call_command("grant", "ed-1", "editor")
    return reader


@pytest.fixture
def make_endpoint(editor):
    def make(url: str, events=("comment.posted",), **fields):
        return operations.create_webhook_endpoint(
            url=url, events=list(events), created_by=editor, **fields
        )

    return make


def verification_fails(receiver: Receiver, secret: str, index: int = -1) -> bool:
    try:
        receiver.verify(secret, index)
    except WebhookVerificationError:
        return True
    return False
