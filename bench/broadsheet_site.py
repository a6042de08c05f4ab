"""Broadsheet as every benchmark runs it: sites made by `broadsheet demo`, served by
`broadsheet serve --workers N` exactly as in production (SQLite in a data folder,
no debug, no access log), the environment they run in and the poster's account.

A site is built once and kept under var/bench/sites/<name>/; the next run reuses
it when its recipe has not changed (a million comments take a couple of minutes).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench import harness
from bench.harness import Request

BROADSHEET = str(Path(sys.executable).parent / "broadsheet")
POSTER = "bench-poster"
POSTER_PASSWORD = "bench-poster-password-1"  # noqa: S105 (a throwaway account)
# A fixed CSRF secret: Django accepts the 32-character secret itself as the form's
# token when it matches the cookie, so every wrk request can carry the same pair.
CSRF_SECRET = "BenchCsrfSecretBenchCsrfSecret32"  # noqa: S105 (a benchmark session, not a secret)


@dataclass(frozen=True)
class Part:
    """`articles` articles at /articles/<prefix>-<n>/, `comments` comments each."""

    prefix: str
    articles: int
    comments: int


@dataclass(frozen=True)
class Site:
    name: str
    parts: tuple[Part, ...]

    def recipe(self) -> str:
        return json.dumps([vars(part) for part in self.parts])


def article_path(prefix: str, n: int = 0) -> str:
    return f"/articles/{prefix}-{n}/"


def build(site: Site, root: Path) -> Path:
    """The data folder of `site`, generated unless an identical one is there."""
    data_dir = root / "sites" / site.name
    done = data_dir / "bench-recipe.json"
    if done.exists() and done.read_text() == site.recipe():
        return data_dir
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = server_env(data_dir)
    for part in site.parts:
        run(
            [
                "demo",
                "--articles",
                str(part.articles),
                "--comments-per-article",
                str(part.comments),
                "--slug-prefix",
                part.prefix,
            ],
            env,
        )
    done.write_text(site.recipe())
    return data_dir


def run(arguments: list[str], env: dict[str, str]) -> str:
    finished = subprocess.run(
        [BROADSHEET, *arguments], env=env, capture_output=True, text=True, timeout=1800
    )
    if finished.returncode != 0:
        raise RuntimeError(f"broadsheet {arguments[0]} failed:\n{finished.stderr[-3000:]}")
    return finished.stdout


def server_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a benchmark's `broadsheet` commands: ours with no other
    BROADSHEET_ setting (the same SQLite site, production-like, whoever runs it),
    `data_dir`, the limits that would refuse a one-reader flood off, and
    `settings` (BROADSHEET_LIVE_KEEPALIVE_SECONDS="15", ...) on top."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("BROADSHEET_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env["BROADSHEET_DATA_DIR"] = str(data_dir)
    # One reader posts every comment of the run: the anti-flood limits and the
    # breaking-news mode would (rightly) hold or refuse it.
    env["BROADSHEET_COMMENTS_PER_MINUTE"] = "0"
    env["BROADSHEET_COMMENTS_PER_ARTICLE_PER_MINUTE"] = "0"
    env["BROADSHEET_BREAKING_NEWS_PER_MINUTE"] = "0"
    env["BROADSHEET_PREMODERATE_FIRST_COMMENTS"] = "0"
    env["BROADSHEET_PERSONAL_LAYERS_PER_MINUTE"] = "0"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


SIGN_IN_POSTER = f"""
from django.test import Client
from broadsheet.readers.models import Reader
reader = Reader.objects.filter(handle="{POSTER}").first()
if reader is None:
    from broadsheet.readers.operations import sign_up_reader
    reader = sign_up_reader(handle="{POSTER}", display_name="Bench Poster",
                            email="{POSTER}@example.invalid", password="{POSTER_PASSWORD}",
                            site_url=None)
client = Client()
client.force_login(reader)
print(client.cookies["sessionid"].value)
"""


def sign_in_poster(env: dict[str, str]) -> str:
    """The session key of the poster (`POSTER`, `POSTER_PASSWORD`), made on first use
    through the same operation sign-up uses."""
    return run(["manage", "shell", "-c", SIGN_IN_POSTER], env).split()[-1]


class BroadsheetServer:
    def __init__(
        self, data_dir: Path, port: int, *, workers: int = 2, env: dict[str, str] | None = None
    ) -> None:
        self.data_dir = data_dir
        self.port = port
        self.workers = workers
        self.env = env or {}
        self.log = data_dir / "serve.log"
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        harness.check_port_free(self.port)
        self.proc = harness.start(
            [
                BROADSHEET,
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--no-demo",
                "--no-access-log",
            ],
            log=self.log,
            env=server_env(self.data_dir, **self.env),
        )
        harness.wait_until_answering(
            self.base_url + "/healthz", proc=self.proc, log=self.log, timeout=120
        )

    def stop(self) -> None:
        if self.proc is not None:
            harness.stop(self.proc)
            self.proc = None

    def pids(self) -> list[int]:
        return harness.group_members(self.proc.pid) if self.proc else []

    def worker_pids(self) -> list[int]:
        """The processes that serve requests (with one worker, the server itself)."""
        if self.proc is None:
            return []
        return harness.children(self.proc.pid) if self.workers > 1 else [self.proc.pid]

    # --- requests ---------------------------------------------------------------------

    @staticmethod
    def page_request(path: str) -> Request:
        # As a browser asks: it takes gzip.
        return Request(path, headers={"Accept-Encoding": "gzip"})

    @staticmethod
    def rendered(request: Request) -> Request:
        """The same request past both page caches: any session cookie bypasses them
        (an unknown one leaves the reader signed out), so Django renders the page."""
        return Request(request.path, headers={**request.headers, "Cookie": "sessionid=none"})

    def signed_in_page_request(self, article: str) -> Request:
        """A signed-in reader's page view as a browser whose page script runs makes
        it, with the session, CSRF and marker cookies: the page, and the reader's
        personal layer (docs/personal-layer.md) only when the page came without it
        stitched in. wrk counts page views (`LoadResult.views`)."""
        session = sign_in_poster(server_env(self.data_dir))
        cookie = f"sessionid={session}; csrftoken={CSRF_SECRET}; broadsheet_layer=1"
        return Request(
            article,
            headers={"Accept-Encoding": "gzip", "Cookie": cookie},
            also_path="/layer" + article,
        )

    def post_request(self, article: str) -> Request:
        # On the server's own database (a PostgreSQL URL among `env`, say).
        session = sign_in_poster(server_env(self.data_dir, **self.env))
        cookie = f"sessionid={session}; csrftoken={CSRF_SECRET}"
        body = (
            f"csrfmiddlewaretoken={CSRF_SECRET}&submission_key={{uuid}}"
            "&body=Benchmark+comment+{n}%2C+posted+by+wrk."
        )
        return Request(
            article + "comments/",
            method="POST",
            headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            body=body,
        )

    @staticmethod
    def count_request(slugs: list[str]) -> Request:
        query = "&".join(f"article={slug}" for slug in slugs)
        return Request(f"/comment-counts/?{query}", headers={"Accept-Encoding": "gzip"})
