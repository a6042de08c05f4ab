"""Mail as the background worker leaves it: the site never sends mail in a
request, so a test that looks at what was sent lets the worker run first."""

import asyncio
import email
import email.policy
import threading
from dataclasses import dataclass, field

from django.core import mail

from broadsheet.background.worker import run_ready_tasks


def sent_mail() -> list:
    """Run the tasks that are due (as `broadsheet worker` would), then the messages
    sent so far (Django's test outbox)."""
    run_ready_tasks()
    return mail.outbox


class WorkerOutbox:
    """pytest-django's `mailoutbox`, where every look first lets the worker send
    what is due: `mailoutbox == []` still means "nothing was sent"."""

    def __init__(self, outbox: list):
        self._outbox = outbox

    def _sent(self) -> list:
        run_ready_tasks()
        return self._outbox

    def __len__(self) -> int:
        return len(self._sent())

    def __iter__(self):
        return iter(list(self._sent()))

    def __getitem__(self, index):
        return self._sent()[index]

    def __eq__(self, other) -> bool:
        return self._sent() == other

    def clear(self) -> None:
        self._sent().clear()

    def __repr__(self) -> str:
        return repr(self._outbox)


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
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 Message accepted"
