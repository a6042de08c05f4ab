"""One signed POST to a receiver, bounded in time and in what is read back.

Signed as Standard Webhooks says (headers `webhook-id`, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), with the
`standardwebhooks` package, so any receiver using its libraries verifies us.
Redirects are not followed (a 3xx is a failure, like any answer but 2xx), and
the address the name resolves to is checked as the connection is made, so a
name cannot be pointed at the newsroom's own network after it was saved
(unless BROADSHEET_WEBHOOK_ALLOW_PRIVATE_ADDRESSES). No mock of this in tests:
they run a real receiver on 127.0.0.1.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from standardwebhooks import Webhook

from broadsheet.integrations.webhooks.models import ERROR_MAX_LENGTH, RESPONSE_BODY_KEPT

USER_AGENT = "Broadsheet-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    response_body: str
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class RefusedAddress(OSError):
    """The endpoint's name resolves to an address webhooks may not reach."""


def signature_header(*, secrets: list[str], message_id: str, timestamp: datetime, body: str) -> str:
    """`v1,<signature>` for each secret (the new and, after a rotation, the old),
    space-separated as Standard Webhooks allows."""
    return " ".join(
        Webhook(secret).sign(msg_id=message_id, timestamp=timestamp, data=body)
        for secret in secrets
    )


def _allowed(address: str) -> bool:
    if settings.BROADSHEET_WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return True
    return ipaddress.ip_address(address.split("%")[0]).is_global


def _resolve(host: str, port: int) -> tuple[str, int]:
    """The first address of `host` webhooks may reach; RefusedAddress if none."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for _family, _type, _proto, _name, sockaddr in infos:
        if _allowed(sockaddr[0]):
            return sockaddr[0], sockaddr[1]
    raise RefusedAddress(f"{host} resolves to no public address")


def post(
    *, url: str, body: str, message_id: str, timestamp: datetime, secrets: list[str]
) -> Outcome:
    """POST `body` to `url`, signed; never raises for what the network or the
    receiver does, and returns within BROADSHEET_WEBHOOK_TIMEOUT_SECONDS (plus the
    name lookup, which the system's resolver bounds)."""
    started = time.monotonic()
    timeout = settings.BROADSHEET_WEBHOOK_TIMEOUT_SECONDS
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature_header(
            secrets=secrets, message_id=message_id, timestamp=timestamp, body=body
        ),
    }
    parts = urlsplit(url)
    connection: http.client.HTTPConnection | None = None
    # A receiver that answers a byte at a time would keep every read within a
    # per-read timeout; this cuts the connection when the whole attempt's time is up.
    watchdog: threading.Timer | None = None
    cut = threading.Event()
    timed_out = f"timed out after {timeout:g} s"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = _resolve(parts.hostname or "", port)
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                parts.hostname, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            connection = http.client.HTTPConnection(parts.hostname, port, timeout=timeout)
        # Connect to the address checked above, not to whatever a second lookup says
        # (the Host header and TLS's server name stay the endpoint's own name).
        connection._create_connection = lambda _address, *args, **kwargs: socket.create_connection(
            address, *args, **kwargs
        )
        watchdog = threading.Timer(timeout, _cut, args=(connection, cut))
        watchdog.daemon = True
        watchdog.start()
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        connection.request("POST", path, body=body.encode(), headers=headers)
        response = connection.getresponse()
        kept = response.read(RESPONSE_BODY_KEPT)
        if cut.is_set():  # what was read may end anywhere: not an answer
            return Outcome(None, "", timed_out, _since(started))
        return Outcome(
            status_code=response.status,
            response_body=kept.decode("utf-8", errors="replace"),
            error="" if 200 <= response.status < 300 else f"HTTP {response.status}",
            duration_ms=_since(started),
        )
    except (OSError, http.client.HTTPException, ValueError) as error:
        if cut.is_set() or time.monotonic() - started >= timeout:
            message = timed_out
        else:
            message = f"{type(error).__name__}: {error}"
        return Outcome(None, "", message[:ERROR_MAX_LENGTH], _since(started))
    finally:
        if watchdog is not None:
            watchdog.cancel()
        if connection is not None:
            connection.close()


def _cut(connection: http.client.HTTPConnection, cut: threading.Event) -> None:
    cut.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
