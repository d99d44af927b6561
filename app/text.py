"""Checks every piece of free text passes before it reaches a service or the database."""

from __future__ import annotations

import re
import unicodedata

from app.errors import InvalidInput

ASCII_DIGITS = re.compile(r"[0-9]+")


def clean_text(value: str, field: str, *, max_length: int, min_length: int = 0,
               multiline: bool = False) -> str:
    """Refuse NUL and other control characters, unpaired surrogates and oversize text.

    PostgreSQL refuses NUL in text and a lone surrogate cannot be encoded as UTF-8, so both are
    refused here with a clear error rather than failing later as a server error.
    """
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise InvalidInput(field, "contains an invalid character")
    allowed = {"\n", "\t"} if multiline else set()
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value):
        raise InvalidInput(field, "contains a control character")
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInput(field, f"is longer than {max_length} characters")
    if len(value) < min_length:
        raise InvalidInput(field, "is required" if min_length == 1 else
                           f"must be at least {min_length} characters")
    return value


def ascii_digits(value: str, field: str, *, length: int) -> str:
    """Exactly `length` ASCII digits: Python's int() and \\d would also take full-width ones."""
    if len(value) != length or not ASCII_DIGITS.fullmatch(value):
        raise InvalidInput(field, f"must be exactly {length} digits 0-9")
    return value
