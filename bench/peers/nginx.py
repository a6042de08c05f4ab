"""nginx serving one static file: the most this machine can answer over HTTP.

    nginx = Nginx(Path("var/bench/nginx"), port=18081)
    nginx.ensure_installed()
    nginx.serve_file(page_bytes, gzip_too=True)
    run_wrk(nginx.url, connections=16, seconds=10, headers={"Accept-Encoding": "gzip"})
    nginx.stop()

nginx runs in the foreground as a child of this process with a configuration, pid
file, logs and temporary folders all under `workdir`, so it needs no root and leaves
the system's nginx (if any) alone. `python -m bench.peers.nginx WORKDIR` serves 100 KB
and prints one wrk run against it.
"""

from __future__ import annotations

import grp
import gzip
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from bench import harness

NGINX = Path("/usr/sbin/nginx")
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


class Nginx(harness.StartedServer):
    def __init__(self, workdir: Path, port: int, *, file_name: str = "page.html") -> None:
        self.workdir = Path(workdir).resolve()
        self.port = port
        self.file_name = file_name
        self.root = self.workdir / "www"
        self.config_path = self.workdir / "nginx.conf"
        self.log_path = self.workdir / "nginx.log"
        self._proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.file_name}"

    def ensure_installed(self) -> None:
        """Install Debian's nginx when /usr/sbin/nginx is missing (sudo unless root).

        Debian's package would also start a system-wide nginx on port 80 where the
        machine runs services; that one is not used here.
        """
        if NGINX.exists():
            return
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([*sudo, "apt-get", "update", "-q"], check=True, env=env)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-q", "nginx"], check=True, env=env)

    def serve_file(self, content: bytes, *, gzip_too: bool) -> None:
        """Write `content` as the one file (and a .gz twin for gzip_static) and start nginx."""
        if self._proc is not None:
            self.stop()
        harness.check_port_free(self.port)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        path = self.root / self.file_name
        path.write_bytes(content)
        if gzip_too:
            # gzip_static serves this copy to clients that send Accept-Encoding: gzip,
            # as a site would serve pre-compressed pages: no compression per request.
            Path(f"{path}.gz").write_bytes(gzip.compress(content, compresslevel=9, mtime=0))
        self.write_config(gzip_too=gzip_too)
        command = [
            str(NGINX),
            "-p", f"{self.workdir}/",
            "-c", str(self.config_path),
            # The error log before the configuration is read: without -e nginx first
            # tries the compiled-in default, which a non-root user may not open.
            "-e", str(self.workdir / "error.log"),
        ]  # fmt: skip
        self._proc = harness.start(command, log=self.log_path)
        try:
            harness.wait_until_answering(self.url, proc=self._proc, log=self.log_path, timeout=15)
        except BaseException:
            self.stop()
            raise

    def write_config(self, *, gzip_too: bool) -> None:
        for name in TEMP_PATHS:
            (self.workdir / "tmp" / name).mkdir(parents=True, exist_ok=True)
        temp_paths = "\n".join(
            f"    {name}_temp_path {self.workdir / 'tmp' / name};" for name in TEMP_PATHS
        )
        # A master started by root hands its workers to `user` (default nobody, who may
        # not read workdir); other users' masters ignore the directive with a warning,
        # so it is written only for root, naming root itself.
        user = ""
        if os.geteuid() == 0:
            user = (
                f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"
            )
        mime_types = Path("/etc/nginx/mime.types")
        types = f"include {mime_types};" if mime_types.exists() else "types { text/html html; }"
        self.config_path.write_text(
            f"""\
daemon off;
master_process on;
worker_processes 2;
pid {self.workdir / "nginx.pid"};
error_log {self.workdir / "error.log"} warn;
{user}

events {{
    # Within the usual 1,024 open files a process may have without root.
    worker_connections 1024;
}}

http {{
    {types}
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    # The Python servers compared with this keep a connection open for as many
    # requests as wrk sends; nginx's default (1,000) would make wrk reconnect.
    keepalive_requests 1000000;
    keepalive_timeout 65;
    gzip_static {"on" if gzip_too else "off"};
{temp_paths}

    server {{
        listen 127.0.0.1:{self.port};
        root {self.root};
    }}
}}
"""
        )


if __name__ == "__main__":
    import random
    import sys

    from bench.harness import run_wrk
    from bench.peers.isso import SENTENCES

    nginx = Nginx(
        Path(sys.argv[1] if len(sys.argv) > 1 else "var/bench/nginx"), harness.free_port()
    )
    nginx.ensure_installed()
    # An article page's worth of text that gzips about as well as a real one.
    rng = random.Random(1)
    words = " ".join(SENTENCES).split()
    paragraphs = (" ".join(rng.choices(words, k=60)) for _ in range(1000))
    page = "".join(f"<p>{p}</p>\n" for p in paragraphs).encode()[:100_000]
    nginx.serve_file(page, gzip_too=True)
    try:
        print("pids", nginx.pids(), f"rss {harness.rss_mb(nginx.pids()):.1f} MiB")
        print(f"{len(page)} bytes, gzipped {len(gzip.compress(page, compresslevel=9))}")
        for headers in ({}, {"Accept-Encoding": "gzip"}):
            print(headers, run_wrk(nginx.url, connections=16, seconds=10, headers=headers))
    finally:
        nginx.stop()
