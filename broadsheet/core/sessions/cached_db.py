"""SESSION_ENGINE "broadsheet.core.sessions.cached_db": Django's cached database
sessions, read prepared when the cache misses."""

from django.contrib.sessions.backends import cached_db

from broadsheet.core.sessions import PreparedSessionRead


class SessionStore(PreparedSessionRead, cached_db.SessionStore):
    pass
