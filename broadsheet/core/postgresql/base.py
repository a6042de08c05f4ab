"""Django's PostgreSQL backend, its pooled connections checked only when they have
sat idle (docs/adr/0030-pool-checks-idle-connections.md).

With `CONN_HEALTH_CHECKS` Django has psycopg's pool run an empty query on every
connection it lends: a round trip to PostgreSQL at the start of every request that
touches the database, about 50 µs of this process's CPU, PostgreSQL's own work for
it, and 0.1 ms of wall time (docs/posting.md, round 6). A connection given back
to the pool a moment ago by a request that used it without error is as sure to
work as a check would make it: a check can be outdated the moment after it too.

Here the pool checks nothing itself; this wrapper checks a connection it borrows
when the connection has been idle for longer than
`BROADSHEET_DATABASE_CHECK_IDLE_SECONDS`, or was never lent before, and the
pool's own return path still discards a connection that broke while lent. A
connection that fails its check is handed back (the pool drops it, as it is
closed) and another one borrowed. `BROADSHEET_DATABASE_CHECK_IDLE_SECONDS=0`
checks every connection lent, as Django's setting does.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db.backends.postgresql import base

# The psycopg connection's attribute holding when it went back to the pool.
_RETURNED_AT = "_broadsheet_returned_at"


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        pool = self.pool
        if pool is None:
            return super().get_new_connection(conn_params)
        # Every connection of the pool may have died with the server: try as many.
        for _attempt in range(pool.max_size + 1):
            connection = super().get_new_connection(conn_params)
            if self._fresh_enough(connection):
                return connection
            try:
                pool.check_connection(connection)
            except Exception:
                # Closed by the failed check: the pool drops it and lends another.
                pool.putconn(connection)
                continue
            return connection
        return super().get_new_connection(conn_params)

    def _fresh_enough(self, connection) -> bool:
        returned_at = getattr(connection, _RETURNED_AT, None)
        idle_limit = settings.BROADSHEET_DATABASE_CHECK_IDLE_SECONDS
        return returned_at is not None and time.monotonic() - returned_at < idle_limit

    def _close(self):
        if self.pool is not None and self.connection is not None:
            # Only a connection given back in good order counts as fresh: one that
            # errored is checked the next time it is lent.
            if self.errors_occurred:
                setattr(self.connection, _RETURNED_AT, None)
            else:
                setattr(self.connection, _RETURNED_AT, time.monotonic())
        return super()._close()
