"""Request bodies past BROADSHEET_MAX_REQUEST_BYTES are refused before they are read."""

import socket

import pytest


def _exchange(base: str, head: str, body_chunks: list[bytes] = ()) -> str:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode())
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before taking the rest
        received = b""
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            received += data
    return received.decode(errors="replace")


@pytest.fixture
def small_cap(settings):
    settings.BROADSHEET_MAX_REQUEST_BYTES = 64 * 1024


def test_a_declared_length_over_the_cap_gets_413_without_sending_the_body(asgi_server, small_cap):
    # A gigabyte is declared and none of it sent: the answer must come anyway.
    answer = _exchange(
        asgi_server,
        "POST /accounts/sign-in/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {1024**3}\r\n\r\n",
    )
    assert answer.startswith("HTTP/1.1 413")
    assert "at most 64 KB" in answer


def test_a_chunked_body_is_cut_off_once_it_passes_the_cap(asgi_server, small_cap):
    chunk = b"a" * 16384
    chunks = [b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20)] + [b"0\r\n\r\n"]
    answer = _exchange(
        asgi_server,
        "POST /accounts/sign-in/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",
        chunks,
    )
    assert answer.startswith("HTTP/1.1 413")


def test_a_nonsense_content_length_is_a_bad_request(asgi_server):
    answer = _exchange(
        asgi_server,
        "POST /accounts/sign-in/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n",
    )
    assert answer.startswith("HTTP/1.1 400")


def test_a_body_under_the_cap_reaches_django(asgi_server, small_cap):
    body = b"username=x&password=y"
    answer = _exchange(
        asgi_server,
        "POST /accounts/sign-in/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n",
        [body],
    )
    # Django answers (CSRF refuses this form post), not the size cap.
    assert answer.startswith("HTTP/1.1 403")
