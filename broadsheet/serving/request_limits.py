"""The request-size cap, enforced before a body is read.

Django's ASGI handler reads the whole body (into memory, then a temporary file)
before any view or middleware runs, and DATA_UPLOAD_MAX_MEMORY_SIZE is only
checked when a view touches `request.POST`. So a stranger could make every
process spool gigabytes. This ASGI layer, the outermost one, answers 413 as soon
as the declared length (or, for a chunked body, the bytes received so far)
passes BROADSHEET_MAX_REQUEST_BYTES; the application never sees the rest.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _body_framing(scope: Scope) -> tuple[int | None, bool]:
    """The Content-Length the client declared (None if none) and whether the body
    is chunked; ValueError if the length is nonsense."""
    length, chunked = None, False
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            length = int(value)
            if length < 0:
                raise ValueError(value)
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked


# Answers under this path are JSON, refusals included: a problem (RFC 9457), as
# the API's own errors are (broadsheet/integrations/api/problems.py).
API_PREFIX = "/api/"


async def _refuse(send: Send, status: int, message: str, *, scope: Scope) -> None:
    body = message.encode()
    content_type = b"text/plain; charset=utf-8"
    if scope.get("path", "").startswith(API_PREFIX):
        problem = {
            "type": "/api/v1/problems/" + ("too-large" if status == 413 else "bad-request"),
            "title": message,
            "status": status,
            "detail": message,
            "errors": [
                {
                    "pointer": "",
                    "code": "too_large" if status == 413 else "bad_length",
                    "detail": message,
                }
            ],
        }
        body = json.dumps(problem, ensure_ascii=False).encode()
        content_type = b"application/problem+json"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _too_large_message(limit: int) -> str:
    return _("The request is too large: at most %(kb)d KB may be sent.") % {"kb": limit // 1024}


class RequestSizeLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = settings.BROADSHEET_MAX_REQUEST_BYTES
        try:
            declared, chunked = _body_framing(scope)
        except ValueError:
            await _refuse(send, 400, _("The Content-Length header is not a number."), scope=scope)
            return
        if declared is not None and declared > limit:
            await _refuse(send, 413, _too_large_message(limit), scope=scope)
            return
        if not chunked:
            # No body, or one the server stops at its declared length: nothing to
            # count (and the cached pages' path pays one look at the headers).
            await self.app(scope, receive, send)
            return

        received = 0
        over_limit = False
        response_started = False

        async def counted_receive() -> dict[str, Any]:
            nonlocal received, over_limit
            if over_limit:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Django stops reading at a disconnect and answers nothing;
                    # the 413 is sent below, once it has returned.
                    over_limit = True
                    return {"type": "http.disconnect"}
            return message

        async def watched_send(message: dict[str, Any]) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        await self.app(scope, counted_receive, watched_send)
        if over_limit and not response_started:
            await _refuse(send, 413, _too_large_message(limit), scope=scope)
