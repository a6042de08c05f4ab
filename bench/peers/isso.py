"""Isso 0.14 as a peer: installed in its own venv, seeded with discussions, run under gunicorn.

    isso = Isso(Path("var/bench/isso"), port=18080)
    isso.install()
    isso.seed({"/articles/page-200/": 200})
    isso.start(workers=2)
    fetch = isso.fetch_request("/articles/page-200/")
    run_request(isso.base_url, fetch, connections=16, seconds=10)
    isso.stop()

Everything lives under `workdir`: the venv, the SQLite database, isso.cfg and the
server's log. `python -m bench.peers.isso WORKDIR` installs, seeds, starts and prints
one answer, as a smoke test.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

from bench import harness
from bench.harness import Request

ISSO_VERSION = "0.14.0"

# Isso's embed client (isso/js/embed.js and app/api.js of 0.14, built into
# embed.min.js) loads a discussion with
#     api.fetch({tid, limit: config["max-comments-top"],
#                nested_limit: config["max-comments-nested"],
#                parent: null, sort: config["sorting"], offset: 0})
# and api.fetch builds the query in the order uri, sort, parent, offset, then limit and
# nested_limit only when they are not "inf"; null values are left out. With the
# client's defaults (app/default_config.js: max-comments-top "inf",
# max-comments-nested 5, sorting "oldest") that is
#     GET /?uri=<uri>&sort=oldest&offset=0&nested_limit=5
# so every top-level comment comes back (no limit), each with at most 5 replies, and
# `plain` is not sent: the server renders every comment's Markdown to HTML on every
# fetch. (On page load the client also fetches GET /config once; that is not
# measured here.)
FETCH_QUERY = "sort=oldest&offset=0&nested_limit=5"

# The schema is Isso's own: its SQLite3 class creates the tables, the trigger, the
# preferences (session key) and user_version, exactly as a first start would. The same
# run hands back Isso's Bloomfilter "voters" blob for each remote address we store.
_CREATE_SCHEMA = """
import json, sys
from isso import config
from isso.db import SQLite3
from isso.utils import Bloomfilter
SQLite3(sys.argv[1], config.load(config.default_file()))
addresses = json.loads(sys.argv[2])
print(json.dumps({a: bytes(Bloomfilter(iterable=[a]).array).hex() for a in addresses}))
"""

# Isso stores the remote address anonymised to its /24 (IPv4).
ADDRESSES = [f"198.51.{i}.0" for i in range(64)]
FIRST_NAMES = [
    "Anna", "Boris", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines",
    "Jonas", "Katya", "Luis", "Maya", "Nikolai", "Olga", "Pavel", "Quinn", "Rosa",
    "Sami", "Tanya", "Ugo", "Vera", "Wim", "Xenia", "Yusuf", "Zoe",
]  # fmt: skip
LAST_NAMES = [
    "Petrova", "Lindqvist", "Okafor", "Moreau", "Kowalski", "Haddad", "Brennan",
    "Sato", "Ferreira", "Novak", "Ivanov", "Schmidt",
]  # fmt: skip
SENTENCES = [
    "The ferry timetable changed again and nobody told the island schools.",
    "I read the council minutes and the numbers in this piece do not add up.",
    "My grandmother ran the kiosk by the pier for thirty years, so this hits home.",
    "Good reporting, but the headline oversells what the survey actually found.",
    "Has anyone asked the harbour master what happens in winter?",
    "This is the third closure in two years; at some point it stops being bad luck.",
    "The bus replacement takes ninety minutes each way, which is not a replacement.",
    "I disagree with the previous comment, the subsidy was never meant to be permanent.",
    "Thanks for including the full table, it makes the comparison much easier.",
    "Could you publish the source data as a spreadsheet?",
    "We moved here for the quiet and now the quiet is all there is.",
    "The photo caption has the wrong year, it was taken before the bridge opened.",
    "Honestly the comments here are better informed than the official statement.",
    "It would help to hear from the crews themselves, not only the operator.",
    "Same thing happened on the northern route and it was reversed after a petition.",
]
MARKDOWN = [
    "*{}*",
    "**{}**",
    "> {}",
    "{} See [the minutes](https://example.org/council/minutes).",
    "- {}",
    "{} The figure is `12.4%`, not 14.",
]


def thread_title(uri: str) -> str:
    slug = uri.strip("/").rsplit("/", 1)[-1]
    return slug.replace("-", " ").capitalize() or "Front page"


def comment_texts(rng: random.Random, count: int = 4096) -> list[str]:
    """Short comments of one to four sentences; about a third with some Markdown."""
    texts = []
    for _ in range(count):
        sentences = rng.sample(SENTENCES, rng.randint(1, 4))
        if rng.random() < 0.35:
            i = rng.randrange(len(sentences))
            sentences[i] = rng.choice(MARKDOWN).format(sentences[i])
        # A quote or a list item needs its own paragraph.
        texts.append("\n\n".join(sentences) if rng.random() < 0.3 else " ".join(sentences))
    return texts


def authors(rng: random.Random, count: int = 300) -> list[tuple[str, str | None, str | None]]:
    """(author, email, website): most readers leave an email, few a website."""
    people = []
    for i in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first.lower()}.{last.lower()}{i}@example.org" if rng.random() < 0.7 else None
        website = f"https://{last.lower()}{i}.example.net/" if rng.random() < 0.1 else None
        people.append((f"{first} {last}", email, website))
    return people


class Isso(harness.StartedServer):
    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir = Path(workdir).resolve()
        self.port = port
        self.venv = self.workdir / "venv"
        self.db_path = self.workdir / "comments.db"
        self.config_path = self.workdir / "isso.cfg"
        self.log_path = self.workdir / "isso.log"
        self._proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- installing ---------------------------------------------------------------

    def versions(self) -> dict[str, str] | None:
        """Installed versions of isso and gunicorn in the venv, or None if either is missing."""
        python = self.venv / "bin" / "python"
        if not python.exists():
            return None
        result = subprocess.run(
            [
                str(python),
                "-c",
                "import importlib.metadata as m, json; "
                "print(json.dumps({n: m.version(n) for n in ('isso', 'gunicorn')}))",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        return json.loads(result.stdout) if result.returncode == 0 else None

    def install(self) -> None:
        """A venv at workdir/venv with isso==0.14.0 and gunicorn; nothing if already there.

        No pins were needed (checked with Python 3.11, which resolved gunicorn 27.0.1,
        Werkzeug 3.1, mistune 3.4, bleach 6.4). Isso 0.14.0 exists only as a source
        archive, and so does misaka 2.1.1 (a CFFI extension, still a dependency of 0.14
        although mistune is its default renderer): pip builds both, misaka with the
        machine's C compiler and Python headers. The venv's own setuptools satisfies
        Isso's `setuptools` dependency.
        """
        installed = self.versions()
        if installed is not None and installed["isso"] == ISSO_VERSION:
            return
        self.workdir.mkdir(parents=True, exist_ok=True)
        subprocess.run(["python3", "-m", "venv", str(self.venv)], check=True)
        result = subprocess.run(
            [
                str(self.venv / "bin" / "python"),
                "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                f"isso=={ISSO_VERSION}", "gunicorn",
            ],
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"installing Isso failed:\n{result.stdout}{result.stderr}")

    # --- data ---------------------------------------------------------------------

    def seed(self, discussions: dict[str, int], *, seed: int = 1) -> int:
        """A fresh database holding `discussions` (thread URI -> number of comments).

        About one comment in five replies to the latest top-level comment of its thread
        (Isso nests one level deep), all accepted (mode 1), times ascending within a
        thread. Returns the number of comments written.
        """
        if self._proc is not None:
            raise RuntimeError("stop Isso before seeding its database")
        self.workdir.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)
        voters = self._create_schema()

        rng = random.Random(seed)
        texts = comment_texts(rng)
        people = authors(rng)
        start = 1_735_689_600.0  # 2025-01-01: the same database on every run

        def rows():
            comment_id = 0
            for thread_id, count in enumerate(discussions.values(), start=1):
                created = start + thread_id * 3600.0
                top_level = None
                for i in range(count):
                    comment_id += 1
                    created += rng.uniform(5.0, 600.0)
                    if top_level is not None and rng.random() < 0.2:
                        parent = top_level
                    else:
                        parent, top_level = None, comment_id
                    author, email, website = people[rng.randrange(len(people))]
                    address = ADDRESSES[i % len(ADDRESSES)]
                    likes = rng.choice((0, 0, 0, 1, 2, 5))
                    yield (
                        thread_id, comment_id, parent, created, None, 1, address,
                        texts[rng.randrange(len(texts))], author, email, website,
                        likes, 0, voters[address], 0,
                    )  # fmt: skip

        con = sqlite3.connect(self.db_path)
        try:
            # Nothing to protect while the database is being built: no journal, no fsync.
            # Neither setting persists, so Isso later opens it with its own defaults.
            con.execute("PRAGMA journal_mode = OFF")
            con.execute("PRAGMA synchronous = OFF")
            with con:
                con.executemany(
                    "INSERT INTO threads (id, uri, title) VALUES (?, ?, ?)",
                    [(i, uri, thread_title(uri)) for i, uri in enumerate(discussions, start=1)],
                )
                con.executemany(
                    "INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr,"
                    " text, author, email, website, likes, dislikes, voters, notification)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows(),
                )
            return con.execute("SELECT COUNT(*) FROM comments").fetchone()[0]
        finally:
            con.close()

    def _create_schema(self) -> dict[str, bytes]:
        result = subprocess.run(
            [
                str(self.venv / "bin" / "python"),
                "-c",
                _CREATE_SCHEMA,
                str(self.db_path),
                json.dumps(ADDRESSES),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"Isso could not create its schema:\n{result.stderr}")
        blobs = json.loads(result.stdout.strip().splitlines()[-1])
        return {address: bytes.fromhex(blob) for address, blob in blobs.items()}

    def comment_count(self, uri: str | None = None) -> int:
        """Comments in the database, in one thread or in all."""
        con = sqlite3.connect(self.db_path)
        try:
            if uri is None:
                return con.execute("SELECT COUNT(*) FROM comments").fetchone()[0]
            return con.execute(
                "SELECT COUNT(*) FROM comments JOIN threads ON threads.id = comments.tid"
                " WHERE threads.uri = ?",
                (uri,),
            ).fetchone()[0]
        finally:
            con.close()

    # --- running ------------------------------------------------------------------

    def write_config(self) -> None:
        self.config_path.write_text(
            f"""\
[general]
dbpath = {self.db_path}
# The site Isso serves comments for (CORS origin); it HEADs it once at start-up and
# only warns when nothing answers.
host = http://127.0.0.1:{self.port}/
# No notification backend: the default, stdout, logs several lines per new comment.
# (An empty value makes Isso warn once about an unknown backend '' at start-up.)
notify =
reply-notifications = false
# No gravatar URLs in answers; the server itself never fetches images.
gravatar = false
latest-enabled = false

[admin]
enabled = false

[moderation]
enabled = false

[server]
public-endpoint = {self.base_url}

[guard]
# The guard rate-limits new comments per /24 (2 a minute by default) and would
# refuse nearly every post of a load test from one address.
enabled = false
"""
        )

    def start(self, workers: int = 2) -> None:
        """Isso under gunicorn, as its deployment docs say (`gunicorn --preload isso.run`)."""
        if self._proc is not None:
            raise RuntimeError("Isso is already running")
        if not self.db_path.exists():
            raise RuntimeError("seed Isso's database before starting it")
        harness.check_port_free(self.port)
        self.write_config()
        command = [
            str(self.venv / "bin" / "gunicorn"),
            "--workers", str(workers),
            "--bind", f"127.0.0.1:{self.port}",
            "--preload",
            *self._no_control_socket(),
            "isso.run:application",
        ]  # fmt: skip
        env = {**os.environ, "ISSO_SETTINGS": str(self.config_path)}
        self._proc = harness.start(command, log=self.log_path, env=env)
        try:
            harness.wait_until_answering(
                self.base_url + "/info", proc=self._proc, log=self.log_path, timeout=60
            )
            # The master answers through its workers; wait until all have forked.
            deadline = time.monotonic() + 30
            while len(harness.children(self._proc.pid)) < workers:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"gunicorn did not start {workers} workers")
                time.sleep(0.1)
        except BaseException:
            self.stop()
            raise

    def _no_control_socket(self) -> list[str]:
        """Recent gunicorn opens a control socket in ~/.gunicorn by default: one path
        shared by every instance on the machine, outside workdir. Turn it off where the
        installed gunicorn has it."""
        result = subprocess.run(
            [str(self.venv / "bin" / "gunicorn"), "--help"],
            capture_output=True,
            text=True,
            check=False,
        )
        return ["--no-control-socket"] if "--no-control-socket" in result.stdout else []

    # --- the scenarios' requests --------------------------------------------------

    def fetch_request(self, uri: str) -> Request:
        """Load a discussion exactly as Isso's embed client does on page load."""
        return Request(f"/?uri={quote(uri, safe='')}&{FETCH_QUERY}")

    def post_request(self, uri: str) -> Request:
        """Post a new top-level comment to an existing thread; the text differs per request.

        Isso accepts only JSON (its CSRF guard rejects form content types) and answers
        201 when moderation is off.
        """
        body = json.dumps(
            {
                "text": "Comment {n} from the benchmark: the *ferry* still has not come.",
                "author": "Bench Reader",
            }
        )
        return Request(
            f"/new?uri={quote(uri, safe='')}",
            method="POST",
            headers={"Content-Type": "application/json"},
            body=body,
        )

    def count_request(self, uris: list[str]) -> Request:
        """Comment counts of several threads at once, as Isso's count.js asks for them."""
        return Request(
            "/count",
            method="POST",
            headers={"Content-Type": "application/json"},
            body=json.dumps(uris),
        )


if __name__ == "__main__":
    import sys
    import urllib.request

    workdir = Path(sys.argv[1] if len(sys.argv) > 1 else "var/bench/isso")
    isso = Isso(workdir, harness.free_port())
    started = time.monotonic()
    isso.install()
    print(f"install: {time.monotonic() - started:.1f} s, {isso.versions()}")
    started = time.monotonic()
    written = isso.seed({"/articles/page-3/": 3})
    print(f"seed: {written} comments in {time.monotonic() - started:.1f} s")
    isso.start(workers=2)
    try:
        url = isso.base_url + isso.fetch_request("/articles/page-3/").path
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our server)
            print(response.status, response.read(300).decode())
        print("pids", isso.pids(), f"rss {harness.rss_mb(isso.pids()):.1f} MiB")
    finally:
        isso.stop()
