"""Django's ASGI handler, running each process's synchronous code in one thread.

Django's own handler gives every request a fresh thread for its synchronous
parts (asgiref's ThreadSensitiveContext). Measured on posting a comment
(`broadsheet serve`, SQLite, wrk at 4 connections): each request then also
opened a new database connection (connections belong to threads) and ran the
SQLite set-up pragmas, and concurrent writers in one process met on SQLite's
write lock, whose busy handler sleeps in steps of milliseconds. That cost 10.1 ms
of CPU per post with a p99 of 466 ms; with one thread per process it is 7.2 ms
and 58 ms (docs/adr/0006-one-sync-thread.md).

Without the per-request context, asgiref runs every thread-sensitive call in
one executor thread per process, as Django under WSGI with one thread would:
the thread keeps its database connection between requests (CONN_MAX_AGE), and
the process's writers queue in Python instead of sleeping in SQLite. Async code
(the front cache, live streams) is not affected.
"""

from django.core.handlers.asgi import ASGIHandler


class OneSyncThreadASGIHandler(ASGIHandler):
    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)
