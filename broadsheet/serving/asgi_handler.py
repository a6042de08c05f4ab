"""Django's ASGI handler, running each process's synchronous code in one thread,
and a form post's whole request in one trip to that thread.

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

A POST never streams its answer, so it needs none of the async middleware chain
that live streams need: run as Django's async chain, each of its synchronous
middleware (sessions, CSRF, authentication, ...) and the view is a separate trip
to the sync thread and back, about twenty a request. A POST runs instead through
the same middleware loaded in their synchronous mode, in one trip, with the
request's start and end signals: the same checks in the same order, as Django
under WSGI runs them (docs/adr/0022-one-trip-post.md).

That trip gives the request's context to the thread (a copy, as every
`sync_to_async` does) but takes nothing back: the response is complete when the
trip ends and the request's task ends after sending it, so nothing on the event
loop's side reads what the thread changed. Copying it back, asgiref's default, was
a few per cent of a post's request (docs/adr/0029-lean-post-request.md).
"""

import contextvars

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.urls import set_script_prefix

# Methods whose requests take the one-trip path: they change state and answer
# with a small page or a redirect, never a stream.
ONE_TRIP_METHODS = frozenset({"POST"})


class OneSyncThreadASGIHandler(ASGIHandler):
    def __init__(self):
        super().__init__()
        # The same middleware, in their synchronous mode, for the one-trip path.
        self.sync_handler = BaseHandler()
        self.sync_handler.load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        if scope["method"] in ONE_TRIP_METHODS:
            await self.handle_in_one_trip(scope, receive, send)
        else:
            await self.handle(scope, receive, send)

    async def handle_in_one_trip(self, scope, receive, send):
        """Django's `handle`, with everything synchronous done in one call on the
        sync thread: the request-started signal, the middleware and the view, and
        the response's close (request-finished, which gives a pooled database
        connection back). The response is complete before it is sent, as a
        non-streaming response always is; a streaming one is sent as Django sends it.
        """
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        # An explicit context: asgiref then runs the trip in it and does not copy
        # the thread's changes back into this task's afterwards.
        respond = sync_to_async(self._respond, context=contextvars.copy_context())
        try:
            response = await respond(scope, body_file)
            await self.send_response(response, send)
            if response.streaming:
                await sync_to_async(response.close)()
        finally:
            body_file.close()

    def _respond(self, scope, body_file):
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.sync_handler.get_response(request)
            response._handler_class = self.__class__
        if not response.streaming:
            response.close()
        return response
