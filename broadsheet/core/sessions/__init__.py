"""Django's database session engines, their one read on every signed-in request
prepared (broadsheet.prepared): building `Session.objects.get(...)` cost a post
more CPU than SQLite spent answering it (docs/posting.md, round 3).

Everything else (writing, cycling keys, expiry, the cache in front of the
database for `cached_db`) is Django's own.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from broadsheet.prepared import prepared_rows

_SESSION_COLUMNS = ("session_key", "session_data", "expire_date")


def _open_session_query(*, session_key: str, now: datetime) -> QuerySet:
    return Session.objects.filter(session_key=session_key, expire_date__gt=now).values_list(
        *_SESSION_COLUMNS
    )


class PreparedSessionRead:
    """Reads the session row as `db.SessionStore._get_session_from_db` does: the
    unexpired row under this key, or None (and the key is forgotten, so a new
    one is made on save)."""

    def _get_session_from_db(self):
        session_key = self.session_key
        rows = []
        if session_key is not None:
            rows = prepared_rows(
                _open_session_query, values={"session_key": session_key, "now": timezone.now()}
            )
        if not rows:
            self._session_key = None
            return None
        return Session.from_db("default", _SESSION_COLUMNS, rows[0])
