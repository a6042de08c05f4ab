"""SESSION_ENGINE "broadsheet.core.sessions.db": Django's database sessions, read prepared."""

from django.contrib.sessions.backends import db

from broadsheet.core.sessions import PreparedSessionRead


class SessionStore(PreparedSessionRead, db.SessionStore):
    pass
