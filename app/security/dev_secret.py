"""The development server secret: made once, kept in the data folder, read at every start.

Without it, each start made a new random key and every PIN, document hash and sealed message written
under the last one stopped verifying. Production never comes here: it refuses to start without
SECRET_KEY (app/settings.py).
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "secret_key"


def persisted_secret(data_dir: Path) -> bytes:
    """The key in `data_dir/secret_key`, generated (mode 0600) on the first call anywhere."""
    path = data_dir / FILE_NAME
    if not path.exists():
        _create(path)
    key = path.read_bytes().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds a key shorter than 32 bytes; delete it to make a new one")
    return key


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# imwallet's local data (the development secret): never committed\n*\n")
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_urlsafe(48).encode() + b"\n")
    try:
        # A hard link is atomic and refuses to replace: of several workers starting at once, one wins
        # and all read its key.
        os.link(tmp, path)
        log.warning("SECRET_KEY is not set: generated a development key in %s (kept across restarts; "
                    "production requires SECRET_KEY)", path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
