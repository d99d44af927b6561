"""Money at the API edge: decimal strings in, integer minor units inside, decimal strings out.

Parsing is a strict ASCII regular expression and integer arithmetic: no float, no Decimal, no
int() on unvalidated text (Python's int() accepts full-width digits, underscores and spaces).
"""

from __future__ import annotations

import re

from app.errors import InvalidInput

# Minor-unit digits per ISO 4217 currency this wallet supports.
CURRENCY_SCALE = {"CNY": 2}

# Far above any limit, far below 2**63: a typo or an attack, never a payment.
MAX_AMOUNT_MINOR = 10**13

_AMOUNT = re.compile(r"(0|[1-9][0-9]{0,14})(?:\.([0-9]+))?")


def scale_of(currency: str) -> int:
    try:
        return CURRENCY_SCALE[currency]
    except KeyError:
        raise InvalidInput("currency", f"{currency} is not supported") from None


def parse_amount(text: str, currency: str, field: str = "amount") -> int:
    """`"12.34"` -> 1234 for CNY. Refuses zero, signs, exponents, spaces and extra decimals."""
    scale = scale_of(currency)
    match = _AMOUNT.fullmatch(text) if isinstance(text, str) and text.isascii() else None
    if match is None:
        raise InvalidInput(field, 'must be a positive decimal such as "12.34"')
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > scale:
        raise InvalidInput(field, f"has more than {scale} decimal places")
    minor = int(whole) * 10**scale + int(fraction.ljust(scale, "0") or "0")
    if minor <= 0:
        raise InvalidInput(field, "must be greater than zero")
    if minor > MAX_AMOUNT_MINOR:
        raise InvalidInput(field, "is too large")
    return minor


def format_amount(minor: int, currency: str) -> str:
    """1234 -> `"12.34"`, -5 -> `"-0.05"`: exact, with the currency's number of decimals."""
    scale = scale_of(currency)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**scale)
    return f"{sign}{whole}.{fraction:0{scale}d}" if scale else f"{sign}{whole}"
