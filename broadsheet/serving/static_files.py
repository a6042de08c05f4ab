"""Static files collected for serving: hashed names, compressed copies, made once.

Pages name every stylesheet, script and icon by a name that carries a hash of
its content (`core/broadsheet.3f2a1c9e0b7d.css`), so browsers and proxies keep
them forever and a new release is fetched at once. WhiteNoise's
CompressedManifestStaticFilesStorage writes those copies, gzip-compressed too,
into STATIC_ROOT and a manifest that maps each name to its hashed one.

`broadsheet serve` must work on a new data folder with no manual step, so it
calls `collect_static_files` before it starts: that runs Django's collectstatic
only when the apps' static files differ from what was last collected.
"""

import hashlib
import os
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command

# Written into STATIC_ROOT beside the manifest: the hash of the sources the
# collected files were made from. It is public (WhiteNoise serves it), and
# says nothing the static files themselves do not.
FINGERPRINT_NAME = "broadsheet-sources.sha256"


def fingerprint_sources() -> str:
    """A hash of every static file the apps provide (names and contents) and of
    how they are stored: anything that would change the collected output."""
    digest = hashlib.sha256(settings.STORAGES["staticfiles"]["BACKEND"].encode())
    found = {}
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            prefix = getattr(storage, "prefix", None) or ""
            # The first finder to provide a name wins, as in collectstatic.
            found.setdefault(os.path.join(prefix, path), (storage, path))
    for name in sorted(found):
        storage, path = found[name]
        with storage.open(path) as source:
            content = source.read()
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()


def collect_static_files() -> bool:
    """Collect the static files into STATIC_ROOT if the sources changed since
    the last collection (or it never happened). True when it collected."""
    root = Path(settings.STATIC_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    fingerprint_file = root / FINGERPRINT_NAME
    manifest = root / "staticfiles.json"
    # Two servers started at once on one data folder must not write the same
    # files together: the second waits, then finds the work done.
    with _exclusive(root):
        fingerprint = fingerprint_sources()
        if (
            manifest.exists()
            and fingerprint_file.exists()
            and fingerprint_file.read_text().strip() == fingerprint
        ):
            return False
        # Old hashed files stay (no --clear): pages rendered by a server still
        # running the previous release, or kept by a browser, still find theirs.
        call_command("collectstatic", interactive=False, verbosity=0)
        fingerprint_file.write_text(fingerprint + "\n")
        return True


@contextmanager
def _exclusive(directory: Path):
    try:
        import fcntl
    except ImportError:  # not on Windows: no lock, and no concurrent starts there
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
