"""Which six-digit PINs are too easy to guess: patterns, common choices, the owner's birth date."""

from __future__ import annotations

import itertools
from datetime import date

from app.errors import InvalidInput
from app.text import ascii_digits

PIN_DIGITS = 6

# Frequent choices that the patterns below do not already catch (keypad shapes, "520" = "I love
# you", years). NIST SP 800-63B asks for a blocklist of at least ten values.
COMMON_PINS = frozenset({
    "520520", "521521", "520131", "131420", "201314", "147258", "258369", "369258", "159753", "357159",
    "147852", "123654", "456123", "102030", "010203", "112358", "741852", "852963", "168168", "518518",
    "200000", "199999", "100200", "111000", "000111",
})


def check_pin(pin: str, date_of_birth: date | None, field: str = "pin") -> str:
    """Return the PIN if it is six ASCII digits and not trivially guessable, else InvalidInput."""
    ascii_digits(pin, field, length=PIN_DIGITS)
    reason = weakness(pin, date_of_birth)
    if reason:
        raise InvalidInput(field, f"is too easy to guess ({reason}); choose another")
    return pin


def weakness(pin: str, date_of_birth: date | None) -> str | None:
    """Why a six-digit PIN is weak, or None."""
    if len(set(pin)) == 1:
        return "all digits the same"
    if _is_run(pin):
        return "ascending or descending digits"
    if _is_repeated(pin):
        return "a repeated pattern"
    if pin in COMMON_PINS:
        return "a common PIN"
    if date_of_birth is not None and pin in birth_date_fragments(date_of_birth):
        return "taken from your birth date"
    return None


def _is_run(pin: str) -> bool:
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    return steps in ({1}, {9})


def _is_repeated(pin: str) -> bool:
    return (pin[:3] == pin[3:]                                   # 123123
            or pin[:2] * 3 == pin                                # 121212
            or (pin[0] == pin[1] and pin[2] == pin[3] and pin[4] == pin[5])  # 112233
            or (len(set(pin[:3])) == 1 and len(set(pin[3:])) == 1))          # 111222


def birth_date_fragments(born: date) -> set[str]:
    """Every six-digit string a person might take from their birth date."""
    yyyy, yy, mm, dd = f"{born.year:04d}", f"{born.year % 100:02d}", f"{born.month:02d}", f"{born.day:02d}"
    fragments = {yy + mm + dd, mm + dd + yy, dd + mm + yy, yyyy + mm, mm + yyyy, dd + mm + yy}
    for full in (yyyy + mm + dd, dd + mm + yyyy, mm + dd + yyyy):
        fragments.update(full[i:i + PIN_DIGITS] for i in range(len(full) - PIN_DIGITS + 1))
    return fragments
