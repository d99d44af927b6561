"""Login password policy: length and a list of common passwords (NIST 800-63B 5.1.1.2)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from app.errors import InvalidInput
from app.text import clean_text

MIN_LENGTH = 8
MAX_LENGTH = 128


@cache
def _common() -> frozenset[str]:
    text = resources.files("app.identity").joinpath("common_passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def check_password(password: str, field: str = "password") -> str:
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in password) or "\x00" in password:
        raise InvalidInput(field, "contains an invalid character")
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidInput(field, f"must be {MIN_LENGTH} to {MAX_LENGTH} characters")
    clean_text(password, field, max_length=MAX_LENGTH, unicode_policy=False)
    if password.lower() in _common():
        raise InvalidInput(field, "is too common; choose another")
    return password
