"""The benchmark's pages: live streams held open by client processes.

Ten thousand streams read by one asyncio process with a StreamReader and a task
each cost the client more CPU than the server spends on them, on the same two
cores. Here each stream is an `asyncio.Protocol` (no task, no reader object): it
notes when each `comment.posted` event's number arrives and counts the rest.
`run.py` starts `--clients` such processes (spawned, not forked) and drives
them over a pipe; arrival times are `time.perf_counter()`, CLOCK_MONOTONIC on
Linux, the same clock in every process, so the parent compares them with the
moment it sent each comment.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from multiprocessing.connection import Connection

HOST = "127.0.0.1"
NUMBER = re.compile(rb'(?<!\\)"number":(\d+)')


class StreamProtocol(asyncio.Protocol):
    """One open page: the live stream's bytes de-chunked and split into events."""

    __slots__ = (
        "buffer",
        "connected",
        "ended_by_server",
        "error",
        "head_done",
        "keepalives",
        "other_events",
        "port",
        "received",
        "request",
        "settled",
        "sse",
        "transport",
    )

    def __init__(self, port: int, path: str, settled: asyncio.Future) -> None:
        self.port = port
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
            "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
        ).encode()
        self.settled = settled
        self.buffer = b""
        self.sse = b""
        self.head_done = False
        self.connected = False
        self.received: dict[int, float] = {}
        self.other_events: dict[str, int] = {}
        self.keepalives = 0
        self.error: str | None = None
        self.ended_by_server = False
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def _settle(self) -> None:
        if not self.settled.done():
            self.settled.set_result(None)

    def data_received(self, data: bytes) -> None:
        arrived = time.perf_counter()  # one time for all that came in this read
        buffer = self.buffer + data
        if not self.head_done:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buffer
                return
            status = buffer[9:12]
            if status != b"200":
                self.error = f"HTTP {status.decode(errors='replace')}"
                self.transport.close()
                self._settle()
                return
            self.head_done = True
            buffer = buffer[end + 4 :]
        sse = self.sse
        while True:  # chunked transfer encoding
            line_end = buffer.find(b"\r\n")
            if line_end < 0:
                break
            size = int(buffer[:line_end].split(b";", 1)[0] or b"0", 16)
            if len(buffer) < line_end + 2 + size + 2:
                break
            sse += buffer[line_end + 2 : line_end + 2 + size]
            buffer = buffer[line_end + 4 + size :]
            if size == 0:
                self.ended_by_server = True
        self.buffer = buffer
        while (end := sse.find(b"\n\n")) >= 0:
            self._event(sse[:end], arrived)
            sse = sse[end + 2 :]
        self.sse = sse

    def _event(self, block: bytes, arrived: float) -> None:
        at = block.find(b"event: ")
        if at < 0:
            if b": connected" in block:
                self.connected = True
                self._settle()
            elif block.startswith(b": keep-alive"):
                self.keepalives += 1
            return
        kind = block[at + 7 : block.find(b"\n", at)].decode()
        if kind == "comment.posted":
            match = NUMBER.search(block)
            if match is not None:
                self.received.setdefault(int(match.group(1)), arrived)
                return
        self.other_events[kind] = self.other_events.get(kind, 0) + 1

    def connection_lost(self, exc) -> None:
        if exc is not None and self.error is None and not self.connected:
            self.error = f"{type(exc).__name__}: {exc}"
        if not self.head_done and self.error is None:
            self.error = "closed before answering"
        self._settle()


async def open_streams(
    assignments: list[tuple[int, int]], path: str, parallel: int, timeout: float
) -> list[StreamProtocol]:
    """Open `count` streams to each `port`, at most `parallel` still connecting at once."""
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(parallel)
    streams: list[StreamProtocol] = []

    async def one(port: int) -> None:
        async with slots:
            stream = StreamProtocol(port, path, loop.create_future())
            streams.append(stream)
            try:
                await loop.create_connection(lambda: stream, HOST, port)
                await stream.settled
            except OSError as error:
                stream.error = f"{type(error).__name__}: {error}"

    jobs = [one(port) for port, count in assignments for _ in range(count)]
    try:
        async with asyncio.timeout(timeout):
            await asyncio.gather(*jobs)
    except TimeoutError:
        for stream in streams:
            if not stream.connected and stream.error is None:
                stream.error = f"not connected within {timeout:.0f} s"
    return streams


def close_streams(streams: list[StreamProtocol]) -> None:
    for stream in streams:
        if stream.transport is not None:
            stream.transport.abort()


async def serve_parent(conn: Connection) -> None:
    """Answer the parent's commands until told to quit."""
    loop = asyncio.get_running_loop()
    streams: list[StreamProtocol] = []
    cpu_mark = time.process_time()
    while True:
        command, *arguments = await loop.run_in_executor(None, conn.recv)
        if command == "open":
            assignments, path, parallel, timeout = arguments
            started = time.perf_counter()
            streams = await open_streams(assignments, path, parallel, timeout)
            errors: dict[str, int] = {}
            for stream in streams:
                if stream.error:
                    kind = stream.error.split(":", 1)[0]
                    errors[kind] = errors.get(kind, 0) + 1
            ok = sum(1 for stream in streams if stream.connected and stream.error is None)
            conn.send(("opened", ok, errors, time.perf_counter() - started))
        elif command == "mark":
            cpu_mark = time.process_time()
            conn.send(("marked",))
        elif command == "count":
            (numbers,) = arguments
            wanted = set(numbers)
            got = sum(len(wanted.intersection(stream.received)) for stream in streams)
            conn.send(("count", got))
        elif command == "report":
            conn.send(
                (
                    "report",
                    [
                        (
                            stream.port,
                            stream.connected and stream.error is None,
                            stream.received,
                            stream.other_events,
                            stream.error,
                            stream.ended_by_server,
                        )
                        for stream in streams
                    ],
                    time.process_time() - cpu_mark,
                )
            )
        elif command == "close":
            close_streams(streams)
            streams = []
            await asyncio.sleep(0.2)
            conn.send(("closed",))
        elif command == "quit":
            return


def client_main(conn: Connection) -> None:
    """A client process's entry point (multiprocessing, spawn)."""
    with contextlib.suppress(KeyboardInterrupt, EOFError):
        try:
            import uvloop  # the server's own loop, if present: cheaper per socket

            uvloop.run(serve_parent(conn))
        except ImportError:
            asyncio.run(serve_parent(conn))
