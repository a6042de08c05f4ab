"""A real SMTP server (aiosmtpd) on loopback for the e-mail tests, and the site's
mail settings pointed at it."""

import email
import email.policy
import threading
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from tests.servers import free_port


@dataclass
class MailServer:
    """What the server received, and how it answers: addresses it refuses for
    good (550), and a message subject it holds without answering until released."""

    host: str
    port: int
    received: list = field(default_factory=list)
    refused: set = field(default_factory=set)
    hold_subject: str | None = None
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def messages_to(self, address: str) -> list:
        return [m for m in self.received if address in m["To"]]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(message)
        if self.hold_subject and self.hold_subject in str(message["Subject"]):
            self.holding.set()
            # The client waits for our answer; a test kills it meanwhile.
            import asyncio

            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 Message accepted"


@pytest.fixture
def mail_server(settings):
    server = MailServer(host="127.0.0.1", port=free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.release.set()
    controller.stop()


@pytest.fixture
def verified(make_reader):
    """A reader with a verified address."""
    from django.utils import timezone

    def make(handle: str, **fields):
        return make_reader(
            handle, email=f"{handle}@example.org", email_verified_at=timezone.now(), **fields
        )

    return make
