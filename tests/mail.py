"""Mail as the background worker leaves it: the site never sends mail in a
request, so a test that looks at what was sent lets the worker run first."""

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
