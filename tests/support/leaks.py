"""Secrets never leave: every test secret is watched in every response body, websocket frame and log
record of the whole run (tests/conftest.py checks at the end of the session)."""

from __future__ import annotations

import logging
import re

_watched: dict[str, re.Pattern[str]] = {}
found: list[str] = []


def watch(*secrets: str) -> None:
    """Watch these values from now on. Digits-only values match as a whole number (not inside a longer
    number or after a decimal point, so a timestamp's microseconds are not a false alarm)."""
    for secret in secrets:
        if len(secret) < 6 or secret in _watched:
            continue
        if secret.isdigit():
            _watched[secret] = re.compile(r"(?<![0-9.])" + secret + r"(?![0-9])")
        else:
            _watched[secret] = re.compile(re.escape(secret))


def scan(where: str, text: str) -> None:
    for secret, pattern in _watched.items():
        if pattern.search(text):
            found.append(f"{where}: {secret!r} in {text[:300]!r}")


# The test's own clients log what they send (a PIN in a request is not a leak); only the server's logs count.
CLIENT_LOGGERS = ("websockets.client", "httpx", "httpcore", "hpack")


def server_side(record: logging.LogRecord) -> bool:
    return not record.name.startswith(CLIENT_LOGGERS)


class LeakWatch(logging.Handler):
    """A root handler: formats every record (message and traceback) and scans it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if not server_side(record):
            return
        try:
            scan(f"log {record.name}", self.format(record))
        except Exception:
            self.handleError(record)
