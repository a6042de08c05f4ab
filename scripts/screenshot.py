"""Take the README screenshots of the demo article and its discussion.

Starts `broadsheet serve` on a free port with a fresh, temporary data folder
(which Broadsheet migrates and fills with its demo edition), waits for
/healthz, then drives Chromium through Playwright:

- docs/screenshot.png: desktop, 1280 wide, the whole article page with the
  numbered comments, light theme;
- docs/screenshot-phone.png: a 390x844 phone in the dark theme, scrolled to
  the discussion.

The server it started is stopped at the end, also when something fails.

    .venv/bin/python scripts/screenshot.py [--out-dir docs] [--chromium PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = "/articles/last-ferry-on-the-kama/"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_command(port: int) -> list[str]:
    """The installed console script next to this Python, else `python -m`."""
    script = Path(sys.executable).with_name("broadsheet")
    if script.exists():
        return [str(script), "serve", "--host", "127.0.0.1", "--port", str(port)]
    return [
        sys.executable,
        "-m",
        "broadsheet.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def start_server(port: int, data_dir: Path, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ, BROADSHEET_DATA_DIR=str(data_dir))
    log = log_path.open("wb")
    try:
        # Its own process group, so stopping it also stops any worker it forks.
        return subprocess.Popen(  # noqa: S603 - a fixed command line, no shell
            serve_command(port),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log.close()


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def wait_for_health(base_url: str, proc: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"broadsheet serve exited with {proc.returncode}:\n"
                + log_path.read_text(errors="replace")[-4000:]
            )
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:  # noqa: S310 - local http URL
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(
        f"{base_url}/healthz did not answer 200 within {timeout:.0f}s:\n"
        + log_path.read_text(errors="replace")[-4000:]
    )


def wait_for_chromium(path: str, timeout: float) -> None:
    """Chromium may still be installing (apt) when this runs: give it time."""
    deadline = time.monotonic() + timeout
    announced = False
    while not (os.path.isfile(path) and os.access(path, os.X_OK)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} did not appear within {timeout:.0f}s")
        if not announced:
            print(f"waiting for {path} to be installed…", file=sys.stderr)
            announced = True
        time.sleep(5)
    if announced:
        time.sleep(10)  # let the package manager finish unpacking the rest


def take_screenshots(base_url: str, out_dir: Path, chromium: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    desktop_path = out_dir / "screenshot.png"
    phone_path = out_dir / "screenshot-phone.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            desktop = browser.new_context(
                viewport={"width": 1280, "height": 900},
                color_scheme="light",
                reduced_motion="reduce",
            )
            page = desktop.new_page()
            page.goto(f"{base_url}{ARTICLE}", wait_until="networkidle")
            page.locator(".comments .comment").first.wait_for()
            page.screenshot(path=str(desktop_path), full_page=True)
            desktop.close()

            phone = browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=1,
                is_mobile=True,
                has_touch=True,
                color_scheme="dark",
                reduced_motion="reduce",
            )
            page = phone.new_page()
            page.goto(f"{base_url}{ARTICLE}", wait_until="networkidle")
            # Start just above the discussion's rule, with the first comments below it.
            page.locator("#discussion").evaluate(
                "element => window.scrollTo(0,"
                " element.getBoundingClientRect().top + window.scrollY - 24)"
            )
            page.screenshot(path=str(phone_path))
            phone.close()
        finally:
            browser.close()
    return [desktop_path, phone_path]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs")
    parser.add_argument("--chromium", default=CHROMIUM, help="Chromium executable")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for the server")
    parser.add_argument(
        "--chromium-timeout",
        type=float,
        default=900,
        help="seconds to wait for Chromium to be installed",
    )
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="broadsheet-shot-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        log_path = Path(tmp) / "serve.log"
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        proc = start_server(port, data_dir, log_path)
        try:
            wait_for_health(base_url, proc, log_path, args.timeout)
            wait_for_chromium(args.chromium, args.chromium_timeout)
            for path in take_screenshots(base_url, args.out_dir, args.chromium):
                print(f"wrote {path}")
        finally:
            stop_server(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
