"""A STAND-IN for LibreTranslate, for tests only: it translates nothing.

The real service (LibreTranslate, with its language models) cannot run on a test
machine, so the tests start this small HTTP server as a process of its own and
point BROADSHEET_TRANSLATION_URL at it. It speaks the part of LibreTranslate's
HTTP API that Broadsheet uses, with the same shapes:

- `POST /translate` with JSON (or a form) `{"q", "source", "target", "format",
  "api_key"}` answers `{"translatedText": ...}`, or `{"error": ...}` with 400
  (missing field, unsupported language), 403 (a wrong key when started with
  --api-key), 429 or 500;
- `GET /languages` lists the languages it "knows" with their targets.

Its "translation" is deterministic and obviously fake: each block (paragraph)
gets a "[en] " prefix (the target's code) after any leading Markdown marks, and
a handful of Russian and English words are swapped through a tiny table. It
echoes everything else as given, `<script>` and `javascript:` links included, so
the tests can show that Broadsheet sanitizes what a service returns.

For error tests it can be told how to behave, through its own control
endpoints (not LibreTranslate's): `POST /_standin/mode` with `{"mode": "ok" |
"error500" | "error429" | "slow", "seconds": S}`, `GET /_standin/calls` (how
many translations were asked for, and the last request), `POST /_standin/reset`.

    python tests/translation_standin.py --port 5055 [--api-key KEY]
"""

import argparse
import contextlib
import json
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WORDS = {
    ("ru", "en"): {
        "привет": "hello",
        "паром": "ferry",
        "город": "town",
        "утро": "morning",
        "спасибо": "thanks",
        "статья": "article",
        "хорошая": "good",
        "последний": "last",
        "отходит": "leaves",
    },
}
WORDS[("en", "ru")] = {english: russian for russian, english in WORDS[("ru", "en")].items()}
LANGUAGES = {"en": "English", "ru": "Russian"}
_BLOCKS = re.compile(r"(\n[ \t]*\n)")
_LEADING_MARKS = re.compile(r"^([ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+)*)")
_WORD = re.compile(r"\w+", re.UNICODE)


def fake_translate(text: str, source: str, target: str) -> str:
    table = WORDS.get((source, target), {})

    def swap(match: re.Match) -> str:
        word = match.group(0)
        found = table.get(word.lower())
        if found is None:
            return word
        return found.capitalize() if word[:1].isupper() else found

    def block(part: str) -> str:
        if not part.strip() or _BLOCKS.fullmatch(part):
            return part
        marks = _LEADING_MARKS.match(part).group(1)
        return f"{marks}[{target}] {_WORD.sub(swap, part[len(marks) :])}"

    return "".join(block(part) for part in _BLOCKS.split(text))


class State:
    def __init__(self, api_key: str):
        self.api_key = api_key
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.mode = "ok"
        self.seconds = 0.0
        self.calls = 0
        self.last = None


class Handler(BaseHTTPRequestHandler):
    state: State
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet: tests read their own output
        pass

    def _send(self, status: int, data) -> None:
        body = json.dumps(data, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> dict:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(raw or b"{}")
        return {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}

    def do_GET(self):
        if self.path == "/languages":
            self._send(
                200,
                [
                    {"code": code, "name": name, "targets": sorted(LANGUAGES)}
                    for code, name in LANGUAGES.items()
                ],
            )
        elif self.path == "/_standin/calls":
            with self.state.lock:
                self._send(200, {"calls": self.state.calls, "last": self.state.last})
        else:
            self._send(404, {"error": "Not Found"})

    def do_POST(self):
        try:
            data = self._body()
        except ValueError:
            self._send(400, {"error": "Invalid request"})
            return
        if self.path == "/_standin/mode":
            with self.state.lock:
                self.state.mode = data.get("mode", "ok")
                self.state.seconds = float(data.get("seconds", 0))
            self._send(200, {"mode": self.state.mode})
        elif self.path == "/_standin/reset":
            with self.state.lock:
                self.state.reset()
            self._send(200, {})
        elif self.path == "/translate":
            self._translate(data)
        else:
            self._send(404, {"error": "Not Found"})

    def _translate(self, data: dict) -> None:
        state = self.state
        with state.lock:
            state.calls += 1
            state.last = data
            mode, seconds = state.mode, state.seconds
        if mode == "slow":
            time.sleep(seconds or 5)
        if mode == "error500":
            self._send(500, {"error": "Cannot translate text: the stand-in was told to fail"})
            return
        if mode == "error429":
            self._send(429, {"error": "Slowdown: 10 per 1 minute"})
            return
        if state.api_key and data.get("api_key") != state.api_key:
            self._send(403, {"error": "Invalid API key"})
            return
        for field in ("q", "source", "target"):
            if not data.get(field):
                self._send(400, {"error": f"Invalid request: missing {field} parameter"})
                return
        for field in ("source", "target"):
            if data[field] not in LANGUAGES:
                self._send(400, {"error": f"{data[field]} is not supported"})
                return
        self._send(
            200, {"translatedText": fake_translate(data["q"], data["source"], data["target"])}
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", default="")
    args = parser.parse_args()
    Handler.state = State(args.api_key)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"stand-in LibreTranslate on http://{args.host}:{args.port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
