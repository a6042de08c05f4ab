"""`broadsheet serve` as a service manager runs it: a stop or restart must not wait
for live pages, whose streams never end by themselves."""

import socket
import time

import pytest

from broadsheet.serving.management.commands.serve import GRACEFUL_SHUTDOWN_SECONDS
from tests.servers import Server

pytestmark = pytest.mark.slow


def test_serve_stops_soon_after_sigterm_while_live_pages_are_connected(tmp_path):
    server = Server(tmp_path / "var")  # the demo edition gives an article to follow
    streams = []
    try:
        for after in (0, 1):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            streams.append(sock)
            sock.sendall(
                f"GET /articles/last-ferry-on-the-kama/live/?after={after} HTTP/1.1\r\n"
                "Host: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode()
            )
            received = b""
            while b": connected" not in received:
                received += sock.recv(4096)

        started = time.monotonic()
        server.process.terminate()
        server.process.wait(timeout=GRACEFUL_SHUTDOWN_SECONDS + 10)
        assert time.monotonic() - started < GRACEFUL_SHUTDOWN_SECONDS + 5
        # The streams were closed by the server, so the pages reconnect.
        for sock in streams:
            sock.settimeout(5)
            while sock.recv(4096):
                pass
    finally:
        for sock in streams:
            sock.close()
        server.stop()
