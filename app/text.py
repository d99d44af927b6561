"""Checks every piece of free text passes before it reaches a service or the database."""

from __future__ import annotations

import re
import unicodedata

from app.errors import InvalidInput

ASCII_DIGITS = re.compile(r"[0-9]+")

# Unicode policy for text other people read (names, memos, messages): NFC, and no invisible
# characters that make one text look like another. Bidirectional controls reorder what is shown
# ("Alice\u202egnp.exe"); zero-width characters hide inside names so two accounts look identical.
# The zero-width joiner is kept only between emoji, where it builds one picture (family, flags).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ZERO_WIDTH = frozenset("\u200b\u200c\u2060\u2061\u2062\u2063\u2064\ufeff\u180e")
ZWJ = "\u200d"


def clean_text(value: str, field: str, *, max_length: int, min_length: int = 0,
               multiline: bool = False, unicode_policy: bool = True) -> str:
    """Refuse NUL and other control characters, unpaired surrogates and oversize text; with the
    Unicode policy (the default), normalise to NFC and refuse bidi controls and zero-width characters.

    PostgreSQL refuses NUL in text and a lone surrogate cannot be encoded as UTF-8, so both are
    refused here with a clear error rather than failing later as a server error.
    """
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise InvalidInput(field, "contains an invalid character")
    allowed = {"\n", "\t"} if multiline else set()
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value):
        raise InvalidInput(field, "contains a control character")
    if unicode_policy:
        value = unicodedata.normalize("NFC", value)
        if any(ch in BIDI_CONTROLS for ch in value):
            raise InvalidInput(field, "contains a text-direction control character")
        if any(ch in ZERO_WIDTH for ch in value) or _stray_joiner(value):
            raise InvalidInput(field, "contains an invisible (zero-width) character")
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


def _is_emoji_part(ch: str) -> bool:
    return unicodedata.category(ch) in ("So", "Sk") or ch == "\ufe0f"


def _stray_joiner(value: str) -> bool:
    """A zero-width joiner anywhere but between two emoji."""
    for i, ch in enumerate(value):
        if ch == ZWJ and not (0 < i < len(value) - 1 and _is_emoji_part(value[i - 1])
                              and _is_emoji_part(value[i + 1])):
            return True
    return False
