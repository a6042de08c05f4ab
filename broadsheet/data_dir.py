"""The data folder: where a Broadsheet install keeps its SQLite file, secret key and uploads.

Read by settings only, so that one environment variable moves a whole site.
"""

import os
import secrets
from pathlib import Path


def get_data_dir() -> Path:
    data_dir = Path(os.environ.get("BROADSHEET_DATA_DIR", "./var")).expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    return data_dir


def load_or_create_secret_key(data_dir: Path) -> str:
    """Return the site's secret key, creating it on first run.

    The key lives beside the database rather than in the repository or the
    environment so that `broadsheet serve` needs no settings, and so that a
    backup of the data folder is a complete site.
    """
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting at once must not each write their own key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
