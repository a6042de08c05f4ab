"""One client address cannot take every live stream of a process (issue 10,
point 4): past BROADSHEET_LIVE_STREAMS_PER_ADDRESS it is told 429 and when to
come back, and a closed stream gives its place back."""

import socket
import time

import pytest

from tests.servers import Server

pytestmark = pytest.mark.slow

LIVE = "/articles/last-ferry-on-the-kama/live/?after=0"


def open_stream(port: int) -> tuple[socket.socket, bytes]:
    """A page's live connection: the socket, and its answer up to the stream's first
    comment (accepted) or to the end of the refusal's message (refused)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        f"GET {LIVE} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    received = b""
    while b": connected" not in received and not received.rstrip().endswith(b"live."):
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return sock, received


def test_an_address_past_its_stream_limit_is_told_to_come_back_later(tmp_path):
    server = Server(tmp_path / "var", env={"BROADSHEET_LIVE_STREAMS_PER_ADDRESS": "2"})
    streams = []
    try:
        for _ in range(2):
            sock, head = open_stream(server.port)
            streams.append(sock)
            assert head.startswith(b"HTTP/1.1 200") and b": connected" in head

        refused, head = open_stream(server.port)
        refused.close()
        assert head.startswith(b"HTTP/1.1 429")
        assert b"\r\nretry-after: 60\r\n" in head.lower()
        assert b"Too many live connections from your address" in head

        streams.pop().close()  # a page closed: its place is free again
        deadline = time.monotonic() + 10
        while True:
            sock, head = open_stream(server.port)
            streams.append(sock)
            if head.startswith(b"HTTP/1.1 200") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert head.startswith(b"HTTP/1.1 200")
    finally:
        for sock in streams:
            sock.close()
        server.stop()
