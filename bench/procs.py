"""Processes of the servers under test: start in their own group, wait, measure, stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


def rss_mb(pids: list[int]) -> float:
    """Resident memory of `pids` added up, in MiB (from VmRSS; a vanished pid counts 0).

    Pages shared after a fork (a preloaded master and its workers) count once per
    process, as `ps` shows them: an upper bound of what the processes really use.
    """
    total_kib = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
                    break
    return total_kib / 1024


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by `pids` (a vanished pid counts 0)."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_idle(
    pids: list[int],
    *,
    port: int | None = None,
    window: float = 0.5,
    quiet_windows: int = 3,
    timeout: float = 120.0,
) -> bool:
    """Wait until `pids` have used (almost) no CPU for `quiet_windows` windows in a row
    and, given `port`, no connection waits to be accepted there; False on timeout.

    When wrk stops, a slow server still has the requests of the connections wrk just
    closed, in its workers and its accept queue, and works them off for a while (for
    Isso on 2,000 comments, ten seconds and more): the next run must not start before.
    """
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        before = cpu_seconds(pids)
        time.sleep(window)
        busy = cpu_seconds(pids) - before >= 0.05 * window
        queued = port is not None and accept_queue(port) > 0
        quiet = 0 if busy or queued else quiet + 1
        if quiet >= quiet_windows:
            return True
    return False


def accept_queue(port: int) -> int:
    """Connections waiting to be accepted on the listening socket 127.0.0.1:`port`.

    For a socket in LISTEN state (st 0A) the rx_queue column of /proc/net/tcp is the
    length of its accept queue.
    """
    local = f"0100007F:{port:04X}"
    waiting = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[3] == "0A":
            waiting += int(fields[4].split(":")[1], 16)
    return waiting


def children(pid: int) -> list[int]:
    """The direct children of `pid`, read from /proc."""
    return [child for child, ppid, _ in _stats() if ppid == pid]


def group_members(pgid: int) -> list[int]:
    """The processes of process group `pgid`, read from /proc."""
    return [pid for pid, _, group in _stats() if group == pgid]


def _stats() -> list[tuple[int, int, int]]:
    """(pid, ppid, pgrp) of every process."""
    rows = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            stat = (entry / "stat").read_text()
            # The command name in parentheses may hold spaces: split after its end.
            fields = stat.rsplit(")", 1)[1].split()
            rows.append((int(entry.name), int(fields[1]), int(fields[2])))
    return sorted(rows)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_port_free(port: int) -> None:
    """Fail when something already listens on 127.0.0.1:`port`: waiting for "our"
    server to answer would otherwise measure that one."""
    with socket.socket() as sock:
        sock.settimeout(1)
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} on 127.0.0.1 is already in use")


def start(command: list[str], *, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `command` in a new session (its own process group), output to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def wait_until_answering(
    url: str, *, proc: subprocess.Popen, log: Path, timeout: float = 30.0
) -> None:
    """Wait until `url` answers with any HTTP status; fail early if `proc` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; log {log}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own http URL)
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout:g} s; log {log}:\n{tail(log)}")


def stop(proc: subprocess.Popen, *, grace: float = 10.0) -> None:
    """SIGTERM to the process group `proc` leads, then SIGKILL after `grace` seconds.

    Only the group of a process this module started (start_new_session) is signalled.
    """
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=grace)
    # Workers may outlive a master that died first: what is left of the group goes too.
    if group_members(proc.pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


class StartedServer:
    """A server process this benchmark started (in `_proc`), stopped and measured
    the same way whoever it is: its master and the master's workers."""

    _proc: subprocess.Popen | None = None

    def stop(self) -> None:
        if self._proc is not None:
            stop(self._proc)
            self._proc = None

    def pids(self) -> list[int]:
        """The master and its workers."""
        if self._proc is None:
            return []
        return [self._proc.pid, *children(self._proc.pid)]
