"""Broadsheet's benchmarks, one command each, each printing a table.

    .venv/bin/python -m bench compare [--quick]  Broadsheet vs Isso vs nginx (compare.py)
    .venv/bin/python -m bench asgi-servers       ASGI servers for `serve` (asgi_servers.py)
    .venv/bin/python -m bench live               open pages, comments fanned out (live/)
    .venv/bin/python -m bench search [--quick]   full-text search vs a LIKE scan (search.py)
    .venv/bin/python -m bench notifications      posting, notifications off / on
    .venv/bin/python -m bench import [--posts N] a Disqus export, Broadsheet vs Isso (imports.py)
    .venv/bin/python -m bench api                the JSON API vs the article page and the form
    .venv/bin/python -m bench render             CPU per page rendered from nothing (render.py)
    .venv/bin/python -m bench post [--quick]     posting at 4 and 16 writers, SQLite and PostgreSQL
    .venv/bin/python -m bench post-steps         a post's CPU, layer by layer, in one process

`python -m bench.<name>` runs the same; `python -m bench <name> --help` lists its
options. With no name (or only options) it runs `compare`, as bench/run does.
The helpers they share (ports, processes, memory, wrk) are bench/harness.py.
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "compare": "bench.compare",
    "asgi-servers": "bench.asgi_servers",
    "live": "bench.live.run",
    "search": "bench.search",
    "notifications": "bench.notifications",
    # `import` is a Python keyword, so the module has another name.
    "import": "bench.imports",
    "api": "bench.api",
    "render": "bench.render",
    "post": "bench.post",
    "post-steps": "bench.post_steps",
}


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    name = argv[0] if argv and not argv[0].startswith("-") else "compare"
    arguments = argv[1:] if argv and argv[0] == name else argv
    if name.replace("_", "-") not in BENCHMARKS:
        print(f"unknown benchmark {name!r}: one of {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(BENCHMARKS[name.replace("_", "-")])
    sys.argv = [f"python -m bench {name}", *arguments]
    return module.main(arguments)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
